// How the generation loop gets its next tokens. The plain stepper runs one target pass per token; the
// speculative one (speculative/speculativeStepper.ts) may commit several tokens per target pass.
import type { DecoderModel, KvState } from './decoderModel';
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
}

export class PlainStepper implements TokenStepper {
  private kv: KvState;
  private pending = -1;
  cachedPromptTokens = 0;

  constructor(
    private readonly model: DecoderModel,
    private readonly sampler: Sampler,
    private readonly prefixCache?: PrefixKvCache,
    private readonly constraint?: TokenConstraint,
  ) {
    this.kv = model.emptyKv();
  }

  async prefill(promptIds: readonly number[]): Promise<number> {
    const hit = prefillStart(this.model, this.prefixCache, promptIds);
    this.kv = hit.kv;
    this.cachedPromptTokens = hit.reused;
    const first = await this.step(promptIds.slice(hit.reused));
    this.prefixCache?.store(promptIds, this.kv);
    return first;
  }

  async advance(): Promise<number[]> {
    return [await this.step([this.pending])];
  }

  private async step(ids: readonly number[]): Promise<number> {
    const out = await this.model.forward(ids, this.kv, 1);
    this.kv = out.kv;
    const row = out.logits[out.logits.length - 1];
    this.constraint?.mask(row);
    this.pending = this.sampler.sample(row);
    return this.pending;
  }
}

/** Where a prefill starts: the longest cached prefix of the prompt, or an empty cache. */
export function prefillStart(model: DecoderModel, cache: PrefixKvCache | undefined, promptIds: readonly number[]) {
  return cache ? cache.lookup(promptIds) : { kv: model.emptyKv(), reused: 0 };
}
