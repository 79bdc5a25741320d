// The part of an ONNX file that says how the graph reads its KV cache and its weights: its nodes, inputs, outputs,
// opset and each initializer's name, type and size, read by walking the protobuf's fields without the initializers'
// values (a large file is read in small windows around the fields' headers, not whole); and splicing edited graph
// fields into a copy of the file, in memory or written to another file. Pure but for the file reader and writer.
import { closeSync, fstatSync, fsyncSync, openSync, readSync, writeSync } from 'node:fs';
import { onnx } from 'onnx-proto';
import { PAST_PATTERN, pastKeyName, pastValueName, presentKeyName, presentValueName, type DeclaredSignature, type DeclaredValue } from './signature';

const MS_DOMAIN = 'com.microsoft';
const UTF8 = new TextDecoder();

/** Bytes of an ONNX model, read where needed. */
export interface ByteSource {
  readonly length: number;
  read(offset: number, length: number): Uint8Array;
  /** Copies [offset, offset + length) into `dest` at `at` (a file's weights go straight into the new model). */
  copyTo(dest: Uint8Array, at: number, offset: number, length: number): void;
}

export function bytesSource(bytes: Uint8Array): ByteSource {
  return {
    length: bytes.length,
    read: (offset, length) => bytes.subarray(offset, offset + length),
    copyTo: (dest, at, offset, length) => dest.set(bytes.subarray(offset, offset + length), at),
  };
}

/** Reads a file through a window, so walking consecutive small fields costs few reads. */
export function withFile<T>(path: string, use: (source: ByteSource) => T): T {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    let window = new Uint8Array(0);
    let windowAt = 0;
    return use({
      length: size,
      read(offset, length) {
        if (offset < windowAt || offset + length > windowAt + window.length) {
          window = new Uint8Array(Math.min(Math.max(length, 1 << 16), size - offset));
          windowAt = offset;
          if (readSync(fd, window, 0, window.length, offset) !== window.length) throw new Error('short read');
        }
        return window.subarray(offset - windowAt, offset - windowAt + length);
      },
      copyTo(dest, at, offset, length) {
        for (let done = 0; done < length; ) {
          const n = readSync(fd, dest, at + done, length - done, offset + done);
          if (n <= 0) throw new Error('short read');
          done += n;
        }
      },
    });
  } finally {
    closeSync(fd);
  }
}

interface Field {
  field: number;
  /** Where the field's tag starts. */
  start: number;
  /** Where its bytes start, and how many (length-delimited fields only). */
  offset: number;
  length: number;
}

interface AnyField extends Field {
  wire: number;
  /** Varint fields: their value. */
  value: number;
}

/** Every field of the message in [from, to), its bytes not read. */
function* anyFields(source: ByteSource, from: number, to: number): Generator<AnyField> {
  let at = from;
  const varint = (): number => {
    const bytes = source.read(at, Math.min(10, to - at));
    let value = 0;
    let scale = 1;
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!;
      value += (b & 0x7f) * scale;
      if (b < 0x80) {
        at += i + 1;
        return value;
      }
      scale *= 128;
    }
    throw new Error('truncated protobuf');
  };
  while (at < to) {
    const start = at;
    const tag = varint();
    const wire = tag % 8;
    const field = Math.floor(tag / 8);
    // Field 0 does not exist in protobuf: a run of zero bytes (a file allocated but never written) read as such
    // fields for ~15 s per pass over 400 MB, and a load made six passes before its error.
    if (field === 0) throw new Error('invalid protobuf field number 0');
    if (wire === 0) yield { field, wire, start, offset: at, length: 0, value: varint() };
    else if (wire === 1 || wire === 5) {
      const length = wire === 1 ? 8 : 4;
      if (at + length > to) throw new Error('truncated protobuf');
      yield { field, wire, start, offset: at, length, value: 0 };
      at += length;
    } else if (wire === 2) {
      const length = varint();
      if (at + length > to) throw new Error('truncated protobuf');
      yield { field, wire, start, offset: at, length, value: 0 };
      at += length;
    } else throw new Error(`unsupported protobuf wire type ${wire}`);
  }
}

/** Length-delimited fields (wire type 2) of the message in [from, to); others are skipped. */
function* messageFields(source: ByteSource, from: number, to: number): Generator<Field> {
  for (const f of anyFields(source, from, to)) if (f.wire === 2) yield f;
}

/**
 * TensorProto fields that hold its values in the file (float_data ... uint64_data, raw_data), with the bytes a value
 * of each takes where it is written unpacked (a varint of int32_data / int64_data / uint64_data holds one value).
 */
const TENSOR_DATA_FIELDS = new Map([[4, 4], [5, 4], [6, 0], [7, 8], [9, 1], [10, 8], [11, 8]]);
/** Bytes per element by TensorProto.DataType, for external data whose length is not written. */
const ELEMENT_BYTES: Record<number, number> = {
  1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 14: 8, 15: 16, 16: 2,
  17: 1, 18: 1, 19: 1, 20: 1, 21: 0.5, 22: 0.5, 23: 0.5,
};

/** A weight of the graph and the bytes its values take, in the file or in its external data. */
export interface InitializerSize {
  name: string;
  bytes: number;
  /** TensorProto.DataType (1 = float32). */
  dataType: number;
  /** The external data file it names, relative to the model's folder. */
  location?: string;
  /** Its dims as written. */
  dims: number[];
  /** Where its field in the graph starts and ends (to drop it from a copy). */
  field: { start: number; end: number };
  /** Where its raw_data bytes lie in the file, when its values are written there that way. */
  raw?: { offset: number; length: number };
}

function initializerSize(source: ByteSource, field: { start: number; end: number }, from: number): InitializerSize {
  const to = field.end;
  let name = '';
  let raw: InitializerSize['raw'];
  let bytes = 0;
  let externalLength: number | undefined;
  let location: string | undefined;
  let external = false;
  let dataType = 0;
  const dims: number[] = [];
  for (const f of anyFields(source, from, to)) {
    if (f.field === 8 && f.wire === 2) name = UTF8.decode(source.read(f.offset, f.length));
    else if (TENSOR_DATA_FIELDS.has(f.field)) {
      bytes += f.wire === 0 ? TENSOR_DATA_FIELDS.get(f.field)! : f.length;
      if (f.field === 9 && f.wire === 2) raw = { offset: f.offset, length: f.length };
    }
    else if (f.field === 1 && f.wire === 0) dims.push(f.value);
    else if (f.field === 1 && f.wire === 2) for (const d of anyPackedVarints(source, f.offset, f.offset + f.length)) dims.push(d);
    else if (f.field === 2 && f.wire === 0) dataType = f.value;
    else if (f.field === 14 && f.wire === 0) external = f.value === 1;
    else if (f.field === 13 && f.wire === 2) {
      const entry = onnx.StringStringEntryProto.decode(source.read(f.offset, f.length));
      if (entry.key === 'length') externalLength = Number(entry.value);
      else if (entry.key === 'location') location = entry.value ?? undefined;
    }
  }
  if (external) bytes += externalLength ?? Math.ceil(dims.reduce((n, d) => n * d, 1) * (ELEMENT_BYTES[dataType] ?? 4));
  return { name, bytes, dataType, dims, field, ...(raw && !external && { raw }), ...(external && location !== undefined && { location }) };
}

function* anyPackedVarints(source: ByteSource, from: number, to: number): Generator<number> {
  const bytes = source.read(from, to - from);
  let value = 0;
  let scale = 1;
  for (const b of bytes) {
    value += (b & 0x7f) * scale;
    scale *= 128;
    if (b < 0x80) {
      yield value;
      value = 0;
      scale = 1;
    }
  }
}

export interface GraphSkeleton {
  /** The graph field: where its tag starts, where its fields start, where it ends. */
  graph: { start: number; offset: number; end: number };
  opset?: number;
  /** The domains the model imports opsets of ('' for the default). */
  domains: string[];
  nodes: onnx.NodeProto[];
  /** Where each node's field starts and ends, in the order of `nodes`. */
  nodeFields: { start: number; end: number }[];
  inputs: onnx.ValueInfoProto[];
  outputs: onnx.ValueInfoProto[];
  /** The graph's weights, their values not read. */
  initializers: InitializerSize[];
}

/** onnxruntime's names of the ONNX element types (TensorProto.DataType) a decoder's inputs and outputs may have. */
const ELEMENT_TYPES: Record<number, string> = { 1: 'float32', 2: 'uint8', 3: 'int8', 6: 'int32', 7: 'int64', 9: 'bool', 10: 'float16', 11: 'float64', 16: 'bfloat16' };

/**
 * The inputs and outputs the graph declares, as onnxruntime reports them (weights an old exporter also lists as
 * inputs left out), so the signature check (signature.ts) can run before a large file's copies are written.
 */
export function declaredSignature(skeleton: GraphSkeleton): DeclaredSignature {
  const weights = new Set(skeleton.initializers.map((w) => w.name));
  const declared = (v: onnx.ValueInfoProto): DeclaredValue => {
    const tensor = v.type?.tensorType;
    // A dim is a number, a name, or neither (unknown: a string that matches no number).
    const shape = (tensor?.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : Number(d.dimValue ?? 0) > 0 ? Number(d.dimValue) : '?'));
    return { name: v.name, type: tensor?.elemType ? ELEMENT_TYPES[tensor.elemType] : undefined, shape };
  };
  return { inputs: skeleton.inputs.filter((v) => !weights.has(v.name)).map(declared), outputs: skeleton.outputs.map(declared) };
}

/** The graph's nodes, inputs, outputs, weights' sizes and default-domain opset, or undefined for what is not one ONNX graph. */
export function graphSkeleton(source: ByteSource): GraphSkeleton | undefined {
  let graph: GraphSkeleton['graph'] | undefined;
  let opset: number | undefined;
  const domains: string[] = [];
  const nodes: onnx.NodeProto[] = [];
  const nodeFields: GraphSkeleton['nodeFields'] = [];
  const inputs: onnx.ValueInfoProto[] = [];
  const outputs: onnx.ValueInfoProto[] = [];
  const initializers: InitializerSize[] = [];
  try {
    for (const f of messageFields(source, 0, source.length)) {
      if (f.field === 8) {
        const set = onnx.OperatorSetIdProto.decode(source.read(f.offset, f.length));
        if (!set.domain || set.domain === 'ai.onnx') opset = Number(set.version);
        domains.push(set.domain === 'ai.onnx' ? '' : (set.domain ?? ''));
      } else if (f.field === 7) {
        // A second graph field would merge into the first in some parsers and replace it in others.
        if (graph) return undefined;
        graph = { start: f.start, offset: f.offset, end: f.offset + f.length };
        for (const g of messageFields(source, f.offset, f.offset + f.length)) {
          if (g.field === 1) {
            nodes.push(onnx.NodeProto.decode(source.read(g.offset, g.length)));
            nodeFields.push({ start: g.start, end: g.offset + g.length });
          }
          else if (g.field === 11) inputs.push(onnx.ValueInfoProto.decode(source.read(g.offset, g.length)));
          else if (g.field === 12) outputs.push(onnx.ValueInfoProto.decode(source.read(g.offset, g.length)));
          else if (g.field === 5) initializers.push(initializerSize(source, { start: g.start, end: g.offset + g.length }, g.offset));
        }
      } else if (f.field === 25) {
        return undefined; // local functions: their bodies could read the cache in ways not tracked here
      }
    }
  } catch {
    return undefined;
  }
  return graph && { graph, opset, domains, nodes, nodeFields, inputs, outputs, initializers };
}

/** A graph field's bytes [start, end) to replace with `bytes` (empty to drop the field). */
export interface FieldReplacement {
  start: number;
  end: number;
  bytes: Uint8Array;
}

/** Bytes of an added field, made only when written (from the model being copied), so a copy never holds them all at once. */
export interface LazyBytes {
  length: number;
  bytes(source: ByteSource): Uint8Array;
}

type Piece = { from: number; to: number } | Uint8Array | LazyBytes;

/** The spliced model as pieces in order: source ranges, and new bytes. */
function splicedPieces(source: ByteSource, skeleton: GraphSkeleton, replaced: FieldReplacement[], appended: (Uint8Array | LazyBytes)[], modelAppended?: Uint8Array): Piece[] {
  const { start, offset, end } = skeleton.graph;
  replaced.forEach((r, i) => {
    if (r.start < (i === 0 ? offset : replaced[i - 1]!.end) || r.end < r.start || r.end > end) throw new Error('replaced fields must be in file order, apart, inside the graph');
  });
  const body: Piece[] = [];
  let at = offset;
  for (const r of replaced) {
    body.push({ from: at, to: r.start }, r.bytes);
    at = r.end;
  }
  body.push({ from: at, to: end }, ...appended);
  const header = Uint8Array.from([GRAPH_TAG, ...varintBytes(body.reduce((n, p) => n + pieceLength(p), 0))]);
  return [{ from: 0, to: start }, header, ...body, { from: end, to: source.length }, ...(modelAppended ? [modelAppended] : [])];
}

function pieceLength(p: Piece): number {
  return 'from' in p ? p.to - p.from : p.length;
}

function pieceBytes(p: Uint8Array | LazyBytes, source: ByteSource): Uint8Array {
  const bytes = p instanceof Uint8Array ? p : p.bytes(source);
  if (bytes.length !== p.length) throw new Error('an added field is not the length it declared');
  return bytes;
}

/**
 * The model with its graph's fields edited: `replaced` (in file order) swapped in, `appended` (encoded GraphProto
 * fields: repeated fields concatenate) added at the end, `modelAppended` (encoded ModelProto fields, such as an opset
 * import) after the model, everything else copied as it is. Only the graph field's length changes, so hundreds of
 * MB of weights are copied, never re-encoded.
 */
export function splicedModel(
  source: ByteSource,
  skeleton: GraphSkeleton,
  replaced: FieldReplacement[],
  appended: Uint8Array | (Uint8Array | LazyBytes)[],
  modelAppended?: Uint8Array,
): Uint8Array {
  const pieces = splicedPieces(source, skeleton, replaced, Array.isArray(appended) ? appended : [appended], modelAppended);
  const out = new Uint8Array(pieces.reduce((n, p) => n + pieceLength(p), 0));
  let write = 0;
  for (const p of pieces) {
    if ('from' in p) source.copyTo(out, write, p.from, p.to - p.from);
    else out.set(pieceBytes(p, source), write);
    write += pieceLength(p);
  }
  return out;
}

/**
 * About the size of splicedModel's result, for room checks before writing: the graph field's length prefix may grow
 * by a byte or two, which is not counted.
 */
export function splicedModelLength(sourceLength: number, replaced: FieldReplacement[], appended: (Uint8Array | LazyBytes)[], modelAppended?: Uint8Array): number {
  return sourceLength + replaced.reduce((n, r) => n + r.bytes.length - (r.end - r.start), 0) + appended.reduce((n, p) => n + p.length, 0) + (modelAppended?.length ?? 0);
}

/** Bytes copied from the source file per read when writing a spliced model to a file. */
const COPY_CHUNK_BYTES = 16 * 2 ** 20;

/**
 * splicedModel written to `path` piece by piece (added fields made one at a time) and flushed to disk; returns the
 * bytes written.
 */
export function writeSplicedModel(
  path: string,
  source: ByteSource,
  skeleton: GraphSkeleton,
  replaced: FieldReplacement[],
  appended: (Uint8Array | LazyBytes)[],
  modelAppended?: Uint8Array,
): number {
  const pieces = splicedPieces(source, skeleton, replaced, appended, modelAppended);
  const fd = openSync(path, 'w');
  try {
    let written = 0;
    const write = (bytes: Uint8Array) => {
      for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done);
      written += bytes.length;
    };
    const chunk = new Uint8Array(COPY_CHUNK_BYTES);
    for (const p of pieces) {
      if (!('from' in p)) {
        write(pieceBytes(p, source));
        continue;
      }
      for (let at = p.from; at < p.to; at += COPY_CHUNK_BYTES) {
        const n = Math.min(COPY_CHUNK_BYTES, p.to - at);
        source.copyTo(chunk, 0, at, n);
        write(chunk.subarray(0, n));
      }
    }
    // On disk before the caller renames it into place: a copy kept for later loads must not be cut short by a crash.
    fsyncSync(fd);
    return written;
  } finally {
    closeSync(fd);
  }
}

/** ModelProto's graph: field 7, length-delimited. */
const GRAPH_TAG = (7 << 3) | 2;

/** A GraphProto field (`field` number, length-delimited) holding `message`. */
export function encodedGraphField(field: number, message: Uint8Array): Uint8Array {
  const header = [(field << 3) | 2, ...varintBytes(message.length)];
  const out = new Uint8Array(header.length + message.length);
  out.set(header, 0);
  out.set(message, header.length);
  return out;
}

export function varintBytes(value: number): number[] {
  const out: number[] = [];
  while (value >= 0x80) {
    out.push((value % 0x80) | 0x80);
    value = Math.floor(value / 0x80);
  }
  out.push(value);
  return out;
}

/** A node's integer attribute, or undefined where it has none. */
export function intAttribute(node: onnx.INodeProto, name: string): number | undefined {
  const a = node.attribute?.find((x) => x.name === name);
  return a?.i === undefined || a.i === null ? undefined : Number(a.i);
}

/** Whether a node holds a graph (If, Loop, Scan): its body may read any tensor of the outer graph by name. */
export function hasSubgraphs(nodes: readonly onnx.INodeProto[]): boolean {
  return nodes.some((n) => n.attribute?.some((a) => a.g || (a.graphs?.length ?? 0) > 0));
}

/** graphSkeleton of a file, reading only the fields it decodes; undefined for a file that cannot be read too. */
export function fileGraphSkeleton(path: string): GraphSkeleton | undefined {
  try {
    return withFile(path, graphSkeleton);
  } catch {
    return undefined;
  }
}

/**
 * Whether each layer's past key and value feed one GroupQueryAttention node and nothing else (its slots 3 and 4),
 * and that node produces the layer's presents. onnxruntime's CPU GroupQueryAttention reads the valid past length
 * from its seqlens input (the attention mask), not from the past tensor's shape, so such a graph gives the same
 * result for a past buffer longer than its valid rows, and nothing else in it reads the past's shape. One node for
 * both: it appends in place only where key and value are both shared with their presents (otherwise it zeroes the
 * present first, which in the shared mode is the past).
 */
export function attentionReadsOnlyValidRows(skeleton: GraphSkeleton): boolean {
  const inputNames = new Set(skeleton.inputs.map((v) => v.name));
  if (!inputNames.has('input_ids') || !inputNames.has('attention_mask')) return false;
  // Subgraphs (If/Loop bodies) may read outer tensors by name.
  if (hasSubgraphs(skeleton.nodes)) return false;
  const pasts = skeleton.inputs.map((v) => v.name).filter((name) => PAST_PATTERN.test(name));
  if (pasts.length === 0) return false;
  const outputs = new Set(skeleton.outputs.map((v) => v.name));
  for (const past of pasts) {
    const layer = Number(PAST_PATTERN.exec(past)![1]);
    const [key, value] = [pastKeyName(layer), pastValueName(layer)];
    const readers = skeleton.nodes.filter((n) => n.input.includes(key) || n.input.includes(value));
    if (readers.length !== 1) return false;
    const [n] = readers as [onnx.NodeProto];
    if (n.opType !== 'GroupQueryAttention' || n.domain !== MS_DOMAIN) return false;
    if (n.input[3] !== key || n.input[4] !== value || n.input.filter((i) => i === key || i === value).length !== 2) return false;
    if (n.output[1] !== presentKeyName(layer) || n.output[2] !== presentValueName(layer) || !outputs.has(n.output[1]) || !outputs.has(n.output[2])) return false;
  }
  return true;
}
