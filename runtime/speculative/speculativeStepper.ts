// Speculative decoding: a drafter proposes k tokens, the target scores all k + 1 positions in one pass, and
// the longest acceptable prefix is committed (plus the target's own next token). On a CPU a k+1-token pass
// costs little more than a 1-token pass, so every accepted draft is nearly free.
//
// State: `committed` holds prompt + generated tokens; the target's cache covers all but the last of them
// (the pending token, fed at the start of the next verification). The draft model's cache covers a prefix
// of `committed`; the rest is fed at its next use, so lookup rounds cost the draft model nothing.
import type { DecoderModel, KvState } from '../decoderModel';
import type { SpeculationMode, SpeculationStats } from '../engine';
import { argmax, type Sampler } from '../sampler';
import type { PrefixKvCache } from '../prefixKvCache';
import { prefillPrompt, prefillStart, tokenLogProb, type TokenStepper } from '../tokenStepper';
import type { TokenConstraint } from '../tokenHealing';
import { verifyGreedy, verifySampled, sampleFrom } from './acceptance';
import { proposeFromHistory } from './promptLookupDrafter';
import { SpeculationTuning } from './speculationTuning';

export interface SpeculativeStepperDeps {
  target: DecoderModel;
  /** The draft model, when one is loaded (same tokenizer as the target). */
  draft?: DecoderModel;
  sampler: Sampler;
  mode: Exclude<SpeculationMode, 'off'>;
  maxContext: number;
  eosTokenIds: readonly number[];
  /** KV states of recent prompts for the target and the draft model. */
  targetPrefixCache?: PrefixKvCache;
  draftPrefixCache?: PrefixKvCache;
  /** Shared across requests so draft lengths and the draft model's cost carry over; fresh when absent. */
  tuning?: SpeculationTuning;
  now?: () => number;
  /** While active, rounds draft nothing and the target's row is masked (token healing). */
  constraint?: TokenConstraint;
  /** Each committed token's log-probability under the target (`logProbs`). */
  scoring?: boolean;
}

type Drafter = 'lookup' | 'draft';

/** Draft-model prefills of at least this many tokens are timed for the per-token prefill cost. */
const PREFILL_SAMPLE_TOKENS = 64;
/**
 * Tokens a request is expected to produce when weighing the draft model's prefill: the token budget is a ceiling
 * that single-line completions, stopped at the line end after about ten tokens, rarely reach.
 */
const EXPECTED_TOKENS = 32;

interface Proposal {
  drafter: Drafter;
  tokens: number[];
  /** Per drafted token, the draft's processed distribution (null for deterministic lookup drafts). */
  probs: (Float32Array | null)[];
  /** Time the draft model spent on its prompt prefill in this round (not part of the round's steady cost). */
  prefillMs?: number;
}

export class SpeculativeStepper implements TokenStepper {
  private committed: number[] = [];
  private targetKv: KvState;
  private draftKv?: KvState;
  private readonly tuning: SpeculationTuning;
  private readonly now: () => number;
  private readonly counts = { lookup: { drafted: 0, accepted: 0 }, draft: { drafted: 0, accepted: 0 } };
  private rounds = 0;
  cachedPromptTokens = 0;
  logProbs: number[] = [];

  constructor(private readonly deps: SpeculativeStepperDeps) {
    this.targetKv = deps.target.emptyKv();
    this.tuning = deps.tuning ?? new SpeculationTuning();
    this.now = deps.now ?? (() => performance.now());
  }

  stats(): SpeculationStats {
    const drafted = this.counts.lookup.drafted + this.counts.draft.drafted;
    const accepted = this.counts.lookup.accepted + this.counts.draft.accepted;
    return {
      mode: this.deps.mode,
      rounds: this.rounds,
      drafted,
      accepted,
      acceptanceRate: drafted > 0 ? accepted / drafted : 0,
      byDrafter: { lookup: { ...this.counts.lookup }, draft: { ...this.counts.draft } },
    };
  }

  async prefill(promptIds: readonly number[]): Promise<number> {
    const out = await prefillPrompt(this.deps.target, this.deps.targetPrefixCache, promptIds);
    this.cachedPromptTokens = out.reused;
    this.targetKv = out.kv;
    const row = out.logits;
    this.deps.constraint?.mask(row);
    const first = this.deps.sampler.sample(row);
    if (this.deps.scoring) this.logProbs = [tokenLogProb(row, first)];
    this.committed = [...promptIds, first];
    return first;
  }

  async advance(maxTokens: number, signal?: AbortSignal): Promise<number[]> {
    const n = this.committed.length - 1;
    const pending = this.committed[n];
    // The verify pass feeds k + 1 tokens at positions n .. n + k, and emits at most k + 1 tokens.
    const constrained = this.deps.constraint?.active === true;
    const room = constrained ? 0 : Math.min(maxTokens - 1, this.deps.maxContext - n - 1);
    const roundStart = this.now();
    const proposal = room > 0 ? await this.propose(room, signal) : { drafter: 'lookup' as const, tokens: [], probs: [] };
    this.logProbs = [];
    if (signal?.aborted) return [];
    const { target, sampler } = this.deps;
    const drafts = proposal.tokens;
    const out = await target.forward([pending, ...drafts], this.targetKv, drafts.length + 1);
    if (constrained) this.deps.constraint!.mask(out.logits[0]);
    const verdict = sampler.greedy
      ? verifyGreedy(drafts, out.logits)
      : verifySampled(drafts, out.logits.map((row) => sampler.distribution(row)), proposal.probs, () => sampler.random01());
    const accepted = verdict.accepted;
    this.targetKv = accepted === drafts.length ? out.kv : target.rollback(out.kv, n + 1 + accepted);
    const tokens = [...drafts.slice(0, accepted), verdict.next];
    // Row i scored the token at place i of this round (row 0 after the pending token).
    if (this.deps.scoring) this.logProbs = tokens.map((token, i) => tokenLogProb(out.logits[i]!, token));
    const roundMs = this.now() - roundStart - (proposal.prefillMs ?? 0);
    if (drafts.length === 0) this.tuning.recordPlainRound(roundMs);
    else if (proposal.drafter === 'draft') this.tuning.recordDraftRound(roundMs, tokens.length);
    this.committed.push(...tokens);
    if (this.draftKv && this.draftKv.length > n + 1 + accepted) {
      this.draftKv = this.deps.draft!.rollback(this.draftKv, n + 1 + accepted);
    }
    if (drafts.length > 0) {
      this.rounds++;
      this.counts[proposal.drafter].drafted += drafts.length;
      this.counts[proposal.drafter].accepted += accepted;
      this.tuning[proposal.drafter].record(drafts.length, accepted);
    }
    return tokens;
  }

  private async propose(room: number, signal?: AbortSignal): Promise<Proposal> {
    const { mode, draft } = this.deps;
    if (mode === 'lookup' || mode === 'auto') {
      const tokens = proposeFromHistory(this.committed, Math.min(room, this.tuning.lookup.next()));
      // The gate follows measured timings, so it applies to greedy runs only: their output does not depend on it,
      // while a sampled run must draw the same numbers for the same seed.
      const horizon = Math.min(room + 1, EXPECTED_TOKENS);
      const skipDraft = mode === 'auto' && this.deps.sampler.greedy && !this.tuning.useDraftModel(this.draftUncached(), horizon);
      if (tokens.length > 0 || mode === 'lookup' || !draft || skipDraft) return { drafter: 'lookup', tokens, probs: tokens.map(() => null) };
    }
    if (!draft) return { drafter: 'draft', tokens: [], probs: [] };
    return this.proposeWithDraftModel(draft, Math.min(room, this.tuning.draft.next()), signal);
  }

  /** Prompt tokens the draft model would have to prefill before its first proposal in this request. */
  private draftUncached(): number {
    if (!this.deps.draft || this.draftKv) return 0;
    const prompt = this.committed.slice(0, -1);
    return prompt.length - (this.deps.draftPrefixCache?.cachedLength(prompt) ?? 0);
  }

  private async proposeWithDraftModel(draft: DecoderModel, k: number, signal?: AbortSignal): Promise<Proposal> {
    const { sampler, eosTokenIds } = this.deps;
    const firstUse = this.draftKv === undefined;
    // The prompt is committed[0 .. length - 1); the draft's first pass covers it (and the pending token).
    let kv = this.draftKv ?? prefillStart(draft, this.deps.draftPrefixCache, this.committed.slice(0, -1)).kv;
    let input = this.committed.slice(kv.length);
    const tokens: number[] = [];
    const probs: (Float32Array | null)[] = [];
    let prefillMs: number | undefined;
    for (let i = 0; i < k; i++) {
      if (signal?.aborted) break;
      const passStart = this.now();
      const out = await draft.forward(input, kv, 1);
      kv = out.kv;
      if (i === 0 && firstUse) {
        prefillMs = this.now() - passStart;
        // A few tokens measure a pass's fixed cost, not a prefill's cost per token.
        if (input.length >= PREFILL_SAMPLE_TOKENS) this.tuning.recordDraftPrefill(prefillMs, input.length);
        this.deps.draftPrefixCache?.store(this.committed, kv);
      }
      const row = out.logits[out.logits.length - 1];
      let token: number;
      if (sampler.greedy) {
        token = argmax(row);
        probs.push(null);
      } else {
        const dist = sampler.distribution(row);
        token = sampleFrom(dist, 1, () => sampler.random01());
        probs.push(dist);
      }
      tokens.push(token);
      // Drafting past the end of the text is wasted work.
      if (eosTokenIds.includes(token)) break;
      input = [token];
    }
    this.draftKv = kv;
    return { drafter: 'draft', tokens, probs, prefillMs };
  }
}
