// The file as the runtime runs it, where the export leaves out what makes it fast: the `num_logits_to_keep` input
// (logitsToKeepModel.ts), int8 compute on 4-bit matrix products that leave it unset (accuracyLevel.ts) and attention
// as one GroupQueryAttention per layer (attentionFusion.ts). All are edits of graph fields, spliced into one copy of
// the file (onnxSkeleton.ts); undefined where none applies.
import { accuracyReplacements, int8AccuracySkeleton } from './accuracyLevel';
import { attentionFusionSplice, type AttentionShape } from './attentionFusion';
import { logitsToKeepSplice } from './logitsToKeepModel';
import { graphSkeleton, splicedModel, withFile, type ByteSource, type FieldReplacement, type GraphSkeleton } from './onnxSkeleton';

/** What preparing a file changes. */
export interface Preparation {
  /** Whether the input is added. */
  addsLogitsToKeep: boolean;
  /** MatMulNBits nodes set to int8 compute. */
  int8Accuracy: number;
  /** Layers whose attention became one GroupQueryAttention. */
  fusedAttention: number;
}

export interface PreparedSplice extends Preparation {
  replaced: FieldReplacement[];
  appended: Uint8Array[];
  modelAppended?: Uint8Array;
}

export interface PrepareOptions {
  /** Whether to add the input where it is missing. */
  logitsToKeep: boolean;
  /** The model's head counts, to fuse its attention; absent: left as it is. */
  attention?: AttentionShape;
}

/** The preparation in words, for the load line; undefined where nothing changed. */
export function describePreparation(p: Preparation | undefined, onnxFile: string): string | undefined {
  if (p === undefined) return undefined;
  const changes = [
    ...(p.addsLogitsToKeep ? ['added num_logits_to_keep (prefills compute logits for the last position only)'] : []),
    ...(p.int8Accuracy > 0 ? [`set int8 compute on ${p.int8Accuracy} 4-bit matrix products that left accuracy_level unset`] : []),
    ...(p.fusedAttention > 0 ? [`fused the attention of ${p.fusedAttention} layers into GroupQueryAttention`] : []),
  ];
  return changes.length === 0 ? undefined : `Prepared ${onnxFile} as it loaded: ${changes.join('; ')}.`;
}

/** What preparing the graph `skeleton` describes changes. */
export function preparedSplice(skeleton: GraphSkeleton, options: PrepareOptions): PreparedSplice | undefined {
  const accuracy = int8AccuracySkeleton(skeleton);
  // The input's splice re-encodes the output layer's nodes from this skeleton, so it carries their new level too.
  const keep = options.logitsToKeep ? logitsToKeepSplice(accuracy.skeleton) : undefined;
  const fusion = options.attention ? attentionFusionSplice(skeleton, options.attention) : undefined;
  if (keep === undefined && accuracy.changed.length === 0 && fusion === undefined) return undefined;
  const byKeep = new Set(keep?.replaced.map((r) => r.start));
  // Fusion drops only nodes nothing reads any more, so the other edits never touch them; where one would, the drop wins.
  const replaced = [
    ...(keep?.replaced ?? []),
    ...accuracyReplacements(accuracy.skeleton, accuracy.changed).filter((r) => !byKeep.has(r.start)),
  ].filter((r) => !fusion?.touched.has(r.start));
  return {
    replaced: [...replaced, ...(fusion?.replaced ?? [])].sort((a, b) => a.start - b.start),
    appended: [...(keep ? [keep.appended] : []), ...(fusion ? [fusion.appended] : [])],
    modelAppended: fusion?.modelAppended,
    addsLogitsToKeep: keep !== undefined,
    int8Accuracy: accuracy.changed.length,
    fusedAttention: fusion?.layers ?? 0,
  };
}

/** The prepared model, or undefined where there is nothing to change. */
export function preparedModel(source: ByteSource, skeleton: GraphSkeleton | undefined = graphSkeleton(source), options: PrepareOptions = { logitsToKeep: true }): Uint8Array | undefined {
  const splice = skeleton && preparedSplice(skeleton, options);
  return splice && splicedModel(source, skeleton!, splice.replaced, splice.appended, splice.modelAppended);
}

/** preparedModel of a file, its weights read once into the new model; undefined where nothing changes or it cannot be read. */
export function filePreparedModel(path: string, skeleton?: GraphSkeleton, options: PrepareOptions = { logitsToKeep: true }): Uint8Array | undefined {
  try {
    return withFile(path, (source) => preparedModel(source, skeleton ?? graphSkeleton(source), options));
  } catch {
    return undefined;
  }
}
