// The decoding loop: prefill the prompt (keeping only the last row of logits), then further tokens from a stepper
// (one per target pass, or several with speculative decoding), with the KV cache fed back as-is. Checks the abort
// signal before every step and yields to the event loop between steps, so an abort message (e.g. from the
// worker's parent) is seen within one step.
import { beamSearch } from './beamSearch';
import type { DecoderModel } from './decoderModel';
import type { GenerateHooks, GenerateRequest, GenerateResult, SpeculationStats, StopReason, TokenScore } from './engine';
import { InferenceFailedError, PromptTooLongError } from './errors';
import { PrefixKvCache } from './prefixKvCache';
import { Sampler } from './sampler';
import { SpeculationTuning } from './speculative/speculationTuning';
import { SpeculativeStepper } from './speculative/speculativeStepper';
import { StopRules, StopStringFilter } from './stopRules';
import type { StreamingDecoder } from './tokenizer';
import { requiredStart, TokenTexts } from './tokenHealing';
import { PlainStepper, type TokenStepper, yieldToEventLoop } from './tokenStepper';

export interface GeneratorDeps {
  model: DecoderModel;
  /** Draft model for speculative decoding (shares the tokenizer). */
  draft?: DecoderModel;
  tokenizer: { streamingDecoder(): StreamingDecoder; decode(ids: readonly number[]): string; readonly vocabSize: number };
  eosTokenIds: readonly number[];
  /** Positions the model can address; prompt + generated tokens never exceed it. */
  maxContext: number;
  now?: () => number;
}

const noSpeculation: SpeculationStats = {
  mode: 'off',
  rounds: 0,
  drafted: 0,
  accepted: 0,
  acceptanceRate: 0,
  byDrafter: { lookup: { drafted: 0, accepted: 0 }, draft: { drafted: 0, accepted: 0 } },
};

export class Generator {
  private readonly now: () => number;
  private readonly targetPrefixCache: PrefixKvCache;
  private readonly draftPrefixCache?: PrefixKvCache;
  private tuning = new SpeculationTuning();
  /** For token healing; built with the generator (one decode per vocabulary entry: ~80 ms for 16k tokens). */
  private readonly tokenTexts: TokenTexts;

  constructor(private readonly deps: GeneratorDeps) {
    this.now = deps.now ?? (() => performance.now());
    this.targetPrefixCache = new PrefixKvCache(deps.model);
    this.draftPrefixCache = deps.draft && new PrefixKvCache(deps.draft);
    this.tokenTexts = TokenTexts.fromDecoder((ids) => deps.tokenizer.decode(ids), deps.tokenizer.vocabSize);
  }

  /** Forgets cached prompt states (benchmarks measure cold prompts this way). */
  clearPrefixCache(): void {
    this.targetPrefixCache.clear();
    this.draftPrefixCache?.clear();
  }

  /** Forgets what speculation learned of draft lengths and speeds (after requests that are not the user's). */
  resetSpeculationTuning(): void {
    this.tuning = new SpeculationTuning();
  }

  async generate(request: GenerateRequest, hooks: GenerateHooks = {}): Promise<GenerateResult> {
    const { model, maxContext } = this.deps;
    const { promptIds } = request;
    const start = this.now();
    if (promptIds.length === 0) throw new InferenceFailedError('The prompt is empty; there is nothing to continue.');
    if (promptIds.length >= maxContext) {
      throw new PromptTooLongError(`The prompt has ${promptIds.length} tokens; the model's context holds ${maxContext}.`);
    }
    checkRequest(request, this.deps.tokenizer.vocabSize);
    const rules = new StopRules(this.deps.eosTokenIds, Math.min(Math.floor(request.maxNewTokens), maxContext - promptIds.length));
    const sampler = new Sampler(request.sampling);
    if (this.beamsFor(request, sampler)) return this.generateWithBeams(request, rules.remaining(0), start, hooks);
    const decoder = this.deps.tokenizer.streamingDecoder();
    const filter = new StopStringFilter(request.stopStrings);
    const required = requiredStart(this.tokenTexts, request, this.deps.eosTokenIds);
    // The required prefix is already in the document: the output starts after it.
    let hidden = request.requiredPrefix?.length ?? 0;
    const afterRequired = (delta: string) => {
      const cut = Math.min(hidden, delta.length);
      hidden -= cut;
      return delta.slice(cut);
    };
    const tokenIds: number[] = [];
    let text = '';
    const emit = (delta: string) => {
      if (!delta) return;
      text += delta;
      hooks.onText?.(delta);
    };

    const scoring = request.scoreTokens === true;
    const mode = request.speculation ?? 'auto';
    const speculative =
      mode === 'off'
        ? undefined
        : new SpeculativeStepper({
            target: model,
            draft: this.deps.draft,
            sampler,
            mode,
            maxContext,
            eosTokenIds: this.deps.eosTokenIds,
            targetPrefixCache: this.targetPrefixCache,
            draftPrefixCache: this.draftPrefixCache,
            // A sampled run's random draws depend on its draft lengths; fresh tuning keeps a seed reproducible.
            tuning: sampler.greedy ? this.tuning : undefined,
            now: this.now,
            constraint: required,
            scoring,
          });
    const stepper: TokenStepper = speculative ?? new PlainStepper(model, sampler, this.targetPrefixCache, required, scoring);
    const tokenScores: TokenScore[] | undefined = scoring ? [] : undefined;
    let queuedScores: number[] = [];
    // Characters decoded after the required prefix, before stop strings cut them: where each token's text ends.
    let streamed = 0;

    let stopReason: StopReason = 'length';
    let constraintFailed = false;
    let prefillMs = 0;
    let firstTokenAt: number | undefined;
    let queue: number[] = [];
    const maxDecodeMs = request.maxDecodeMs ?? Infinity;
    generation: while (!rules.budgetReached(tokenIds.length)) {
      if (queue.length === 0) {
        await yieldToEventLoop();
        if (hooks.signal?.aborted) {
          stopReason = 'aborted';
          break;
        }
        if (firstTokenAt === undefined) {
          const stepStart = this.now();
          queue = [await stepper.prefill(promptIds)];
          queuedScores = [...stepper.logProbs];
          prefillMs = this.now() - stepStart;
          firstTokenAt = this.now();
        } else {
          if (this.now() - firstTokenAt >= maxDecodeMs) {
            stopReason = 'time';
            break;
          }
          queue = await stepper.advance(rules.remaining(tokenIds.length), hooks.signal);
          queuedScores = [...stepper.logProbs];
          if (queue.length === 0) continue;
        }
      }
      let fromThisPass = 0;
      while (queue.length > 0 && !rules.budgetReached(tokenIds.length)) {
        // The pass's first token counts as in plain decoding; the rest of a speculative round is dropped once
        // the request is aborted.
        if (fromThisPass++ > 0 && hooks.signal?.aborted) {
          stopReason = 'aborted';
          break generation;
        }
        const id = queue.shift()!;
        const logProb = queuedScores.shift();
        required?.commit(id);
        if (required?.failed) {
          // The text it had to write cannot be: what came before is no answer (it may be a piece of a word).
          stopReason = 'eos';
          constraintFailed = true;
          break generation;
        }
        if (rules.isEos(id)) {
          stopReason = 'eos';
          break generation;
        }
        tokenIds.push(id);
        hooks.onToken?.(id);
        const piece = afterRequired(decoder.push(id));
        streamed += piece.length;
        if (logProb !== undefined && tokenScores) {
          const score = { logProb, textEnd: streamed };
          tokenScores.push(score);
          hooks.onTokenScore?.(score);
        }
        const { text: delta, stopped } = filter.push(piece);
        emit(delta);
        if (stopped) {
          stopReason = 'stop';
          break generation;
        }
      }
    }
    if (constraintFailed) text = '';
    else if (stopReason !== 'stop') {
      const piece = afterRequired(decoder.flush());
      const last = tokenScores?.at(-1);
      if (last) last.textEnd += piece.length;
      const { text: delta, stopped } = filter.push(piece);
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
      ...(stopReason === 'time' && { timeLimited: true as const }),
      timings: {
        promptTokens: promptIds.length,
        cachedPromptTokens: stepper.cachedPromptTokens,
        generatedTokens: tokenIds.length,
        prefillMs,
        firstTokenMs: firstTokenAt === undefined ? 0 : firstTokenAt - start,
        totalMs: end - start,
        decodeTokensPerSecond: tokenIds.length > 1 && decodeMs > 0 ? ((tokenIds.length - 1) * 1000) / decodeMs : 0,
      },
      ...(tokenScores && !constraintFailed && { tokenScores }),
      speculation: speculative?.stats() ?? noSpeculation,
    };
  }

  private beamsFor(request: GenerateRequest, sampler: Sampler): boolean {
    return (request.beamWidth ?? 1) > 1 && sampler.greedy;
  }

  private async generateWithBeams(request: GenerateRequest, maxNewTokens: number, start: number, hooks: GenerateHooks): Promise<GenerateResult> {
    const { model, tokenizer, eosTokenIds } = this.deps;
    const outcome = await beamSearch(
      { model, prefixCache: this.targetPrefixCache, texts: this.tokenTexts, decode: (ids) => tokenizer.decode(ids), eosTokenIds, now: this.now },
      {
        promptIds: request.promptIds,
        width: request.beamWidth!,
        maxNewTokens,
        stopStrings: request.stopStrings,
        requiredPrefix: request.requiredPrefix,
        wordChoices: request.wordChoices,
        forbiddenStarts: request.forbiddenStarts,
        nonBlank: request.nonBlank,
        maxDecodeMs: request.maxDecodeMs,
      },
      hooks.signal,
    );
    for (const id of outcome.tokenIds) hooks.onToken?.(id);
    if (outcome.text) hooks.onText?.(outcome.text);
    const end = this.now();
    const decodeMs = end - outcome.prefilledAt;
    return {
      text: outcome.text,
      tokenIds: outcome.tokenIds,
      stopReason: outcome.stopReason,
      ...(outcome.timeLimited && { timeLimited: true as const }),
      ...(outcome.alternatives.length > 0 && { alternatives: outcome.alternatives }),
      timings: {
        promptTokens: request.promptIds.length,
        cachedPromptTokens: outcome.cachedPromptTokens,
        generatedTokens: outcome.tokenIds.length,
        prefillMs: outcome.prefilledAt - start,
        firstTokenMs: outcome.prefilledAt - start,
        totalMs: end - start,
        decodeTokensPerSecond: outcome.tokenIds.length > 1 && decodeMs > 0 ? ((outcome.tokenIds.length - 1) * 1000) / decodeMs : 0,
      },
      speculation: noSpeculation,
    };
  }
}

/**
 * The request's numbers, checked where they enter the runtime: a NaN budget decoded to the end of the context and
 * failed there, a negative id was read as another token, and a fractional beam width threw a bare RangeError.
 */
function checkRequest(request: GenerateRequest, vocabSize: number): void {
  if (!Number.isFinite(request.maxNewTokens)) throw new InferenceFailedError(`maxNewTokens must be a number of tokens (got ${request.maxNewTokens}).`);
  const outside = request.promptIds.find((id) => !Number.isInteger(id) || id < 0 || id >= vocabSize);
  if (outside !== undefined) throw new InferenceFailedError(`The prompt holds ${outside}, which is not a token id of the model's vocabulary (0 to ${vocabSize - 1}).`);
  const limit = request.maxDecodeMs;
  if (limit !== undefined && !(limit > 0)) throw new InferenceFailedError(`maxDecodeMs must be a positive number of milliseconds (got ${limit}).`);
  const width = request.beamWidth;
  if (width !== undefined && !(Number.isInteger(width) && width >= 1)) throw new InferenceFailedError(`beamWidth must be a whole number of at least 1 (got ${width}).`);
}
