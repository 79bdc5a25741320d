// Bytes of weights a decoder reads for each generated token: every weight a node reads, except tables only gathered
// from (an embedding lookup reads one row). Decoding is bound by memory bandwidth, so this is what a decode step
// costs. It tells a well-quantized 4-bit file from one that kept its output layer in float32: exporters leave a tied
// lm_head (MatMul on the transposed embedding, no constant weight to quantize) unquantized, so such a model_q4.onnx
// reads more per token than the folder's model_int8.onnx.
import type { GraphSkeleton } from './onnxSkeleton';

const MS_DOMAIN = 'com.microsoft';

/** Input slots of a gather that read only the rows named by its indices: Gather's data; GatherBlockQuantized's data, scales and zero points. */
function gathersRowsOnly(opType: string, domain: string, slot: number): boolean {
  if (opType === 'Gather' && (domain === '' || domain === 'ai.onnx')) return slot === 0;
  if (opType === 'GatherBlockQuantized' && domain === MS_DOMAIN) return slot === 0 || slot === 2 || slot === 3;
  return false;
}

/** Weight bytes read per decoded token, or undefined for a graph with subgraphs (their reads are not tracked here). */
export function stepWeightBytes(skeleton: GraphSkeleton): number | undefined {
  if (skeleton.nodes.some((n) => n.attribute.some((a) => a.g || (a.graphs?.length ?? 0) > 0))) return undefined;
  const readWhole = new Set<string>();
  const read = new Set<string>();
  for (const node of skeleton.nodes) {
    node.input.forEach((name, slot) => {
      if (!name) return;
      read.add(name);
      if (!gathersRowsOnly(node.opType ?? '', node.domain ?? '', slot)) readWhole.add(name);
    });
  }
  let bytes = 0;
  for (const weight of skeleton.initializers) if (readWhole.has(weight.name)) bytes += weight.bytes;
  return bytes;
}
