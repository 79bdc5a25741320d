// The shipped target as Optimum exports a decoder: without the `num_logits_to_keep` input (logitsToKeepModel.ts
// adds it back at load, int8PrefillFile.ts in the copies it writes).
import { onnx } from 'onnx-proto';
import { LOGITS_TO_KEEP_INPUT } from '../../runtime/logitsToKeepModel';

const ROW_PICKERS = new Set(['Slice', 'Gather']);

/** The model without its num_logits_to_keep input: the nodes that read it go, and the output layer reads the rows they sliced from. */
export function withoutLogitsToKeep(bytes: Uint8Array): Uint8Array {
  const model = onnx.ModelProto.decode(bytes);
  const graph = model.graph!;
  const derived = new Set([LOGITS_TO_KEEP_INPUT]);
  const chain = new Set<onnx.INodeProto>();
  for (const node of graph.node!) {
    if (node.input!.some((i) => derived.has(i))) {
      chain.add(node);
      // The Slice's (or Gather's) output is the rows the output layer reads: what follows it stays.
      if (!ROW_PICKERS.has(node.opType!) || derived.has(node.input![0]!)) node.output!.forEach((o) => derived.add(o));
    }
  }
  const slice = [...chain].find((n) => ROW_PICKERS.has(n.opType!) && !derived.has(n.input![0]!))!;
  graph.node = graph.node!.filter((n) => !chain.has(n));
  for (const node of graph.node) node.input = node.input!.map((i) => (i === slice.output![0] ? slice.input![0]! : i));
  graph.input = graph.input!.filter((v) => v.name !== LOGITS_TO_KEEP_INPUT);
  return onnx.ModelProto.encode(model).finish();
}
