// Locus's own runtime (runtime/: OrtDecoderModel through loadDecoder, and the Generator the inference worker
// uses) on the same ONNX file and the same token ids, greedy. `locus` decodes one token per pass (speculation
// 'off', the like-for-like row); `locus+spec` uses speculation 'auto' with the draft model when the model folder
// has a sibling `draft/` (models/default/target -> models/default/draft), prompt lookup alone otherwise.
// The prefix cache is cleared before every run, so every run prefills its whole prompt cold.
import { existsSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { GREEDY_SAMPLING, type Quantization, type SpeculationMode } from '../../runtime/engine';
import { Generator } from '../../runtime/generator';
import { loadDecoder, type LoadedDecoder } from '../../runtime/modelLoader';
import { TokenDecoder } from '../../runtime/tokenizer';
import { aggregate, timedRuns } from './timing';
import type { BenchPrompt, PromptResult, Runner, RunnerInput, RunnerResult } from './types';

const QUANTIZATION_BY_FILE: Record<string, Quantization> = {
  'model.onnx': 'fp32',
  'model_fp16.onnx': 'fp16',
  'model_int8.onnx': 'int8',
  'model_quantized.onnx': 'int8',
  'model_q4.onnx': 'q4',
};

/** The sibling draft model of a model pair, if there is one. */
export function siblingDraft(modelDir: string): string | undefined {
  const draft = join(dirname(resolve(modelDir)), 'draft');
  return draft !== resolve(modelDir) && existsSync(join(draft, 'config.json')) ? draft : undefined;
}

export interface LocusRunnerResult extends Omit<RunnerResult, 'peakRssMiB'> {
  speculation: SpeculationMode;
  draft?: string;
  /** Speculative rounds' drafted and accepted tokens over the reported (median) runs. */
  drafted: number;
  accepted: number;
  /** The folder's 8-bit file the runtime prefilled on (a large 4-bit file's rule, runtime/prefillFile.ts), relative to the model folder, or `its 8-bit copy`. */
  prefillOn?: string;
}

async function runLocus(input: RunnerInput, mode: SpeculationMode): Promise<LocusRunnerResult> {
  const quantization = QUANTIZATION_BY_FILE[basename(input.file)];
  if (!quantization || dirname(input.file) !== 'onnx') throw new Error(`Locus's runtime cannot address ${input.file}`);
  const t0 = performance.now();
  // Decode-only, as the product's inference worker: the prompts come as token ids.
  const tokenizer = TokenDecoder.fromDirectory(input.modelDir);
  const target = await loadDecoder(input.modelDir, quantization, input.threads, tokenizer.vocabSize);
  const draftDir = mode === 'off' ? undefined : siblingDraft(input.modelDir);
  let draft: LoadedDecoder | undefined;
  if (draftDir) draft = await loadDecoder(draftDir, 'auto', input.threads, tokenizer.vocabSize);
  const generator = new Generator({
    model: target.model,
    draft: draft?.model,
    tokenizer,
    // No EOS: every run decodes exactly newTokens tokens, as the other runners do (min_new_tokens, yieldEogToken).
    eosTokenIds: [],
    maxContext: target.config.maxPositionEmbeddings,
  });
  const loadMs = performance.now() - t0;
  const stats = new Map<PromptResult, { drafted: number; accepted: number }>();

  const runOnce = async (prompt: BenchPrompt, newTokens: number): Promise<PromptResult> => {
    generator.clearPrefixCache();
    const r = await generator.generate({
      promptIds: prompt.ids,
      maxNewTokens: newTokens,
      sampling: GREEDY_SAMPLING,
      stopStrings: [],
      speculation: mode,
    });
    const { firstTokenMs, totalMs } = r.timings;
    const n = r.tokenIds.length;
    const result: PromptResult = {
      name: prompt.name,
      promptTokens: prompt.ids.length,
      newTokens: n,
      ttftMs: firstTokenMs,
      prefillTokPerS: (prompt.ids.length / firstTokenMs) * 1000,
      decodeTokPerS: n > 1 ? ((n - 1) / (totalMs - firstTokenMs)) * 1000 : 0,
      generated: r.tokenIds,
    };
    stats.set(result, { drafted: r.speculation?.drafted ?? 0, accepted: r.speculation?.accepted ?? 0 });
    return result;
  };

  const perPrompt = await timedRuns(input, runOnce);
  const drafted = perPrompt.reduce((s, p) => s + (stats.get(p)?.drafted ?? 0), 0);
  const accepted = perPrompt.reduce((s, p) => s + (stats.get(p)?.accepted ?? 0), 0);
  // The folder's file by its name; the copy built for a 4-bit-only folder (runtime/prefillCopyCache.ts) as such.
  const inFolder = target.model.prefillFile && relative(input.modelDir, target.model.prefillFile);
  const prefillOn = inFolder && (inFolder.startsWith('..') ? 'its 8-bit copy' : inFolder);
  await target.model.dispose();
  await draft?.model.dispose();
  return {
    runner: mode === 'off' ? 'locus' : 'locus+spec',
    file: input.file,
    threads: input.threads,
    loadMs,
    ...aggregate(perPrompt),
    perPrompt,
    speculation: mode,
    draft: draftDir && draft ? join(draftDir, draft.files.onnxFile) : undefined,
    drafted,
    accepted,
    prefillOn,
  };
}

export const runLocusPlain: Runner = (input) => runLocus(input, 'off');
export const runLocusSpeculative: Runner = (input) => runLocus(input, 'auto');
