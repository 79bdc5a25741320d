// Prompt lookup (n-gram) drafting: code repeats itself, so the tokens that followed the last occurrence of the
// current n-gram in the prompt or the text generated so far are a free guess at what comes next.

export interface PromptLookupOptions {
  /** Longest n-gram to match first; shorter ones are tried when it has no earlier occurrence. */
  maxNgram: number;
  minNgram: number;
}

export const defaultPromptLookupOptions: PromptLookupOptions = { maxNgram: 4, minNgram: 2 };

/**
 * Proposes up to `k` tokens that followed the most recent earlier occurrence of the history's trailing n-gram.
 * Returns an empty array when nothing matches.
 */
export function proposeFromHistory(
  history: readonly number[],
  k: number,
  options: PromptLookupOptions = defaultPromptLookupOptions,
): number[] {
  const n = history.length;
  for (let size = Math.min(options.maxNgram, n - 1); size >= options.minNgram; size--) {
    const tailStart = n - size;
    // Scan backwards so the most recent occurrence wins: recent code predicts the next tokens best.
    for (let start = tailStart - 1; start >= 0; start--) {
      let match = true;
      for (let j = 0; j < size; j++) {
        if (history[start + j] !== history[tailStart + j]) {
          match = false;
          break;
        }
      }
      if (!match) continue;
      const from = start + size;
      const proposal = history.slice(from, Math.min(from + k, n));
      if (proposal.length > 0) return proposal;
    }
  }
  return [];
}
