// Adds to a decoder whose attention is all GroupQueryAttention an output per cache tensor holding only the rows
// the pass added (`present.N.key/rows`), so the runtime can keep the cache in its own growing buffers (kvArena.ts)
// and fetch those instead of the whole `present`. onnxruntime's CPU GroupQueryAttention reads the valid past length
// from its seqlens input (the attention mask), not from the past tensor's shape, so a past buffer longer than the
// valid rows gives the same result; its `present` then has the buffer's length with the new rows at the pass's
// positions (total - count .. total - 1), which a Slice picks out.
//
// Pure bytes-to-bytes, and cheap for large files: it reads only the graph's nodes, inputs and outputs (not the
// weights), and appends the new nodes and outputs to the graph's encoded fields (repeated fields concatenate),
// instead of re-encoding hundreds of MB.
import { onnx } from 'onnx-proto';
import { presentRowsName } from './signature';

const MS_DOMAIN = 'com.microsoft';
const PAST_PATTERN = /^past_key_values\.(\d+)\.(key|value)$/;
/** Shape with start (opset 15). */
const MIN_OPSET = 15;

interface GraphSkeleton {
  /** The graph field: its tag's offset, its end, and its encoded fields. */
  graph?: { start: number; end: number; body: Uint8Array };
  opset?: number;
  nodes: onnx.NodeProto[];
  inputs: onnx.ValueInfoProto[];
  outputs: onnx.ValueInfoProto[];
}

interface Field {
  field: number;
  body: Uint8Array;
  /** Where the field's tag starts. */
  start: number;
}

/** Length-delimited fields of a protobuf message (wire type 2); others are skipped. */
function* messageFields(bytes: Uint8Array): Generator<Field> {
  let at = 0;
  const varint = (): number => {
    let value = 0;
    let scale = 1;
    for (;;) {
      if (at >= bytes.length) throw new Error('truncated protobuf');
      const b = bytes[at++]!;
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value;
      scale *= 128;
    }
  };
  while (at < bytes.length) {
    const start = at;
    const tag = varint();
    const wire = tag % 8;
    const field = Math.floor(tag / 8);
    if (wire === 0) varint();
    else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else if (wire === 2) {
      const length = varint();
      if (at + length > bytes.length) throw new Error('truncated protobuf');
      yield { field, body: bytes.subarray(at, at + length), start };
      at += length;
    } else throw new Error(`unsupported protobuf wire type ${wire}`);
  }
}

/** The graph's nodes, inputs, outputs and default-domain opset, without decoding its weights. */
export function graphSkeleton(bytes: Uint8Array): GraphSkeleton | undefined {
  const skeleton: GraphSkeleton = { nodes: [], inputs: [], outputs: [] };
  try {
    for (const { field, body, start } of messageFields(bytes)) {
      if (field === 8) {
        const opset = onnx.OperatorSetIdProto.decode(body);
        if (!opset.domain || opset.domain === 'ai.onnx') skeleton.opset = Number(opset.version);
      } else if (field === 7) {
        // A second graph field would merge into the first in some parsers and replace it in others.
        if (skeleton.graph) return undefined;
        skeleton.graph = { start, end: body.byteOffset - bytes.byteOffset + body.length, body };
        for (const { field: g, body: part } of messageFields(body)) {
          if (g === 1) skeleton.nodes.push(onnx.NodeProto.decode(part));
          else if (g === 11) skeleton.inputs.push(onnx.ValueInfoProto.decode(part));
          else if (g === 12) skeleton.outputs.push(onnx.ValueInfoProto.decode(part));
        }
      } else if (field === 25) {
        return undefined; // local functions: their bodies could read the cache in ways not tracked here
      }
    }
  } catch {
    return undefined;
  }
  return skeleton.graph ? skeleton : undefined;
}

/**
 * Whether every past input feeds only GroupQueryAttention's past slots (3: key, 4: value) and that node produces the
 * matching present; then nothing else reads the past's shape, and a longer past buffer changes nothing.
 */
export function attentionReadsOnlyValidRows(skeleton: GraphSkeleton): boolean {
  const inputNames = new Set(skeleton.inputs.map((v) => v.name));
  if (!inputNames.has('input_ids') || !inputNames.has('attention_mask')) return false;
  // Subgraphs (If/Loop bodies) may read outer tensors by name.
  if (skeleton.nodes.some((n) => n.attribute.some((a) => a.g || (a.graphs?.length ?? 0) > 0))) return false;
  const pasts = skeleton.inputs.map((v) => v.name).filter((name) => PAST_PATTERN.test(name));
  if (pasts.length === 0) return false;
  const outputs = new Set(skeleton.outputs.map((v) => v.name));
  for (const past of pasts) {
    const [, layer, kind] = PAST_PATTERN.exec(past)!;
    const present = `present.${layer}.${kind}`;
    const slot = kind === 'key' ? 3 : 4;
    const readers = skeleton.nodes.filter((n) => n.input.includes(past));
    if (readers.length === 0 || !outputs.has(present)) return false;
    for (const n of readers) {
      if (n.opType !== 'GroupQueryAttention' || n.domain !== MS_DOMAIN) return false;
      if (n.input.indexOf(past) !== slot || n.input.lastIndexOf(past) !== slot || n.output[slot - 2] !== present) return false;
    }
  }
  return true;
}

/** `bytes` with the rows outputs added, or undefined when the graph does not qualify (see attentionReadsOnlyValidRows). */
export function kvRowsModel(bytes: Uint8Array): Uint8Array | undefined {
  const skeleton = graphSkeleton(bytes);
  if (!skeleton || (skeleton.opset ?? 0) < MIN_OPSET || !attentionReadsOnlyValidRows(skeleton)) return undefined;
  const presents = skeleton.outputs.filter((v) => /^present\.\d+\.(key|value)$/.test(v.name));
  if (skeleton.outputs.some((v) => v.name === presentRowsName(presents[0]!.name))) return undefined; // rewritten already
  // The rows outputs declare the presents' element type.
  if (presents.some((v) => !v.type?.tensorType?.elemType)) return undefined;
  const p = 'locus_kv_rows/';
  const int = (name: string, i: number) => onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INT, i });
  const nodes = [
    onnx.NodeProto.create({ name: `${p}count`, opType: 'Shape', input: ['input_ids'], output: [`${p}count`], attribute: [int('start', 1)] }),
    onnx.NodeProto.create({ name: `${p}total`, opType: 'Shape', input: ['attention_mask'], output: [`${p}total`], attribute: [int('start', 1)] }),
    onnx.NodeProto.create({ name: `${p}start`, opType: 'Sub', input: [`${p}total`, `${p}count`], output: [`${p}start`] }),
    ...presents.map((v) =>
      onnx.NodeProto.create({ name: presentRowsName(v.name), opType: 'Slice', input: [v.name, `${p}start`, `${p}total`, `${p}axis`], output: [presentRowsName(v.name)] }),
    ),
  ];
  const axis = onnx.TensorProto.create({ name: `${p}axis`, dataType: onnx.TensorProto.DataType.INT64, dims: [1], rawData: new Uint8Array(BigInt64Array.of(2n).buffer) });
  const outputs = presents.map((v) => onnx.ValueInfoProto.create({ name: presentRowsName(v.name), type: { tensorType: { elemType: v.type?.tensorType?.elemType } } }));
  const added = onnx.GraphProto.encode({ node: nodes, initializer: [axis], output: outputs }).finish();
  const { start, end, body } = skeleton.graph!;
  const header = [GRAPH_TAG, ...varintBytes(body.length + added.length)];
  const out = new Uint8Array(start + header.length + body.length + added.length + (bytes.length - end));
  out.set(bytes.subarray(0, start), 0);
  out.set(header, start);
  out.set(body, start + header.length);
  out.set(added, start + header.length + body.length);
  out.set(bytes.subarray(end), start + header.length + body.length + added.length);
  return out;
}

/** ModelProto's graph: field 7, length-delimited. */
const GRAPH_TAG = (7 << 3) | 2;

function varintBytes(value: number): number[] {
  const out: number[] = [];
  while (value >= 0x80) {
    out.push((value % 0x80) | 0x80);
    value = Math.floor(value / 0x80);
  }
  out.push(value);
  return out;
}
