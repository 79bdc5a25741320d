// Adds to a decoder whose attention is all GroupQueryAttention an output per cache tensor holding only the rows
// the pass added (`present.N.key/rows`), so the runtime can keep the cache in its own growing buffers (kvArena.ts)
// and fetch those instead of the whole `present`. Given a past buffer longer than its valid rows (see
// attentionReadsOnlyValidRows), GroupQueryAttention's `present` has the buffer's length with the new rows at the
// pass's positions (total - count .. total - 1), which a Slice picks out.
//
// Pure bytes-to-bytes, and cheap for large files: it reads only the graph's nodes, inputs and outputs (not the
// weights), and appends the new nodes and outputs to the graph's encoded fields (repeated fields concatenate),
// instead of re-encoding hundreds of MB.
import { onnx } from 'onnx-proto';
import { attentionReadsOnlyValidRows, bytesSource, graphSkeleton, splicedModel } from './onnxSkeleton';
import { presentRowsName } from './signature';

/** Shape with start (opset 15). */
const MIN_OPSET = 15;

/**
 * `bytes` with the rows outputs added, or undefined when the graph does not qualify (see attentionReadsOnlyValidRows).
 * `skeleton`: the graph of `bytes`, where the caller has read it already.
 */
export function kvRowsModel(bytes: Uint8Array, skeleton = graphSkeleton(bytesSource(bytes))): Uint8Array | undefined {
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
  return splicedModel(bytesSource(bytes), skeleton, [], added);
}
