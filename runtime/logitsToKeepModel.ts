// Gives a decoder without a `num_logits_to_keep` input one. Optimum-style exports (onnx-community's among them)
// compute the output layer for every position of a pass, though a prompt's prefill needs only the last rows: with a
// 152k vocabulary that is most of a prefill's work, and a [tokens, vocabulary] float tensor copied out of
// onnxruntime (622 MB for 1024 tokens). On the 0.5B-shaped model exported so, the rewrite made prefills of 128-1024
// tokens 1.8-2.2x faster on its 4-bit file and 2.1-3.3x on its 8-bit one, for ~3-4 s more load: a large file then
// loads from memory, not its path (bench/results/logits-to-keep-qwen05-2026-12-05.md). It slices the output layer's
// input to its last `num_logits_to_keep` rows (0: all of them), as the exports that have the input do; the copy
// (preparedModel.ts) keeps every other field of the file as it is.
import { onnx } from 'onnx-proto';
import { type FieldReplacement, type GraphSkeleton, hasSubgraphs } from './onnxSkeleton';

export const LOGITS_TO_KEEP_INPUT = 'num_logits_to_keep';

const PREFIX = 'locus_logits_to_keep/';
/** Slice with negative axes, and its starts and ends as inputs. */
const MIN_OPSET = 13;
const MS_DOMAIN = 'com.microsoft';

/**
 * Operators the output layer may apply after its matrix product (a bias, a cast, a final scaling or soft cap, the
 * rescaling of quantize_dynamic's 8-bit chain): each computes a row of its output from the same row of its inputs.
 */
const ELEMENTWISE = new Set(['Add', 'Cast', 'DequantizeLinear', 'Div', 'Mul', 'QuantizeLinear', 'Sub', 'Tanh']);
/**
 * The output layer's matrix product: rows come in through its first input, the others are weights (Gemm without
 * transA). DynamicQuantizeLinear, which quantizes that input for MatMulInteger, joins the layer; it and
 * DynamicQuantizeMatMul use one scale over all rows, so an 8-bit output layer's kept rows round a little differently
 * from the same rows computed with all the others (as in an export that has the input).
 */
const PRODUCTS = new Set(['DynamicQuantizeMatMul', 'Gemm', 'MatMul', 'MatMulInteger', 'MatMulIntegerToFloat', 'MatMulNBits']);
const DOMAINS = new Set(['', 'ai.onnx', MS_DOMAIN]);

const int64s = (name: string, values: bigint[]) =>
  onnx.TensorProto.create({ name, dataType: onnx.TensorProto.DataType.INT64, dims: [values.length], rawData: new Uint8Array(BigInt64Array.from(values).buffer) });

/** Initializers and what nodes compute from them alone (a tied output layer's Transpose of the embedding table). */
function constants(skeleton: GraphSkeleton): Set<string> {
  const known = new Set(skeleton.initializers.map((w) => w.name));
  for (let grew = true; grew; ) {
    grew = false;
    for (const node of skeleton.nodes) {
      if (node.output.every((o) => !o || known.has(o)) || !node.input.every((i) => !i || known.has(i))) continue;
      node.output.forEach((o) => o && known.add(o));
      grew = true;
    }
  }
  return known;
}

/**
 * The output layer: the nodes that compute `logits` from the first input of one matrix product (the hidden states:
 * the final norm's output, left whole), through element-wise operators and constants; undefined where `logits`
 * depends on anything else, or where anything but `logits` reads what the layer computes (it would see the kept
 * rows only).
 */
function outputLayer(skeleton: GraphSkeleton): { nodes: Set<number>; hidden: string } | undefined {
  const producer = new Map<string, number>();
  skeleton.nodes.forEach((n, i) => n.output.forEach((name) => name && producer.set(name, i)));
  const fixed = constants(skeleton);
  const nodes = new Set<number>();
  const hidden = new Set<string>();
  const pending = ['logits'];
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (fixed.has(name)) continue;
    const at = producer.get(name);
    if (at === undefined) return undefined; // a graph input: not computed from the hidden states alone
    if (nodes.has(at)) continue;
    const node = skeleton.nodes[at]!;
    const opType = node.opType ?? '';
    if (!DOMAINS.has(node.domain ?? '')) return undefined;
    nodes.add(at);
    if (ELEMENTWISE.has(opType)) pending.push(...node.input.filter((i) => i !== ''));
    else if (opType === 'DynamicQuantizeLinear') hidden.add(node.input[0]!);
    else if (PRODUCTS.has(opType)) {
      if (opType === 'Gemm' && node.attribute.some((a) => a.name === 'transA' && Number(a.i) !== 0)) return undefined;
      const [rows, ...rest] = node.input;
      // MatMulInteger's scale and zero point of its rows come from the DynamicQuantizeLinear that quantized them.
      if (rest.some((i) => i && !fixed.has(i) && !isQuantizationOf(skeleton, producer, i))) return undefined;
      const quantized = producer.get(rows ?? '');
      if (quantized !== undefined && skeleton.nodes[quantized]!.opType === 'DynamicQuantizeLinear') pending.push(rows!, ...rest);
      else hidden.add(rows ?? '');
      pending.push(...rest.filter((i) => i !== ''));
    } else return undefined;
  }
  if (hidden.size !== 1 || hidden.has('') || ![...nodes].some((i) => PRODUCTS.has(skeleton.nodes[i]!.opType ?? ''))) return undefined;
  const layerOutputs = new Set([...nodes].flatMap((i) => skeleton.nodes[i]!.output).filter((o) => o && o !== 'logits'));
  const readOutside = skeleton.nodes.some((n, i) => !nodes.has(i) && n.input.some((x) => layerOutputs.has(x)));
  if (readOutside || skeleton.outputs.some((v) => layerOutputs.has(v.name))) return undefined;
  return { nodes, hidden: [...hidden][0]! };
}

/** Whether `name` is a zero point or scale a DynamicQuantizeLinear computed (MatMulInteger's third input). */
function isQuantizationOf(skeleton: GraphSkeleton, producer: Map<string, number>, name: string): boolean {
  const at = producer.get(name);
  return at !== undefined && skeleton.nodes[at]!.opType === 'DynamicQuantizeLinear' && skeleton.nodes[at]!.output[0] !== name;
}

/**
 * The graph fields to replace and append so that the model has a `num_logits_to_keep` input (int64 scalar) that its
 * output layer honours (preparedModel.ts splices them into a copy), or undefined where the graph has the input
 * already or does not qualify (see outputLayer; no subgraphs).
 */
export function logitsToKeepSplice(skeleton: GraphSkeleton): { replaced: FieldReplacement[]; appended: Uint8Array } | undefined {
  const plan = logitsToKeepPlan(skeleton);
  if (!plan) return undefined;
  const { layer } = plan;
  const rows = `${PREFIX}rows`;
  const slicing = [
    onnx.NodeProto.create({ name: `${PREFIX}keep`, opType: 'Reshape', input: [LOGITS_TO_KEEP_INPUT, `${PREFIX}one_dim`], output: [`${PREFIX}keep`] }),
    // A negative start counts from the end; -0 keeps every row, and more rows than the pass has clamp to all.
    onnx.NodeProto.create({ name: `${PREFIX}start`, opType: 'Neg', input: [`${PREFIX}keep`], output: [`${PREFIX}start`] }),
    // The positions axis is the second to last: [batch, positions, hidden], or [positions, hidden] flattened.
    onnx.NodeProto.create({ name: rows, opType: 'Slice', input: [layer.hidden, `${PREFIX}start`, `${PREFIX}end`, `${PREFIX}axis`], output: [rows] }),
  ];
  // Each node of the layer that reads the hidden states reads the kept rows instead; the slicing goes before the first.
  const readers = [...layer.nodes].filter((i) => skeleton.nodes[i]!.input.includes(layer.hidden)).sort((a, b) => a - b);
  const replaced = readers.map((i, k) => {
    const node = skeleton.nodes[i]!;
    const edited = onnx.NodeProto.create({ ...node, input: node.input.map((name) => (name === layer.hidden ? rows : name)) });
    return { ...skeleton.nodeFields[i]!, bytes: onnx.GraphProto.encode({ node: k === 0 ? [...slicing, edited] : [edited] }).finish() };
  });
  const added = onnx.GraphProto.encode({
    initializer: [int64s(`${PREFIX}one_dim`, [1n]), int64s(`${PREFIX}end`, [9223372036854775807n]), int64s(`${PREFIX}axis`, [-2n])],
    input: [onnx.ValueInfoProto.create({ name: LOGITS_TO_KEEP_INPUT, type: { tensorType: { elemType: onnx.TensorProto.DataType.INT64, shape: { dim: [] } } } })],
  }).finish();
  return { replaced, appended: added };
}

/** What the rewrite would change, or undefined where it does not apply (logitsToKeepSplice). */
function logitsToKeepPlan(skeleton: GraphSkeleton): { layer: { nodes: Set<number>; hidden: string } } | undefined {
  if ((skeleton.opset ?? 0) < MIN_OPSET) return undefined;
  if (skeleton.inputs.some((v) => v.name === LOGITS_TO_KEEP_INPUT) || !skeleton.outputs.some((v) => v.name === 'logits')) return undefined;
  if (hasSubgraphs(skeleton.nodes)) return undefined;
  const names = [...skeleton.inputs.map((v) => v.name), ...skeleton.initializers.map((w) => w.name), ...skeleton.nodes.flatMap((n) => [...n.output, n.name])];
  if (names.some((name) => name?.startsWith(PREFIX))) return undefined;
  const layer = outputLayer(skeleton);
  return layer && { layer };
}
