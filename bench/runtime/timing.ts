// Turns per-token timestamps into the figures every runner reports, so all runners compute them the same way.
import type { BenchPrompt, PromptResult, RunnerInput, RunnerResult } from './types';

/** `tokenTimes[i]` is when generated token i arrived (performance.now()), `start` when the call began. */
export function promptResult(prompt: BenchPrompt, start: number, tokenTimes: number[], generated: number[]): PromptResult {
  const ttftMs = tokenTimes[0] - start;
  const decodeMs = tokenTimes[tokenTimes.length - 1] - tokenTimes[0];
  return {
    name: prompt.name,
    promptTokens: prompt.ids.length,
    newTokens: tokenTimes.length,
    ttftMs,
    prefillTokPerS: (prompt.ids.length / ttftMs) * 1000,
    decodeTokPerS: tokenTimes.length > 1 ? ((tokenTimes.length - 1) / decodeMs) * 1000 : 0,
    generated,
  };
}

/** The run with the median decode speed (runs of one prompt differ only by noise). */
export function medianRun(runs: PromptResult[]): PromptResult {
  const sorted = [...runs].sort((a, b) => a.decodeTokPerS - b.decodeTokPerS);
  return sorted[Math.floor(sorted.length / 2)];
}

/**
 * Every runner's runs: `input.warmUps` untimed full-length runs of every prompt, then `input.repeats` timed runs
 * per prompt, each with the page faults the process took during it; the median run per prompt. The first passes
 * after a load touch fresh memory (onnxruntime's arenas, allocator heaps; ~15 µs a page on this VM): in a probe
 * the first two 128-token runs of a fresh process decoded at 3-4x the steady time per token, so a warm-up of one
 * short run left the first timed runs in that phase and rounds of the same runner apart by up to 2x.
 */
export async function timedRuns(input: RunnerInput, runOnce: (prompt: BenchPrompt, newTokens: number) => Promise<PromptResult>): Promise<PromptResult[]> {
  for (let w = 0; w < input.warmUps; w++) for (const prompt of input.prompts) await runOnce(prompt, prompt.newTokens);
  const perPrompt: PromptResult[] = [];
  for (const prompt of input.prompts) {
    const runs: PromptResult[] = [];
    for (let r = 0; r < input.repeats; r++) {
      const faultsBefore = process.resourceUsage().minorPageFault;
      const run = await runOnce(prompt, prompt.newTokens);
      // Set on the run itself: the Locus runner keys its speculation counts by the result object.
      run.pageFaults = process.resourceUsage().minorPageFault - faultsBefore;
      runs.push(run);
    }
    perPrompt.push(medianRun(runs));
  }
  return perPrompt;
}

export function aggregate(perPrompt: PromptResult[]): Pick<RunnerResult, 'prefillTokPerS' | 'decodeTokPerS' | 'ttftMs'> {
  const ttftSum = perPrompt.reduce((s, p) => s + p.ttftMs, 0);
  const prefillTokens = perPrompt.reduce((s, p) => s + p.promptTokens, 0);
  const decodeTokens = perPrompt.reduce((s, p) => s + p.newTokens - 1, 0);
  const decodeMs = perPrompt.reduce((s, p) => s + (p.decodeTokPerS > 0 ? ((p.newTokens - 1) / p.decodeTokPerS) * 1000 : 0), 0);
  return {
    prefillTokPerS: (prefillTokens / ttftSum) * 1000,
    decodeTokPerS: decodeMs > 0 ? (decodeTokens / decodeMs) * 1000 : 0,
    ttftMs: ttftSum / perPrompt.length,
  };
}
