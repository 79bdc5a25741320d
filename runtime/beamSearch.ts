// Beam search for short, greedy completions: keeps the `width` most likely continuations (by the sum of their
// token log-probabilities) instead of the single most likely next token, and answers the most likely finished
// one. On the held-out single-line FIM cases greedy decoding picks a worse first token where the line as a whole
// is more likely elsewhere: width 3 raised exact match by about 2 points (bench/results/model-eval-*-beam3-*). Continuations far less likely than the
// best candidate of a step are not expanded (PRUNE_MARGIN), so a confident line costs about what greedy costs. The
// continuations of a step run as one batched pass where the backend can batch them (DecoderModel.batch): that reads
// the weights once, where a pass per continuation read them once each.
import { withoutBrokenCharacters } from './brokenCharacter';
import type { DecoderModel, KvBatch, KvState } from './decoderModel';
import { logNormalizer } from './logSumExp';
import type { PrefixKvCache } from './prefixKvCache';
import { requiredStart, type RequiredPrefix, type TokenTexts } from './tokenHealing';
import { prefillPrompt, yieldToEventLoop } from './tokenStepper';

/** Candidates more than this many nats below the step's best are dropped: width 3 kept its gain at 2, lost some at 1. */
export const PRUNE_MARGIN = 2;

export interface BeamSearchRequest {
  promptIds: readonly number[];
  width: number;
  maxNewTokens: number;
  stopStrings: readonly string[];
  requiredPrefix?: string;
  wordChoices?: readonly string[];
  forbiddenStarts?: readonly string[];
  nonBlank?: boolean;
  /** Decoding time after the prompt's pass, as GenerateRequest's. */
  maxDecodeMs?: number;
}

export interface BeamSearchOutcome {
  /** Text after the required prefix, cut before the first stop string. */
  text: string;
  tokenIds: number[];
  stopReason: 'eos' | 'stop' | 'length' | 'aborted' | 'time';
  cachedPromptTokens: number;
  /** When the prompt's pass ended (the first step's logits were ready). */
  prefilledAt: number;
  /** The time limit ended the search, also when it answers a finished line (with that line's stop reason). */
  timeLimited: boolean;
  /**
   * The other lines that finished (at the end of the line or of the text, not at the token cap, where one is cut
   * mid-word), likeliest first, each text once and none the answer's: the runners-up.
   */
  alternatives: string[];
}

export interface BeamSearchDeps {
  model: DecoderModel;
  prefixCache?: PrefixKvCache;
  texts: TokenTexts;
  decode(ids: readonly number[]): string;
  eosTokenIds: readonly number[];
  now: () => number;
}

interface Hypothesis {
  ids: number[];
  logProb: number;
  /** Next-token logits; undefined once finished. */
  logits?: Float32Array;
  /** Its cache: a state of its own, or its row of the batch. */
  kv?: KvState;
  row?: number;
  required?: RequiredPrefix;
  text: string;
  stopReason?: 'eos' | 'stop' | 'length';
}

export async function beamSearch(deps: BeamSearchDeps, request: BeamSearchRequest, signal?: AbortSignal): Promise<BeamSearchOutcome> {
  const { model, prefixCache } = deps;
  const eos = new Set(deps.eosTokenIds);
  const width = Math.max(1, Math.floor(request.width));
  const search = { ...request, width, stopStrings: request.stopStrings.filter((s) => s !== '') };
  await yieldToEventLoop();
  if (signal?.aborted || request.maxNewTokens <= 0) {
    return { text: '', tokenIds: [], stopReason: signal?.aborted ? 'aborted' : 'length', cachedPromptTokens: 0, prefilledAt: deps.now(), timeLimited: false, alternatives: [] };
  }
  const prefill = await prefillPrompt(model, prefixCache, request.promptIds);
  const prefilledAt = deps.now();
  const required = requiredStart(deps.texts, request, deps.eosTokenIds);
  // Made at the first step with several continuations: a confident line, pruned to one all along, needs none.
  const batching: { batch?: KvBatch } = {};
  let live: Hypothesis[] = [{ ids: [], logProb: 0, logits: prefill.logits, kv: prefill.kv, required, text: '' }];
  const finished: Hypothesis[] = [];
  const outcome = (best: Hypothesis, stopReason: BeamSearchOutcome['stopReason'], timeLimited = false): BeamSearchOutcome => ({
    text: shown(best),
    tokenIds: best.ids,
    stopReason,
    cachedPromptTokens: prefill.reused,
    prefilledAt,
    timeLimited,
    alternatives: stopReason === 'aborted' ? [] : runnersUp(finished, best),
  });

  const maxDecodeMs = request.maxDecodeMs ?? Infinity;
  while (live.length > 0) {
    await yieldToEventLoop();
    if (signal?.aborted) return outcome(live[0]!, 'aborted');
    // Out of time: the likeliest finished line, whole (its own stop reason), rather than part of one ('time').
    if (deps.now() - prefilledAt >= maxDecodeMs) {
      const done = mostLikely(finished);
      return done === undefined ? outcome(live[0]!, 'time', true) : outcome(done, done.stopReason!, true);
    }
    const candidates: { from: Hypothesis; id: number; logProb: number }[] = [];
    for (const hypothesis of live) {
      // Normalised before the healed prefix masks the row: a hypothesis scores what the model gives its tokens,
      // so writing the healed text in more, forced, tokens earns it nothing.
      const logits = hypothesis.logits!;
      const logZ = logNormalizer(logits);
      let row = logits;
      if (hypothesis.required) {
        row = logits.slice();
        hypothesis.required.mask(row);
        if (hypothesis.required.failed) continue; // cannot write the healed text: not an answer
      }
      for (const { id, value } of topK(row, width)) candidates.push({ from: hypothesis, id, logProb: hypothesis.logProb + value - logZ });
    }
    candidates.sort((a, b) => b.logProb - a.logProb);
    const next: { grown: Hypothesis; from: Hypothesis; id: number }[] = [];
    let floor = -Infinity;
    let kept = 0;
    for (const { from, id, logProb } of candidates) {
      if (kept === width || logProb < floor) break;
      const grown = extend(deps, search, from, id, logProb, eos);
      // Ending with nothing written is always likely, and never what a completion is asked for: it neither
      // counts towards the width nor sets the pruning floor.
      if (grown.stopReason !== undefined && grown.text.trim() === '') continue;
      if (kept++ === 0) floor = logProb - PRUNE_MARGIN;
      if (grown.stopReason !== undefined) {
        finished.push(grown);
        continue;
      }
      next.push({ grown, from, id });
    }
    if (signal?.aborted) return outcome(live[0]!, 'aborted');
    await advance(model, batching, width, next, signal);
    live = next.map((n) => n.grown);
    // Log-probabilities only fall as a hypothesis grows: a finished one that beats every live one has won.
    const bestFinished = finished.reduce((best, h) => Math.max(best, h.logProb), -Infinity);
    if (live.every((h) => h.logProb <= bestFinished)) break;
  }
  const best = mostLikely([...finished, ...live]);
  if (best === undefined) return { text: '', tokenIds: [], stopReason: 'eos', cachedPromptTokens: prefill.reused, prefilledAt, timeLimited: false, alternatives: [] };
  return outcome(best, best.stopReason ?? 'length');
}

/** A hypothesis's text as answered: a cut inside a multi-byte character decodes to a replacement character, never shown. */
function shown(hypothesis: Hypothesis): string {
  return hypothesis.text.replace(/\uFFFD+$/u, '');
}

/** The lines finished at a stop string or end of text other than `best`'s text, likeliest first, each text once. */
function runnersUp(finished: readonly Hypothesis[], best: Hypothesis): string[] {
  const texts = new Set([shown(best)]);
  const others: string[] = [];
  for (const hypothesis of [...finished].sort((a, b) => b.logProb - a.logProb)) {
    if (hypothesis.stopReason === 'length') continue;
    const text = shown(hypothesis);
    if (texts.has(text) || text.trim() === '') continue;
    texts.add(text);
    others.push(text);
  }
  return others;
}

function mostLikely(hypotheses: readonly Hypothesis[]): Hypothesis | undefined {
  return hypotheses.reduce<Hypothesis | undefined>((best, h) => (best === undefined || h.logProb > best.logProb ? h : best), undefined);
}

/**
 * Runs the pass that gives each grown hypothesis its next-token logits and its cache: one batched pass once a step
 * has several (until then every step had at most one, so they all grow from the one live hypothesis, whose cache
 * becomes the batch's row 0), else a pass each where the model cannot batch.
 */
async function advance(
  model: DecoderModel,
  batching: { batch?: KvBatch },
  width: number,
  next: readonly { grown: Hypothesis; from: Hypothesis; id: number }[],
  signal: AbortSignal | undefined,
): Promise<void> {
  if (next.length === 0) return;
  if (batching.batch === undefined && next.length > 1 && next[0]!.from.kv !== undefined) {
    batching.batch = model.batch?.(next[0]!.from.kv, width);
    if (batching.batch) for (const n of next) n.from.row = 0;
  }
  const batch = batching.batch;
  if (batch) {
    const logits = await batch.step(
      next.map((n) => n.from.row!),
      next.map((n) => n.id),
    );
    next.forEach((n, r) => {
      n.grown.row = r;
      n.grown.logits = logits[r];
    });
    return;
  }
  for (const { grown, from, id } of next) {
    if (signal?.aborted) return; // the loop answers with what it has
    const out = await model.forward([id], from.kv!, 1);
    grown.kv = out.kv;
    grown.logits = out.logits[out.logits.length - 1]!;
  }
}

/** The hypothesis with `id` appended, finished when it writes EOS or a stop string or reaches the token budget. */
function extend(deps: BeamSearchDeps, request: BeamSearchRequest, from: Hypothesis, id: number, logProb: number, eos: Set<number>): Hypothesis {
  if (eos.has(id)) return { ...from, logProb, logits: undefined, kv: undefined, stopReason: 'eos' };
  const required = from.required?.clone();
  required?.commit(id);
  const ids = [...from.ids, id];
  const hidden = request.requiredPrefix?.length ?? 0;
  const text = withoutBrokenCharacters(deps.decode(ids).slice(hidden));
  const stopAt = firstStop(text, request.stopStrings);
  if (stopAt !== undefined) return { ids, logProb, required, text: text.slice(0, stopAt), stopReason: 'stop' };
  if (ids.length >= request.maxNewTokens) return { ids, logProb, required, text, stopReason: 'length' };
  return { ids, logProb, required, text };
}

function firstStop(text: string, stopStrings: readonly string[]): number | undefined {
  let first: number | undefined;
  for (const stop of stopStrings) {
    const at = text.indexOf(stop);
    if (at >= 0 && (first === undefined || at < first)) first = at;
  }
  return first;
}

/** The `k` highest entries of a row, highest first, -Infinity left out. */
export function topK(row: Float32Array, k: number): { id: number; value: number }[] {
  const top: { id: number; value: number }[] = [];
  if (k <= 0) return top;
  // The entry to beat (the k-th best once there are k), kept in a local: most of a row is compared with it alone.
  let threshold = -Infinity;
  for (let id = 0; id < row.length; id++) {
    const value = row[id]!;
    if (value <= threshold) continue;
    top.push({ id, value });
    top.sort((a, b) => b.value - a.value);
    if (top.length > k) top.pop();
    if (top.length === k) threshold = top[k - 1]!.value;
  }
  return top;
}
