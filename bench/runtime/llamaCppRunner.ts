// llama.cpp through node-llama-cpp (its prebuilt CPU addon) on the same weights converted to GGUF
// (scripts/gguf/convert.sh) and the same token ids: greedy evaluation, EOS not allowed to stop it.
import { isAbsolute, join } from 'node:path';
import { aggregate, promptResult, timedRuns } from './timing';
import type { BenchPrompt, PromptResult, Runner } from './types';

export const runLlamaCpp: Runner = async (input) => {
  const modelPath = isAbsolute(input.file) ? input.file : join(input.modelDir, input.file);
  const t0 = performance.now();
  // node-llama-cpp is ESM with top-level await: a dynamic import keeps it loadable from this CommonJS-compiled file.
  const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
  const llama = await getLlama({ gpu: false, build: 'never', progressLogs: false, logLevel: LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
  const longest = Math.max(...input.prompts.map((p) => p.ids.length + p.newTokens));
  const context = await model.createContext({
    contextSize: Math.ceil((longest + 64) / 256) * 256,
    batchSize: 512,
    threads: input.threads,
    sequences: 1,
  });
  const sequence = context.getSequence();
  const loadMs = performance.now() - t0;

  const runOnce = async (prompt: BenchPrompt, newTokens: number): Promise<PromptResult> => {
    await sequence.clearHistory(); // no prefix reuse between runs: every run prefills the whole prompt
    const times: number[] = [];
    const generated: number[] = [];
    const start = performance.now();
    for await (const token of sequence.evaluate(prompt.ids as never[], { temperature: 0, yieldEogToken: true })) {
      times.push(performance.now());
      generated.push(token as number);
      if (generated.length >= newTokens) break;
    }
    return promptResult(prompt, start, times, generated);
  };

  const perPrompt = await timedRuns(input, runOnce);
  await context.dispose();
  await model.dispose();
  await llama.dispose();
  return { runner: 'llama.cpp', file: input.file, threads: input.threads, loadMs, ...aggregate(perPrompt), perPrompt };
};
