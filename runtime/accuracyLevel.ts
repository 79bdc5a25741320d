// Sets accuracy_level 4 (int8 compute of the activations) on a 4-bit decoder's MatMulNBits nodes that leave it unset.
// transformers.js's quantize script leaves it unset by default, and so do onnx-community's 4-bit files made with it;
// onnxruntime then dequantizes every block to float32 and multiplies in float32, which made the default target's
// decode steps 1.6-1.8x slower (bench/results/kernels-accuracy-level-2026-12-03.md). Level 4 is what
// onnxruntime-genai's builder writes for CPU and what this project's own files use; its per-block int8 rounding of
// the activations moves logits by about 1% (../shared/research/runtime.md). Levels an exporter set (1 for float32
// on purpose) are kept. Only the nodes change: the rewrite is a list of node fields to splice (onnxSkeleton.ts).
import { onnx } from 'onnx-proto';
import { intAttribute, type FieldReplacement, type GraphSkeleton } from './onnxSkeleton';

const MS_DOMAIN = 'com.microsoft';
/** onnxruntime's CompInt8: int8 activations, quantized per block, for the int8 dot-product kernels. */
export const INT8_ACCURACY_LEVEL = 4;

/** The 4-bit MatMulNBits nodes of `skeleton` without an accuracy_level (or with 0, "unset" in the op's schema), by index. */
export function unsetAccuracyNodes(skeleton: GraphSkeleton): number[] {
  const unset: number[] = [];
  skeleton.nodes.forEach((node, i) => {
    // Other bit widths were not measured here.
    if (node.opType !== 'MatMulNBits' || node.domain !== MS_DOMAIN || (intAttribute(node, 'bits') ?? 4) !== 4) return;
    if ((intAttribute(node, 'accuracy_level') ?? 0) === 0) unset.push(i);
  });
  return unset;
}

/** `node` with accuracy_level INT8_ACCURACY_LEVEL, everything else as it is. */
export function withInt8Accuracy(node: onnx.NodeProto): onnx.NodeProto {
  const attribute = [
    ...node.attribute.filter((a) => a.name !== 'accuracy_level'),
    onnx.AttributeProto.create({ name: 'accuracy_level', type: onnx.AttributeProto.AttributeType.INT, i: INT8_ACCURACY_LEVEL }),
  ];
  return onnx.NodeProto.create({ ...node, attribute });
}

/** The skeleton with those nodes set to level 4 (what a splice of the same graph encodes), and how many changed. */
export function int8AccuracySkeleton(skeleton: GraphSkeleton): { skeleton: GraphSkeleton; changed: number[] } {
  const changed = unsetAccuracyNodes(skeleton);
  if (changed.length === 0) return { skeleton, changed };
  const nodes = [...skeleton.nodes];
  for (const i of changed) nodes[i] = withInt8Accuracy(nodes[i]!);
  return { skeleton: { ...skeleton, nodes }, changed };
}

/** Node fields to replace so that a copy of the graph runs those nodes at level 4. */
export function accuracyReplacements(skeleton: GraphSkeleton, changed: number[]): FieldReplacement[] {
  return changed.map((i) => ({ ...skeleton.nodeFields[i]!, bytes: onnx.GraphProto.encode({ node: [skeleton.nodes[i]!] }).finish() }));
}
