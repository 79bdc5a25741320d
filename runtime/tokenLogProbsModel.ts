// A decoder's graph with one more input and output, for Selective Context's self-information: given the id that
// follows each position, it returns that id's log-probability there, log softmax(logits)[id] = logits[id] -
// logsumexp(logits), computed inside onnxruntime. The plain way fetched every position's logits ([tokens,
// vocabulary] floats: 64 MiB for a 1024-token window of the default draft) and took the log-softmax in JavaScript:
// 3.1x the time of this graph, and 2.2x its peak memory (bench/results/token-scores-2026-12-06.md). The rest of the
// graph is copied as it is.
import { onnx } from 'onnx-proto';
import { bytesSource, graphSkeleton, hasSubgraphs, splicedModel, type GraphSkeleton } from './onnxSkeleton';

/** int64 [batch, positions, 1]: the id whose log-probability each position gives (the next token). */
export const SCORED_IDS_INPUT = 'locus_scored_ids';
/** float32 [batch, positions, 1]. */
export const TOKEN_LOG_PROBS_OUTPUT = 'locus_token_log_probs';

const PREFIX = 'locus_token_log_probs/';
/** GatherElements with a negative axis, Cast and Sub as used here. */
const MIN_OPSET = 13;
/** From this opset on, ReduceLogSumExp takes its axes as an input instead of an attribute. */
const AXES_INPUT_OPSET = 18;
const { DataType } = onnx.TensorProto;

/** `bytes` (a decoder whose `logits` output is float32 or float16) with the scoring input and output, or undefined where the graph does not qualify. */
export function tokenLogProbsModel(bytes: Uint8Array, skeleton: GraphSkeleton | undefined = graphSkeleton(bytesSource(bytes))): Uint8Array | undefined {
  if (!skeleton || (skeleton.opset ?? 0) < MIN_OPSET || hasSubgraphs(skeleton.nodes)) return undefined;
  // Weights in external data are not in `bytes`: the caller loads the result with the file's folder, as onnxruntime would.
  const logitsType = skeleton.outputs.find((v) => v.name === 'logits')?.type?.tensorType?.elemType;
  if (logitsType !== DataType.FLOAT && logitsType !== DataType.FLOAT16) return undefined;
  const names = [...skeleton.inputs.map((v) => v.name), ...skeleton.outputs.map((v) => v.name), ...skeleton.initializers.map((w) => w.name), ...skeleton.nodes.flatMap((n) => [...n.output, n.name])];
  if (names.some((name) => name === SCORED_IDS_INPUT || name === TOKEN_LOG_PROBS_OUTPUT || name?.startsWith(PREFIX))) return undefined;

  const logits = logitsType === DataType.FLOAT ? 'logits' : `${PREFIX}logits`;
  const node = (opType: string, input: string[], output: string, attribute: onnx.IAttributeProto[] = []) =>
    onnx.NodeProto.create({ name: `${PREFIX}${opType}`, opType, input, output: [output], attribute });
  const int = (name: string, i: number): onnx.IAttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.INT, i });
  const axesInput = (skeleton.opset ?? 0) >= AXES_INPUT_OPSET;
  const nodes = [
    ...(logits === 'logits' ? [] : [node('Cast', ['logits'], logits, [int('to', DataType.FLOAT)])]),
    node('GatherElements', [logits, SCORED_IDS_INPUT], `${PREFIX}chosen`, [int('axis', -1)]),
    axesInput
      ? node('ReduceLogSumExp', [logits, `${PREFIX}last_axis`], `${PREFIX}normalizer`, [int('keepdims', 1)])
      : node('ReduceLogSumExp', [logits], `${PREFIX}normalizer`, [int('keepdims', 1), { name: 'axes', type: onnx.AttributeProto.AttributeType.INTS, ints: [-1] }]),
    node('Sub', [`${PREFIX}chosen`, `${PREFIX}normalizer`], TOKEN_LOG_PROBS_OUTPUT),
  ];
  const dims = (elemType: number) => ({ tensorType: { elemType, shape: { dim: [{ dimParam: 'batch_size' }, { dimParam: 'sequence_length' }, { dimValue: 1 }] } } });
  const appended = onnx.GraphProto.encode({
    node: nodes,
    initializer: axesInput ? [onnx.TensorProto.create({ name: `${PREFIX}last_axis`, dataType: DataType.INT64, dims: [1], rawData: new Uint8Array(BigInt64Array.of(-1n).buffer) })] : [],
    input: [onnx.ValueInfoProto.create({ name: SCORED_IDS_INPUT, type: dims(DataType.INT64) })],
    output: [onnx.ValueInfoProto.create({ name: TOKEN_LOG_PROBS_OUTPUT, type: dims(DataType.FLOAT) })],
  }).finish();
  return splicedModel(bytesSource(bytes), skeleton, [], appended);
}
