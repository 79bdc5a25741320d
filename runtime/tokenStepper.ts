// How the generation loop gets its next tokens. The plain stepper runs one target pass per token; the
// speculative one (speculative/speculativeStepper.ts) may commit several tokens per target pass.
import type { DecoderModel, KvState } from './decoderModel';
import type { Sampler } from './sampler';

export interface TokenStepper {
  /** Runs the prompt through the model and returns the first generated token. */
  prefill(promptIds: readonly number[]): Promise<number>;
  /**
   * Commits at least one and at most `maxTokens` further tokens. Stops early without committing anything
   * (returns []) when `signal` is aborted between internal passes.
   */
  advance(maxTokens: number, signal?: AbortSignal): Promise<number[]>;
}

export class PlainStepper implements TokenStepper {
  private kv: KvState;
  private pending = -1;

  constructor(
    private readonly model: DecoderModel,
    private readonly sampler: Sampler,
  ) {
    this.kv = model.emptyKv();
  }

  async prefill(promptIds: readonly number[]): Promise<number> {
    return this.step(promptIds);
  }

  async advance(): Promise<number[]> {
    return [await this.step([this.pending])];
  }

  private async step(ids: readonly number[]): Promise<number> {
    const out = await this.model.forward(ids, this.kv, 1);
    this.kv = out.kv;
    this.pending = this.sampler.sample(out.logits[out.logits.length - 1]);
    return this.pending;
  }
}
