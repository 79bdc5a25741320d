// How the generation loop gets its next tokens. The plain stepper runs one target pass per token; the
// speculative one (speculative/speculativeStepper.ts) may commit several tokens per target pass.
import type { DecoderModel, KvState } from './decoderModel';
import { logNormalizer } from './logSumExp';
import type { PrefixKvCache } from './prefixKvCache';
import type { Sampler } from './sampler';
import type { TokenConstraint } from './tokenHealing';

export interface TokenStepper {
  /** Runs the prompt through the model and returns the first generated token. */
  prefill(promptIds: readonly number[]): Promise<number>;
  /** Prompt tokens the prefill took from the prefix cache instead of running them. */
  readonly cachedPromptTokens: number;
  /**
   * Commits at least one and at most `maxTokens` further tokens. Stops early without committing anything
   * (returns []) when `signal` is aborted between internal passes.
   */
  advance(maxTokens: number, signal?: AbortSignal): Promise<number[]>;
  /** With scoring on: the log-probabilities of the tokens the last prefill or advance returned, in order; else empty. */
  readonly logProbs: readonly number[];
}

/** A token's log-probability in the logits row it was chosen from. */
export function tokenLogProb(row: Float32Array, token: number): number {
  return row[token]! - logNormalizer(row);
}

export class PlainStepper implements TokenStepper {
  private kv: KvState;
  private pending = -1;
  cachedPromptTokens = 0;
  logProbs: number[] = [];

  constructor(
    private readonly model: DecoderModel,
    private readonly sampler: Sampler,
    private readonly prefixCache?: PrefixKvCache,
    private readonly constraint?: TokenConstraint,
    private readonly scoring = false,
  ) {
    this.kv = model.emptyKv();
  }

  async prefill(promptIds: readonly number[]): Promise<number> {
    const out = await prefillPrompt(this.model, this.prefixCache, promptIds);
    this.kv = out.kv;
    this.cachedPromptTokens = out.reused;
    return this.choose(out.logits);
  }

  async advance(): Promise<number[]> {
    return [await this.step([this.pending])];
  }

  private async step(ids: readonly number[]): Promise<number> {
    const out = await this.model.forward(ids, this.kv, 1);
    this.kv = out.kv;
    return this.choose(out.logits[out.logits.length - 1]!);
  }

  private choose(row: Float32Array): number {
    this.constraint?.mask(row);
    this.pending = this.sampler.sample(row);
    if (this.scoring) this.logProbs = [tokenLogProb(row, this.pending)];
    return this.pending;
  }
}

/**
 * Runs the prompt from its longest cached prefix, stores its state in the cache, and returns the last position's
 * logits with the extended cache. A prompt the cache holds exactly runs nothing (PrefixKvCache.repeat).
 */
export async function prefillPrompt(model: DecoderModel, cache: PrefixKvCache | undefined, promptIds: readonly number[]) {
  const repeat = cache?.repeat(promptIds);
  if (repeat !== undefined) return { ...repeat, reused: promptIds.length };
  const hit = prefillStart(model, cache, promptIds);
  const out = await model.forward(promptIds.slice(hit.reused), hit.kv, 1);
  const logits = out.logits[out.logits.length - 1]!;
  cache?.store(promptIds, out.kv, logits);
  return { kv: out.kv, logits, reused: hit.reused };
}

/** Lets messages queued on the event loop (an abort from the worker's parent) through between decoding steps. */
export const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Where a prefill starts: the longest cached prefix of the prompt, or an empty cache. */
export function prefillStart(model: DecoderModel, cache: PrefixKvCache | undefined, promptIds: readonly number[]) {
  return cache ? cache.lookup(promptIds) : { kv: model.emptyKv(), reused: 0 };
}
