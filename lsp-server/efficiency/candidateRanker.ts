// Orders evaluated candidates and decides which one is offered first: the plain (greedy) suggestion stays first
// unless a correct candidate is faster by a margin that measurement noise does not reach, or the plain suggestion
// fails an example that another candidate passes. Says in one line what was found.
import type { CandidateResult } from './candidateEvaluator';

export interface RankedCandidate extends CandidateResult {
  isGreedy: boolean;
}

/**
 * How much faster (summed per-check median call time) a candidate must be to replace the plain suggestion for
 * speed. Measured with the arguments copied outside the timed region, with the probe's repeat.ts (13 refinements
 * per language, each candidate in its own sandbox process, 7 checks): identical code (`sum(xs)` vs `(sum(xs))`, one
 * reduce written three ways) differed by up to 1.66x in Python (2.4-4.3 us in all) and 1.86x in JavaScript
 * (20-38 us: two clusters between processes), while the real differences measured 3-4x (a Python loop vs `sum`),
 * 9.6x and 41x (O(n^2) vs O(n) in JavaScript and Python) and ~6000x (recursive vs iterative fib). 2.5x clears the
 * noise with room and keeps those.
 */
export const SPEEDUP_MARGIN = 2.5;

const TIME_BUCKET = Math.log(1.1); // times within ~10% fall in the same bucket (the order after the first one)
const MEMORY_BUCKET = 1024 * 1024;

function timeBucket(ns: number): number {
  return Number.isFinite(ns) && ns > 0 ? Math.floor(Math.log(ns) / TIME_BUCKET) : Number.POSITIVE_INFINITY;
}

/**
 * A strict weak order: pass before anything else, more checks passed, faster (bucketed), less memory
 * (bucketed), the greedy candidate, then the original order. Failures never rank above passes.
 */
export function compareCandidates(a: RankedCandidate, b: RankedCandidate): number {
  const passA = a.outcome === 'pass' ? 0 : 1;
  const passB = b.outcome === 'pass' ? 0 : 1;
  if (passA !== passB) return passA - passB;
  if (a.checksPassed !== b.checksPassed) return b.checksPassed - a.checksPassed;
  const time = timeBucket(a.timeNs) - timeBucket(b.timeNs);
  if (time !== 0 && !Number.isNaN(time)) return time;
  const memory = Math.floor(a.memoryBytes / MEMORY_BUCKET) - Math.floor(b.memoryBytes / MEMORY_BUCKET);
  if (memory !== 0) return memory;
  if (a.isGreedy !== b.isGreedy) return a.isGreedy ? -1 : 1;
  return a.index - b.index;
}

/**
 * Whether the sandbox, not the code, stopped it: it lacked a module the code imports, or refused what the code does
 * (reading a file). Such a candidate was not checked: neither right nor wrong.
 */
export function notChecked(candidate: RankedCandidate): boolean {
  return candidate.outcome === 'unavailable' || candidate.outcome === 'sandbox-denied';
}

/** Which candidate goes first, and why. */
export type FirstChoice =
  /** The plain suggestion is correct and no correct candidate beat it by {@link SPEEDUP_MARGIN}. */
  | { kind: 'plain'; plain: RankedCandidate }
  /** A correct candidate at least {@link SPEEDUP_MARGIN} times faster than the correct plain suggestion. */
  | { kind: 'faster'; chosen: RankedCandidate; plain: RankedCandidate; speedup: number }
  /** The plain suggestion failed a check (an example: see decideExpectations) that this candidate passes; never one {@link notChecked}. */
  | { kind: 'fix'; chosen: RankedCandidate; plain: RankedCandidate | undefined }
  /** Nothing replaces the plain suggestion: no candidate passed every check, or the plain one passed them all but its run could not be verified. */
  | { kind: 'none'; plain: RankedCandidate | undefined };

/** Depends only on the set of candidates, not on their order. */
export function chooseFirst(candidates: RankedCandidate[], margin = SPEEDUP_MARGIN): FirstChoice {
  const plain = candidates.find((c) => c.isGreedy);
  const others = candidates.filter((c) => !c.isGreedy && c.outcome === 'pass');
  const best = [...others].sort(compareCandidates)[0]; // faster (bucketed), then lighter
  if (plain?.outcome !== 'pass') {
    const plainFailed = plain === undefined || (plain.checksPassed < plain.checksTotal && !notChecked(plain));
    return best && plainFailed ? { kind: 'fix', chosen: best, plain } : { kind: 'none', plain };
  }
  if (best && Number.isFinite(plain.timeNs) && best.timeNs > 0 && best.timeNs * margin <= plain.timeNs) {
    return { kind: 'faster', chosen: best, plain, speedup: plain.timeNs / best.timeNs };
  }
  return { kind: 'plain', plain };
}

/** Best first: the chosen candidate (see {@link chooseFirst}), then the rest by {@link compareCandidates}. */
export function rankCandidates(results: CandidateResult[], greedyIndex: number): RankedCandidate[] {
  const sorted = results.map((result) => ({ ...result, isGreedy: result.index === greedyIndex })).sort(compareCandidates);
  const choice = chooseFirst(sorted);
  const first = choice.kind === 'none' || choice.kind === 'plain' ? choice.plain : choice.chosen;
  return first ? [first, ...sorted.filter((c) => c !== first)] : sorted;
}

/** Whether a candidate other than the plain suggestion is offered first. */
export function offersOtherFirst(ranked: RankedCandidate[]): boolean {
  return ranked[0]?.outcome === 'pass' && !ranked[0].isGreedy;
}

function formatRatio(ratio: number): string {
  return ratio >= 10 ? ratio.toFixed(0) : ratio.toFixed(1);
}

/** e.g. "4/4 checks passed; 2.1x faster and 40% less memory than the plain suggestion (3/5 candidates correct)". */
export function summarize(ranked: RankedCandidate[]): string {
  const first = ranked[0];
  if (!first || first.checksTotal === 0) return 'no checks could be run for this function';
  const tally = `${ranked.filter((candidate) => candidate.outcome === 'pass').length}/${ranked.length} candidates correct`;
  const choice = chooseFirst(ranked);
  switch (choice.kind) {
    case 'none': {
      const best = [...ranked].sort(compareCandidates)[0];
      // One reason for every candidate (module-level definitions that fail, a limit they all reach) is said.
      const reasons = new Set(ranked.map((candidate) => candidate.detail));
      const [reason] = reasons;
      const shared = reasons.size === 1 && reason ? reason : undefined;
      const plain = choice.plain;
      if (shared && ranked.every(notChecked)) return `not checked: ${shared}`;
      const plainNotChecked = plain && notChecked(plain) ? `the plain suggestion was not checked: ${plain.detail ?? plain.outcome}` : undefined;
      if (best.outcome === 'pass') {
        return plainNotChecked ? `${plainNotChecked}; it stays first (${tally})` : `the plain suggestion's run could not be verified (${plain?.detail ?? plain?.outcome}); it stays first (${tally})`;
      }
      const because = shared ? `: ${shared}` : plainNotChecked ? `; ${plainNotChecked}` : '';
      return `no candidate passed every check (best: ${best.checksPassed}/${best.checksTotal})${because}`;
    }
    case 'plain':
      return `${choice.plain.checksPassed}/${choice.plain.checksTotal} checks passed; no faster candidate found (${tally})`;
    case 'faster': {
      const { chosen, plain } = choice;
      const saved = plain.memoryBytes > 0 ? 1 - chosen.memoryBytes / plain.memoryBytes : 0;
      const memory = plain.memoryBytes - chosen.memoryBytes >= MEMORY_BUCKET && saved >= 0.05 ? ` and ${Math.round(saved * 100)}% less memory` : '';
      return `${chosen.checksPassed}/${chosen.checksTotal} checks passed; ${formatRatio(choice.speedup)}x faster${memory} than the plain suggestion (${tally})`;
    }
    case 'fix': {
      const { chosen, plain } = choice;
      const failed = plain ? `failed ${plain.checksTotal - plain.checksPassed}/${plain.checksTotal} examples` : 'could not be checked';
      return `${chosen.checksPassed}/${chosen.checksTotal} examples passed; offered as a fix, not for speed: the plain suggestion ${failed} (${tally})`;
    }
  }
}
