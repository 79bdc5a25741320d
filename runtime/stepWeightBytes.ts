// Bytes of weights a decoder reads for each generated token: every weight a node reads, except tables only gathered
// from (an embedding lookup reads one row). Decoding is bound by memory bandwidth, so this is what a decode step
// costs. It tells a well-quantized 4-bit file from one that kept its output layer in float32: exporters leave a tied
// lm_head (MatMul on the transposed embedding, no constant weight to quantize) unquantized, so such a model_q4.onnx
// reads more per token than the folder's model_int8.onnx.
import { type GraphSkeleton, hasSubgraphs } from './onnxSkeleton';

const MS_DOMAIN = 'com.microsoft';

/** Input slots of a gather that read only the rows named by its indices: Gather's data; GatherBlockQuantized's data, scales and zero points. */
function gathersRowsOnly(opType: string, domain: string, slot: number): boolean {
  if (opType === 'Gather' && (domain === '' || domain === 'ai.onnx')) return slot === 0;
  if (opType === 'GatherBlockQuantized' && domain === MS_DOMAIN) return slot === 0 || slot === 2 || slot === 3;
  return false;
}

const FLOAT32 = 1;
/** Default-domain nodes that multiply by a weight as it is stored (a Transpose feeds a tied output layer's MatMul). */
const FLOAT_PRODUCTS = new Set(['MatMul', 'Gemm', 'Transpose']);

export interface StepWeights {
  /** Weight bytes read per decoded token. */
  bytes: number;
  /** Of those, float32 weights of plain matrix products: what a 4-bit export left unquantized. */
  float32MatMulBytes: number;
}

/** What a decode step reads, or undefined for a graph with subgraphs (their reads are not tracked here). */
export function stepWeights(skeleton: GraphSkeleton): StepWeights | undefined {
  if (hasSubgraphs(skeleton.nodes)) return undefined;
  const readWhole = new Set<string>();
  const multiplied = new Set<string>();
  for (const node of skeleton.nodes) {
    const opType = node.opType ?? '';
    const domain = node.domain ?? '';
    node.input.forEach((name, slot) => {
      if (!name) return;
      if (!gathersRowsOnly(opType, domain, slot)) readWhole.add(name);
      if (FLOAT_PRODUCTS.has(opType) && (domain === '' || domain === 'ai.onnx')) multiplied.add(name);
    });
  }
  const result = { bytes: 0, float32MatMulBytes: 0 };
  for (const weight of skeleton.initializers) {
    if (!readWhole.has(weight.name)) continue;
    result.bytes += weight.bytes;
    if (weight.dataType === FLOAT32 && multiplied.has(weight.name)) result.float32MatMulBytes += weight.bytes;
  }
  return result;
}

/** Weight bytes read per decoded token (stepWeights). */
export function stepWeightBytes(skeleton: GraphSkeleton): number | undefined {
  return stepWeights(skeleton)?.bytes;
}
