// Loads one decoder from a model directory: checks its files and that they fit in memory, parses config.json,
// creates the ORT session, validates the signature, and runs one warm-up token to check the logits width against
// the tokenizer.
import type { Quantization } from './engine';
import { checkLogitsWidth } from './signature';
import { assertModelFits, locateModelFiles, type ModelFiles } from './modelFiles';
import { readModelConfig, type ModelConfig } from './modelConfig';
import { OrtDecoderModel } from './ortBackend';

export interface LoadedDecoder {
  files: ModelFiles;
  config: ModelConfig;
  model: OrtDecoderModel;
  logitsWidth: number;
}

export async function loadDecoder(dir: string, quantization: Quantization, threads: number, tokenizerVocab: number): Promise<LoadedDecoder> {
  const files = locateModelFiles(dir, quantization);
  assertModelFits(files);
  const config = readModelConfig(dir);
  const model = await OrtDecoderModel.create(files.onnx, config, threads, { prefillFile: files.prefill });
  try {
    // The warm-up also makes the first real request skip ORT's first-run allocations.
    const { logits } = await model.warmUp(config.bosTokenId ?? config.eosTokenIds[0] ?? 0);
    const logitsWidth = logits[0].length;
    checkLogitsWidth(logitsWidth, tokenizerVocab, `model in ${dir}`);
    return { files, config, model, logitsWidth };
  } catch (e) {
    await model.dispose();
    throw e;
  }
}
