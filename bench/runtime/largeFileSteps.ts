// The files a large 4-bit file runs on beside its folder's 8-bit file, as the runtime loads it (runtime/modelLoader.ts):
// that 8-bit file for long prefills and the kept decode-step file (runtime/decodeStepFile.ts) for steps, for the
// benches that measure a large file as the runtime runs it. For files that need no preparation (the 0.5B-shaped model's).
import { locateModelFiles, type PrefillFile } from '../../runtime/modelFiles';
import type { KeptStepFile } from '../../runtime/ortBackend';
import { defaultModelCacheFolder } from '../../runtime/modelCacheFolder';
import { decodeStepCopy } from '../../runtime/prefillCopyCache';

/** The folder's 8-bit file and the decode-step file of `path` (the 4-bit file in `modelDir`); throws where either is missing. */
export function largeFileStepFiles(modelDir: string, path: string): { prefillFile: PrefillFile; stepFile: KeptStepFile } {
  const prefillFile = locateModelFiles(modelDir, 'q4').prefill;
  if (prefillFile === undefined) throw new Error(`${modelDir}: a large file is measured with its folder's 8-bit file, and it has none`);
  const steps = decodeStepCopy(path, defaultModelCacheFolder());
  if ('skipped' in steps) throw new Error(`${path}: no decode-step file (${steps.skipped})`);
  return { prefillFile, stepFile: { onnx: steps.file, source: path } };
}
