// Exact match and edit similarity as the repository-level benchmarks define them (CrossCodeEval, RepoBench):
// EM compares whitespace-normalized text; ES is 100 × (1 − Levenshtein distance / longer length).

export function firstLine(text: string): string {
  const newline = text.indexOf('\n');
  return (newline < 0 ? text : text.slice(0, newline)).trimEnd();
}

export function exactMatch(prediction: string, expected: string): boolean {
  return prediction.split(/\s+/).join(' ').trim() === expected.split(/\s+/).join(' ').trim();
}

export function editSimilarity(prediction: string, expected: string): number {
  const a = prediction.trim();
  const b = expected.trim();
  const longer = Math.max(a.length, b.length);
  return longer === 0 ? 100 : 100 * (1 - levenshtein(a, b) / longer);
}

function levenshtein(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_v, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
