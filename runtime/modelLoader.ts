// Loads one decoder from a model directory: checks its files and that they fit in memory, parses config.json,
// checks a large file's declared signature against it, finds or writes a large file as the runtime prepares it, the
// 8-bit file a large 4-bit model prefills long prompts on and the graph its decode steps then run on (all kept in the
// cache folder), creates the ORT sessions (a large file's from onnxruntime's optimized copies, kept there too:
// optimizedSession.ts), validates the signature, and runs one warm-up token to check the logits width against the
// tokenizer.
import { basename, dirname } from 'node:path';
import type { Quantization } from './engine';
import { checkConfigVocab, checkLogitsWidth, checkSignature, checkVocabSize } from './signature';
import { LOGITS_TO_KEEP_INPUT } from './logitsToKeepModel';
import { assertModelFits, locateModelFiles, type ModelFiles, type PrefillFile } from './modelFiles';
import { declaredSignature, fileGraphSkeleton } from './onnxSkeleton';
import { readModelConfig, type ModelConfig } from './modelConfig';
import { fusableAttention, isLargeModelFile, OrtDecoderModel } from './ortBackend';
import { describePreparation } from './preparedModel';
import { defaultModelCacheFolder } from './modelCacheFolder';
import { decodeStepCopy, markCopyUnused, prefillCopy, preparedCopy, type PrefillCopy } from './prefillCopyCache';
import { prefillFileFits } from './prefillFile';

export interface LoadedDecoder {
  files: ModelFiles;
  config: ModelConfig;
  model: OrtDecoderModel;
  logitsWidth: number;
  /** What became of the 8-bit copy a large 4-bit file without an 8-bit file of its own gets, in words; absent for other files. */
  prefillCopy?: string;
  /** What the runtime changed in the file as it loaded it (preparedModel.ts), in words; absent where nothing. */
  preparation?: string;
}

/** `onProgress`: told when a long step starts (building the 8-bit copy), in words. */
export async function loadDecoder(
  dir: string,
  quantization: Quantization,
  threads: number,
  tokenizerVocab: number,
  cacheFolder?: string,
  onProgress?: (message: string) => void,
): Promise<LoadedDecoder> {
  const files = locateModelFiles(dir, quantization);
  assertModelFits(files);
  const config = readModelConfig(dir);
  checkConfigVocab(config.vocabSize, tokenizerVocab, `model in ${dir}`);
  const onBuild = (bytes: number) => onProgress?.(`Building an 8-bit copy of ${files.onnxFile} for long prompts (${Math.round(bytes / 1e6)} MB, once: later loads reuse it).`);
  const folder = cacheFolder ?? defaultModelCacheFolder();
  const prepare = { logitsToKeep: true, attention: fusableAttention(config) };
  const onPrepare = (bytes: number) => onProgress?.(`Writing ${files.onnxFile} as Locus runs it (${Math.round(bytes / 1e6)} MB, once: later loads reuse it).`);
  const large = isLargeModelFile(files.onnx);
  if (large) {
    // The copies below take seconds and disk: a file that is not the decoder config.json describes says so first.
    const skeleton = fileGraphSkeleton(files.onnx);
    if (skeleton !== undefined) checkSignature(declaredSignature(skeleton), config);
  }
  // A small 4-bit file keeps its copies too (its sessions then load 2-2.6x faster than from graphs rebuilt in memory,
  // ortBackend.ts keptSmall); small files of other formats are rewritten in memory at every load, in a moment.
  const kept = large || needsPrefillCopy(files) ? preparedCopy(files.onnx, folder, prepare, { onBuild: onPrepare }) : undefined;
  const preparedFile = kept !== undefined && 'file' in kept ? { onnx: kept.file, options: prepare } : undefined;
  // Made from the prepared file where there is one: it then holds no float32 table that preparation quantized away.
  const copySource = preparedFile?.onnx ?? files.onnx;
  const copy = needsPrefillCopy(files) ? prefillCopy(copySource, folder, { onBuild, attention: fusableAttention(config) }) : undefined;
  const prefillFile = copy === undefined ? files.prefill : 'file' in copy ? copy.file : undefined;
  // Made from the graph the file's session loads: its prepared copy, or the file where it needs no preparation.
  const stepSource = preparedFile?.onnx ?? (kept !== undefined && 'unneeded' in kept ? files.onnx : undefined);
  const onSteps = (bytes: number) => onProgress?.(`Writing ${files.onnxFile}'s decode-step graph (${Math.round(bytes / 1e6)} MB, once: later loads reuse it).`);
  const steps = stepSource !== undefined && prefillFile !== undefined ? decodeStepCopy(stepSource, folder, { onBuild: onSteps }) : undefined;
  const stepFile = steps !== undefined && 'file' in steps ? { onnx: steps.file, source: stepSource! } : undefined;
  const onOptimize = (path: string, bytes: number) =>
    onProgress?.(`Writing onnxruntime's optimized form of ${basename(path)} (${Math.round(bytes / 1e6)} MB and its weights, once: later loads map it instead of reading the file).`);
  const keptCopies = { folder, onBuild: onOptimize };
  const model = await OrtDecoderModel.create(files.onnx, config, threads, { prefillFile, preparedFile, stepFile, keptCopies });
  try {
    // The warm-up also makes the first real request skip ORT's first-run allocations.
    const { logits } = await model.warmUp(config.bosTokenId ?? config.eosTokenIds[0] ?? 0);
    const logitsWidth = logits[0].length;
    checkVocabSize(logitsWidth, config.vocabSize, `model in ${dir}`);
    checkLogitsWidth(logitsWidth, tokenizerVocab, `model in ${dir}`);
    const leftOut = copy !== undefined && 'file' in copy && model.prefillFile !== copy.file.onnx;
    // A small file whose kept copies did not all load runs on its graphs built in memory (ortBackend.ts keptSmall):
    // which copy failed is not known here, so none is marked, and the next load tries them again.
    const inMemory = leftOut && !large;
    const forGood = leftOut && !inMemory && leftOutForGood(copy.file, model);
    if (forGood) markCopyUnused(copy.file.onnx, UNUSED_COPY);
    const fromKept = preparedFile !== undefined && model.preparedPath === preparedFile.onnx;
    // Not loaded: onnxruntime refused it, or its fused attention failed its first pass (reasons that last).
    if (preparedFile !== undefined && !fromKept && !inMemory) markCopyUnused(preparedFile.onnx, 'the runtime did not load it prepared');
    // Left out while long prompts prefill on the 8-bit file: onnxruntime refused it, or it was made from a graph this load refused.
    if (stepFile !== undefined && model.prefillFile !== undefined && model.stepPath !== stepFile.onnx) markCopyUnused(stepFile.onnx, 'the runtime did not load it');
    const builtMs = kept !== undefined && 'builtMs' in kept ? kept.builtMs : undefined;
    const keptNote = fromKept ? ` Kept so in ${dirname(preparedFile.onnx)}${builtMs !== undefined ? ` (written once in ${(builtMs / 1000).toFixed(1)} s)` : ''}.` : '';
    const described = describePreparation(model.preparation, files.onnxFile);
    const stepsBuiltMs = steps !== undefined && 'builtMs' in steps ? steps.builtMs : undefined;
    const stepsNote =
      model.stepPath !== undefined
        ? `Decode steps run on ${files.onnxFile} with its attention decomposed, kept in ${dirname(model.stepPath)}${stepsBuiltMs !== undefined ? ` (written once in ${(stepsBuiltMs / 1000).toFixed(1)} s)` : ''}.`
        : undefined;
    const optimizedNote =
      model.optimizedCopies.length > 0 ? `Sessions load from onnxruntime's optimized copies, mapped: ${model.optimizedCopies.map(dirname).join(', ')}.` : undefined;
    const preparation = [described && described + keptNote, stepsNote, optimizedNote].filter((t) => t !== undefined).join(' ') || undefined;
    return {
      files,
      config,
      model,
      logitsWidth,
      ...(copy !== undefined && { prefillCopy: describeCopy(copy, files.onnxFile, model.prefillFile, forGood, !large, inMemory) }),
      ...(preparation !== undefined && { preparation }),
    };
  } catch (e) {
    await model.dispose();
    throw e;
  }
}

/** Why OrtDecoderModel leaves a copy out (prefillFile.ts, int8PrefillSession in ortBackend.ts): it does not say which. */
const UNUSED_COPY = 'onnxruntime refused it, or its inputs, outputs or attention differ from the 4-bit file\'s';

/**
 * Whether the runtime left the copy out for a reason that lasts (onnxruntime refused it, or it differs from the file),
 * rather than one that may pass: memory short at this load, or the file loaded as exported (without the input the
 * copy has) after onnxruntime refused it prepared.
 */
function leftOutForGood(copy: PrefillFile, model: OrtDecoderModel): boolean {
  if (!prefillFileFits(copy.bytes)) return false;
  const skeleton = fileGraphSkeleton(copy.onnx);
  // A copy that cannot be read is spoilt for good.
  if (skeleton === undefined) return true;
  const hasInput = (names: string[]) => names.includes(LOGITS_TO_KEEP_INPUT);
  return hasInput(model.signature.inputs.map((v) => v.name)) === hasInput(skeleton.inputs.map((v) => v.name));
}

/** A 4-bit file whose folder has no 8-bit file gets a copy to prefill on (prefillCopyCache.ts). */
function needsPrefillCopy(files: ModelFiles): boolean {
  return files.prefill === undefined && files.quantization === 'q4';
}

function describeCopy(copy: PrefillCopy, onnxFile: string, used: string | undefined, forGood: boolean, small: boolean, inMemory: boolean): string {
  if ('skipped' in copy && small) return `No kept 8-bit copy of ${onnxFile}: ${copy.skipped}. Its graphs are built in memory at this load.`;
  if ('skipped' in copy) return `No 8-bit copy of ${onnxFile} for long prompts: ${copy.skipped}. They prefill on the 4-bit weights.`;
  const built = copy.builtMs === undefined ? '' : `, built once in ${(copy.builtMs / 1000).toFixed(1)} s`;
  const where = `${Math.round(copy.file.bytes / 1e6)} MB in ${dirname(copy.file.onnx)}${built}`;
  if (inMemory) return `The kept copies of ${onnxFile} (the 8-bit one: ${where}) were not used at this load: its graphs were built in memory instead; the next load tries them again.`;
  return used === copy.file.onnx
    ? `Long prompts prefill on an 8-bit copy of ${onnxFile} (${where}).`
    : forGood
      ? `The 8-bit copy of ${onnxFile} (${where}) was not used: ${UNUSED_COPY}. Long prompts prefill on the 4-bit weights; later loads do not try it again.`
      : `The 8-bit copy of ${onnxFile} (${where}) was not used at this load (memory, or the file loaded as exported). Long prompts prefill on the 4-bit weights; the next load tries it again.`;
}
