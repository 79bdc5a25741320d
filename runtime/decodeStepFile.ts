// Writes a large model file's decode-step graph, with its attention decomposed (decomposedAttention.ts), to a file
// kept in the cache folder (prefillCopyCache.ts) and loaded from its path. It serves a large 4-bit file's steps
// where long prompts prefill on an 8-bit file: onnxruntime's GroupQueryAttention converts and copies a key/value
// head's cache once per query head (seven times in Qwen2.5-Coder-0.5B), which grows with the context. The graph is
// the form with room: it reads the runtime's cache buffers (kvArena.ts) and hands back only the rows each pass adds,
// as the 8-bit file's GroupQueryAttention appends its rows in place, so no step copies the whole cache out to
// JavaScript. Built as edits of the graph's fields, so the weights are copied as they are. Pure but for the files it
// reads and writes.
import { decomposedAttentionSplice } from './decomposedAttention';
import { graphSkeleton, splicedModelLength, withFile, writeSplicedModel } from './onnxSkeleton';

/** What a kept decode-step file holds, as a number: kept files of another version are rebuilt. Bump it when decomposedAttention.ts changes. */
export const DECODE_STEP_COPY_VERSION = 2;

/**
 * Writes `path` with its attention decomposed to `dest` where `allow` says yes to its size (as memory, then as disk);
 * else says why not, in words. Throws only on I/O errors.
 */
export function writeDecodeStepFile(path: string, dest: string, allow: (bytes: number, diskBytes: number) => string | undefined): { bytes: number } | { skipped: string } {
  return withFile(path, (source) => {
    const skeleton = graphSkeleton(source);
    if (!skeleton) return { skipped: 'its graph could not be read (or holds local functions)' };
    const splice = decomposedAttentionSplice(source, skeleton);
    if (!splice) return { skipped: 'its attention is not GroupQueryAttention as the runtime decomposes it, or its weights are in external data files' };
    const bytes = splicedModelLength(source.length, splice.replaced, [splice.appended]);
    const refusal = allow(bytes, bytes);
    if (refusal !== undefined) return { skipped: refusal };
    return { bytes: writeSplicedModel(dest, source, skeleton, splice.replaced, [splice.appended]) };
  });
}
