// What became of each completion request, with a suggestion counted once however many requests showed it: typing
// into a suggestion asks again at every keystroke, and the completion cache answers with the rest of the same
// suggestion. Counted per request, a suggestion typed into and then accepted was one accepted and several not.
import type { FinalOutcome, OutcomeCounts, TelemetrySample } from '../protocol';

type Shown = 'accepted' | 'partiallyAccepted' | 'typedOut' | 'notAccepted';

/** Which outcome of a suggestion's requests is the suggestion's: the user took it (or typed it out) at any of them. */
const RANK: Readonly<Record<Shown, number>> = { notAccepted: 0, typedOut: 1, partiallyAccepted: 2, accepted: 3 };

function isShown(outcome: FinalOutcome): outcome is Shown {
  return outcome in RANK;
}

/** Counts of `samples` (oldest first) by outcome, as {@link OutcomeCounts} defines them. */
export function countOutcomes(samples: readonly TelemetrySample[]): OutcomeCounts {
  const counts: OutcomeCounts = {
    requests: samples.length,
    accepted: 0,
    partiallyAccepted: 0,
    typedOut: 0,
    notAccepted: 0,
    shownAgain: 0,
    empty: 0,
    cancelled: 0,
    error: 0,
    acceptedRunnerUp: 0,
  };
  const suggestions = new Map<string, { outcome: Shown; runnerUp: boolean }>();
  const latestSuggestion = new Map<string, string>();
  for (const s of samples) {
    const key = suggestionOf(s, latestSuggestion);
    latestSuggestion.set(modelAndLanguage(s), key);
    // A cache answer with nothing left to show: its suggestion was typed up to the closers the editor had already put
    // after the cursor (completionProvider.ts fromCache). Its rest is on screen; the model did not come up empty.
    if (s.outcome === 'empty' && s.servedFromCache) {
      counts.shownAgain++;
      continue;
    }
    if (!isShown(s.outcome)) {
      counts[s.outcome]++;
      continue;
    }
    const earlier = suggestions.get(key);
    if (earlier !== undefined) counts.shownAgain++;
    if (earlier === undefined || RANK[s.outcome] > RANK[earlier.outcome]) {
      const taken = s.outcome === 'accepted' || s.outcome === 'partiallyAccepted';
      suggestions.set(key, { outcome: s.outcome, runnerUp: taken && s.acceptedItem !== null && s.acceptedItem > 0 });
    }
  }
  for (const { outcome, runnerUp } of suggestions.values()) {
    counts[outcome]++;
    if (runnerUp) counts.acceptedRunnerUp++;
  }
  return counts;
}

/**
 * The suggestion a request showed: a model run's own, or the one a cache answer continues. A cache answer recorded
 * before records named it continues the latest request of its model and language, as typing into a suggestion does.
 */
function suggestionOf(s: TelemetrySample, latestSuggestion: ReadonlyMap<string, string>): string {
  if (!s.servedFromCache) return s.id;
  return s.cachedFrom ?? latestSuggestion.get(modelAndLanguage(s)) ?? s.id;
}

function modelAndLanguage(s: TelemetrySample): string {
  return `${s.model}\n${s.language}`;
}
