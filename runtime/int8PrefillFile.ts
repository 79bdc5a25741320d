// Writes the 8-bit copy of a large 4-bit decoder (int8PrefillModel.ts's plan) to a file, for long prompt prefills,
// prepared as the 4-bit file is at load (preparedModel.ts: the `num_logits_to_keep` input, int8 compute, fused
// attention). A 0.5B
// model's copy is ~530 MB: built in memory at every load it would cost seconds and its whole size at once, so it is
// written once, piece by piece (one weight requantized at a time, everything else copied from the 4-bit file as it
// is), and kept (prefillCopyCache.ts). Pure but for the files it reads and writes.
import { renameSync, rmSync } from 'node:fs';
import { int8PrefillPlan } from './int8PrefillModel';
import { graphSkeleton, splicedModelLength, withFile, writeSplicedModel } from './onnxSkeleton';
import { preparedSplice } from './preparedModel';
import type { AttentionShape } from './attentionFusion';

/** onnxruntime parses a model file as one protobuf message, which may not reach 2 GB (its weights are not external here). */
const MAX_COPY_BYTES = 2 ** 31 - 2 ** 20;

/**
 * What a copy holds, as a number: kept copies of another version are rebuilt (prefillCopyCache.ts). Bump it when
 * the rewrite in int8PrefillModel.ts (int8PrefillPlan, requantizeInt8) or in preparedModel.ts changes.
 */
export const INT8_COPY_VERSION = 3;

export type Int8PrefillFileResult = { converted: number; bytes: number } | { skipped: string };

/**
 * Writes the copy of `q4Path` to `dest` (its attention fused with `attention`'s shape where it is plain) when it has
 * 4-bit weights to convert and `allow` says yes to its size
 * (`bytes`, for memory) and the disk it takes while written (`diskBytes`: twice that where it is prepared in a
 * second pass); else says why not, in words. Throws only on I/O errors.
 */
export function writeInt8PrefillFile(
  q4Path: string,
  dest: string,
  allow: (bytes: number, diskBytes: number) => string | undefined = () => undefined,
  attention?: AttentionShape,
): Int8PrefillFileResult {
  const prepare = { logitsToKeep: true, attention };
  const int8 = `${dest}.int8`;
  try {
    const written = withFile(q4Path, (source): Int8PrefillFileResult => {
      const skeleton = graphSkeleton(source);
      if (!skeleton) return { skipped: 'its graph could not be read (or holds local functions)' };
      const plan = int8PrefillPlan(source, skeleton);
      if ('skipped' in plan) return plan;
      // The graph field's length prefix may grow by a byte or two, and the added input by a few hundred: room is what
      // matters here, not the exact count.
      const bytes = splicedModelLength(source.length, plan.replaced, plan.appended);
      if (bytes >= MAX_COPY_BYTES) return { skipped: `it would take ${Math.round(bytes / 1e6)} MB, over the 2 GB onnxruntime reads as one file` };
      const refusal = allow(bytes, preparedSplice(skeleton, prepare) ? 2 * bytes : bytes);
      if (refusal !== undefined) return { skipped: refusal };
      return { converted: plan.converted, bytes: writeSplicedModel(int8, source, skeleton, plan.replaced, plan.appended) };
    });
    if ('skipped' in written) return written;
    const added = withFile(int8, (source) => {
      const skeleton = graphSkeleton(source);
      const splice = skeleton && preparedSplice(skeleton, prepare);
      return splice ? writeSplicedModel(dest, source, skeleton!, splice.replaced, splice.appended, splice.modelAppended) : undefined;
    });
    if (added === undefined) renameSync(int8, dest);
    return { converted: written.converted, bytes: added ?? written.bytes };
  } finally {
    rmSync(int8, { force: true });
  }
}
