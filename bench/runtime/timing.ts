// Turns per-token timestamps into the figures every runner reports, so all runners compute them the same way.
import type { BenchPrompt, PromptResult, RunnerResult } from './types';

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
