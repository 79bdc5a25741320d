// The file as the runtime runs it, where the export leaves out what makes it fast: the `num_logits_to_keep` input
// (logitsToKeepModel.ts) and int8 compute on 4-bit matrix products that leave it unset (accuracyLevel.ts). Both are
// edits of a few graph fields, spliced into one copy of the file (onnxSkeleton.ts); undefined where neither applies.
import { accuracyReplacements, int8AccuracySkeleton } from './accuracyLevel';
import { logitsToKeepSplice } from './logitsToKeepModel';
import { graphSkeleton, splicedModel, withFile, type ByteSource, type FieldReplacement, type GraphSkeleton } from './onnxSkeleton';

/** What preparing a file changes. */
export interface Preparation {
  /** Whether the input is added. */
  addsLogitsToKeep: boolean;
  /** MatMulNBits nodes set to int8 compute. */
  int8Accuracy: number;
}

export interface PreparedSplice extends Preparation {
  replaced: FieldReplacement[];
  appended: Uint8Array[];
}

/** The preparation in words, for the load line; undefined where nothing changed. */
export function describePreparation(p: Preparation | undefined, onnxFile: string): string | undefined {
  if (p === undefined) return undefined;
  const changes = [
    ...(p.addsLogitsToKeep ? ['added num_logits_to_keep (prefills compute logits for the last position only)'] : []),
    ...(p.int8Accuracy > 0 ? [`set int8 compute on ${p.int8Accuracy} 4-bit matrix products that left accuracy_level unset`] : []),
  ];
  return changes.length === 0 ? undefined : `Prepared ${onnxFile} as it loaded: ${changes.join('; ')}.`;
}

/** What preparing the graph `skeleton` describes changes; `logitsToKeep: false` leaves the input out. */
export function preparedSplice(skeleton: GraphSkeleton, options: { logitsToKeep: boolean }): PreparedSplice | undefined {
  const accuracy = int8AccuracySkeleton(skeleton);
  // The input's splice re-encodes the output layer's nodes from this skeleton, so it carries their new level too.
  const keep = options.logitsToKeep ? logitsToKeepSplice(accuracy.skeleton) : undefined;
  if (keep === undefined && accuracy.changed.length === 0) return undefined;
  const byKeep = new Set(keep?.replaced.map((r) => r.start));
  const replaced = [...(keep?.replaced ?? []), ...accuracyReplacements(accuracy.skeleton, accuracy.changed).filter((r) => !byKeep.has(r.start))];
  return {
    replaced: replaced.sort((a, b) => a.start - b.start),
    appended: keep ? [keep.appended] : [],
    addsLogitsToKeep: keep !== undefined,
    int8Accuracy: accuracy.changed.length,
  };
}

/** The prepared model, or undefined where there is nothing to change. */
export function preparedModel(source: ByteSource, skeleton: GraphSkeleton | undefined = graphSkeleton(source), options = { logitsToKeep: true }): Uint8Array | undefined {
  const splice = skeleton && preparedSplice(skeleton, options);
  return splice && splicedModel(source, skeleton!, splice.replaced, splice.appended);
}

/** preparedModel of a file, its weights read once into the new model; undefined where nothing changes or it cannot be read. */
export function filePreparedModel(path: string, skeleton?: GraphSkeleton, options = { logitsToKeep: true }): Uint8Array | undefined {
  try {
    return withFile(path, (source) => preparedModel(source, skeleton ?? graphSkeleton(source), options));
  } catch {
    return undefined;
  }
}
