// Shared shapes for the runtime benchmark runners (issue #9). Every runner takes the same prompts (token ids
// from the model's own tokenizer) and reports the same figures, so Locus's runtime, transformers.js and
// llama.cpp can be put side by side by bench/runtime.ts.

/** One benchmark case: a real code prompt cut to exactly `promptTokens` tokens, then `newTokens` greedy tokens. */
export interface BenchPrompt {
  name: string;
  /** Where the text came from (repo-relative path and offset), for the report. */
  source: string;
  promptTokens: number;
  newTokens: number;
  ids: number[];
}

export interface RunnerInput {
  /** Model directory in the Hugging Face / Optimum layout (config.json, tokenizer.json, onnx/). */
  modelDir: string;
  /** ONNX file relative to modelDir (`onnx/model_q4.onnx`), or a GGUF path (absolute or relative to modelDir). */
  file: string;
  prompts: BenchPrompt[];
  /** Compute threads (ORT intra-op threads, llama.cpp threads). */
  threads: number;
  /** Untimed full-length runs of every prompt before the timed ones (timing.ts's timedRuns says why). */
  warmUps: number;
  /** Timed runs per prompt after the warm-ups; the median run is reported. */
  repeats: number;
}

export interface PromptResult {
  name: string;
  promptTokens: number;
  newTokens: number;
  /** Start of the call to the first generated token: prefill plus one sampling step. */
  ttftMs: number;
  /** promptTokens / TTFT. */
  prefillTokPerS: number;
  /** (newTokens - 1) / (time of last token - time of first token). */
  decodeTokPerS: number;
  /** Greedy output of the median run (for cross-runner sanity checks). */
  generated: number[];
  /** Minor page faults the runner's process took during the run (first touches of memory). */
  pageFaults?: number;
}

export interface RunnerResult {
  runner: string;
  file: string;
  threads: number;
  loadMs: number;
  /** Aggregates over all prompts: sum of prompt tokens / sum of TTFTs. */
  prefillTokPerS: number;
  /** Sum of decoded tokens after the first / sum of their time. */
  decodeTokPerS: number;
  /** Mean TTFT over the prompts. */
  ttftMs: number;
  /** Peak resident set of the child process that ran only this runner (process.resourceUsage().maxRSS). */
  peakRssMiB: number;
  /**
   * Its private resident memory when the runner returned (RssAnon; Linux only): the peak also counts pages of mapped
   * model files, which the page cache shares between processes (llama.cpp's GGUF, Locus's optimized copies).
   */
  privateMiB?: number;
  perPrompt: PromptResult[];
}

export type Runner = (input: RunnerInput) => Promise<Omit<RunnerResult, 'peakRssMiB' | 'privateMiB'>>;
