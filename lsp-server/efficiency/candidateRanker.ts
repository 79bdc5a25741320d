// Orders evaluated candidates (passing first, then faster, then lighter) and says in one line what was found.
import type { CandidateResult } from './candidateEvaluator';

export interface RankedCandidate extends CandidateResult {
  isGreedy: boolean;
}

const TIME_BUCKET = Math.log(1.1); // times within ~10% fall in the same bucket: noise must not reorder them
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

export function rankCandidates(results: CandidateResult[], greedyIndex: number): RankedCandidate[] {
  return results.map((result) => ({ ...result, isGreedy: result.index === greedyIndex })).sort(compareCandidates);
}

function formatRatio(ratio: number): string {
  return ratio >= 10 ? ratio.toFixed(0) : ratio.toFixed(1);
}

/** e.g. "4/4 checks passed; 2.1x faster and 40% less memory than the slowest correct one (3/5 candidates correct)". */
export function summarize(ranked: RankedCandidate[]): string {
  const chosen = ranked[0];
  if (!chosen || chosen.checksTotal === 0) return 'no checks could be run for this function';
  const correct = ranked.filter((candidate) => candidate.outcome === 'pass');
  const tally = `${correct.length}/${ranked.length} candidates correct`;
  if (chosen.outcome !== 'pass') return `no candidate passed every check (best: ${chosen.checksPassed}/${chosen.checksTotal})`;
  let line = `${chosen.checksPassed}/${chosen.checksTotal} checks passed`;
  const slowest = correct[correct.length - 1];
  if (correct.length > 1 && slowest.timeNs > 0 && chosen.timeNs > 0) {
    const speed = slowest.timeNs / chosen.timeNs;
    const saved = slowest.memoryBytes > 0 ? 1 - chosen.memoryBytes / slowest.memoryBytes : 0;
    const memory = slowest.memoryBytes - chosen.memoryBytes >= MEMORY_BUCKET && saved >= 0.05 ? ` and ${Math.round(saved * 100)}% less memory` : '';
    line += speed >= 1.05 || memory ? `; ${formatRatio(speed)}x faster${memory} than the slowest correct one` : '; all correct candidates are about as fast';
  }
  return `${line} (${tally})`;
}
