// Whether a large 4-bit model prefills on its folder's 8-bit file (runtime/modelFiles.ts finds it). Such a file gets
// no copy built in memory (ortBackend.ts), but Optimum-style folders often hold an 8-bit file of the same model, whose
// int8 GEMM prefills faster than the 4-bit kernel: the 0.5B-shaped model's 512-token prompt in 471 against 1111 ms on
// two threads, for 4-5 s more load and ~450 MiB more memory (bench/results/prefill-file-2026-12-05.md).
import { attentionFusionSplice, type AttentionShape } from './attentionFusion';
import { availableMemory } from './availableMemory';
import type { PrefillFile } from './modelFiles';
import { attentionReadsOnlyValidRows, fileGraphSkeleton } from './onnxSkeleton';

/** The file holds its weights beside the 4-bit ones: it is used while it takes at most this share of the memory left. */
const PREFILL_FILE_MAX_SHARE_OF_AVAILABLE_MEMORY = 0.5;

export function prefillFileFits(bytes: number, available: number = availableMemory()): boolean {
  return bytes <= available * PREFILL_FILE_MAX_SHARE_OF_AVAILABLE_MEMORY;
}

/**
 * The path of the 8-bit file to prefill on, or undefined when it would not fit in memory or, where the 4-bit file
 * shares its cache buffers with onnxruntime (`sharesCacheBuffers`), its attention reads the cache otherwise (it is
 * handed the same buffers), even once fused with `attention`'s shape as it loads (attentionFusion.ts).
 */
export function usablePrefillFile(file: PrefillFile | undefined, sharesCacheBuffers: boolean, available?: number, attention?: AttentionShape): string | undefined {
  if (file === undefined || !prefillFileFits(file.bytes, available)) return undefined;
  if (sharesCacheBuffers) {
    const skeleton = fileGraphSkeleton(file.onnx);
    const fusable = skeleton !== undefined && attention !== undefined && attentionFusionSplice(skeleton, attention) !== undefined;
    if (skeleton === undefined || !(attentionReadsOnlyValidRows(skeleton) || fusable)) return undefined;
  }
  return file.onnx;
}
