// Writes a large model file as the runtime prepares it (preparedModel.ts: the `num_logits_to_keep` input, int8
// compute, a 4-bit output layer, fused attention) to a file, to be kept (prefillCopyCache.ts) and loaded from its path at later loads.
// Prepared in memory at every load, a 0.5B model's 395 MB 4-bit file took ~2.8 s longer to load than from its path
// (bench/results/attention-fusion-2026-12-05.md; loaded from its kept copy, 2.06x faster and ~340 MiB less resident,
// prepared-copy-2026-12-05.md) and one more copy of the file in memory while it loaded. Written piece by piece: the
// weights are copied from the file as they are (a float32 output layer quantized as it is written). Pure but for the
// files it reads and writes.
import { withFile, graphSkeleton, splicedModelLength, writeSplicedModel } from './onnxSkeleton';
import { preparedSplice, type PrepareOptions } from './preparedModel';

/**
 * What a kept prepared file holds, as a number: kept files of another version are rebuilt. Bump it when a rewrite in
 * preparedModel.ts (logitsToKeepModel.ts, accuracyLevel.ts, outputLayerQuantization.ts, attentionFusion.ts) changes.
 */
export const PREPARED_COPY_VERSION = 1;

/**
 * Writes `path` prepared with `prepare` to `dest` where the preparation changes something and `allow` says yes to its
 * size (as memory, then as disk); else says why not, in words. Files whose weights lie in external data files are
 * left to be prepared in memory (the copy would have to name them where they are). Throws only on I/O errors.
 */
export function writePreparedFile(
  path: string,
  dest: string,
  prepare: PrepareOptions,
  allow: (bytes: number, diskBytes: number) => string | undefined,
): { bytes: number } | { skipped: string; unneeded?: true } {
  return withFile(path, (source) => {
    const skeleton = graphSkeleton(source);
    if (!skeleton) return { skipped: 'its graph could not be read (or holds local functions)' };
    if (skeleton.initializers.some((w) => w.location !== undefined)) return { skipped: 'its weights are in external data files' };
    const splice = preparedSplice(skeleton, prepare);
    if (!splice) return { skipped: 'it needs no preparation', unneeded: true };
    const bytes = splicedModelLength(source.length, splice.replaced, splice.appended, splice.modelAppended);
    const refusal = allow(bytes, bytes);
    if (refusal !== undefined) return { skipped: refusal };
    return { bytes: writeSplicedModel(dest, source, skeleton, splice.replaced, splice.appended, splice.modelAppended) };
  });
}
