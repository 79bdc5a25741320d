// The requests an engine runs once in the background after a load, so that the user's first completions do not
// pay for first touches of memory: onnxruntime's arenas, the allocator's heap and the JS heap grow during the first
// full-size passes, and on this VM a page touched for the first time costs ~15 µs. Without it, the first two
// 128-token prompts after a load decoded at 3-4x the steady time per token (~12,000 page faults); through the
// server, the first completion after a start took 177 ms at p50 against 139 with it, and later ones the same
// (bench/results/first-completions-warm-up-ab-2026-12-05.md).
import { GREEDY_SAMPLING, type GenerateRequest, type WarmUpShape } from './engine';

/** Enough steps to grow the KV cache past a page boundary per layer, and to run a few speculative rounds. */
export const WARM_UP_NEW_TOKENS = 16;
/** Distinct ids in the warm-up prompt: it repeats, so prompt lookup can draft and verification passes run too. */
const PERIOD = 61;

/** The warm-up prompt: `shape.promptTokens` ids (cut to fit `maxContext`) cycling through the middle of the vocabulary. */
export function warmUpPromptIds(shape: WarmUpShape, maxContext: number, vocabSize: number): number[] {
  const length = Math.max(1, Math.min(shape.promptTokens, maxContext - WARM_UP_NEW_TOKENS - 1));
  const first = Math.floor(vocabSize / 2);
  return Array.from({ length }, (_, i) => (first + (i % PERIOD)) % vocabSize);
}

/** One request per decoding path the server uses: beam search (single-line) when asked for, then greedy with speculation. */
export function warmUpRequests(shape: WarmUpShape, maxContext: number, vocabSize: number): GenerateRequest[] {
  const base = { promptIds: warmUpPromptIds(shape, maxContext, vocabSize), maxNewTokens: WARM_UP_NEW_TOKENS, sampling: GREEDY_SAMPLING, stopStrings: [] };
  const greedy: GenerateRequest = { ...base, speculation: 'auto' };
  return shape.beamWidth > 1 ? [{ ...base, beamWidth: shape.beamWidth }, greedy] : [greedy];
}
