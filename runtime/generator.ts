// The decoding loop: prefill the prompt (keeping only the last row of logits), then one token per step with the
// KV cache fed back as-is. Checks the abort signal before every step and yields to the event loop between steps,
// so an abort message (e.g. from the worker's parent) is seen within one step.
import type { DecoderModel } from './decoderModel';
import type { GenerateHooks, GenerateRequest, GenerateResult, StopReason } from './engine';
import { InferenceFailedError, PromptTooLongError } from './errors';
import { Sampler } from './sampler';
import { StopRules, StopStringFilter } from './stopRules';
import type { StreamingDecoder } from './tokenizer';

export interface GeneratorDeps {
  model: DecoderModel;
  tokenizer: { streamingDecoder(): StreamingDecoder };
  eosTokenIds: readonly number[];
  /** Positions the model can address; prompt + generated tokens never exceed it. */
  maxContext: number;
  now?: () => number;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export class Generator {
  private readonly now: () => number;

  constructor(private readonly deps: GeneratorDeps) {
    this.now = deps.now ?? (() => performance.now());
  }

  async generate(request: GenerateRequest, hooks: GenerateHooks = {}): Promise<GenerateResult> {
    const { model, maxContext } = this.deps;
    const { promptIds } = request;
    const start = this.now();
    if (promptIds.length === 0) throw new InferenceFailedError('The prompt is empty; there is nothing to continue.');
    if (promptIds.length >= maxContext) {
      throw new PromptTooLongError(`The prompt has ${promptIds.length} tokens; the model's context holds ${maxContext}.`);
    }
    const rules = new StopRules(this.deps.eosTokenIds, Math.min(request.maxNewTokens, maxContext - promptIds.length));
    const sampler = new Sampler(request.sampling);
    const decoder = this.deps.tokenizer.streamingDecoder();
    const filter = new StopStringFilter(request.stopStrings);
    const tokenIds: number[] = [];
    let text = '';
    const emit = (delta: string) => {
      if (!delta) return;
      text += delta;
      hooks.onText?.(delta);
    };

    let stopReason: StopReason = 'length';
    let prefillMs = 0;
    let firstTokenAt: number | undefined;
    let kv = model.emptyKv();
    let input: readonly number[] = promptIds;
    while (!rules.budgetReached(tokenIds.length)) {
      await yieldToEventLoop();
      if (hooks.signal?.aborted) {
        stopReason = 'aborted';
        break;
      }
      const stepStart = this.now();
      const step = await model.forward(input, kv, 1);
      if (input === promptIds) prefillMs = this.now() - stepStart;
      kv = step.kv;
      const id = sampler.sample(step.logits[step.logits.length - 1]);
      firstTokenAt ??= this.now();
      if (rules.isEos(id)) {
        stopReason = 'eos';
        break;
      }
      tokenIds.push(id);
      const { text: delta, stopped } = filter.push(decoder.push(id));
      emit(delta);
      if (stopped) {
        stopReason = 'stop';
        break;
      }
      input = [id];
    }
    if (stopReason !== 'stop') {
      const { text: delta, stopped } = filter.push(decoder.flush());
      emit(delta);
      if (stopped) stopReason = 'stop';
      else emit(filter.flush());
    }

    const end = this.now();
    const decodeMs = firstTokenAt === undefined ? 0 : end - firstTokenAt;
    return {
      text,
      tokenIds,
      stopReason,
      timings: {
        promptTokens: promptIds.length,
        generatedTokens: tokenIds.length,
        prefillMs,
        firstTokenMs: firstTokenAt === undefined ? 0 : firstTokenAt - start,
        totalMs: end - start,
        decodeTokensPerSecond: tokenIds.length > 1 && decodeMs > 0 ? ((tokenIds.length - 1) * 1000) / decodeMs : 0,
      },
    };
  }
}
