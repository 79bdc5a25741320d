// Small models also loop inside one line: `return n % 2 == 0 and n % 2 == 0 and n % 2 == 0`, or
// `self.poll(), self.poll(), self.poll(), …` until the token cap. A phrase written back to back too many times ends
// the line after its first copy. Code repeats phrases back to back on purpose too; what counts as a loop was set on
// 4.4 million lines of Python, JavaScript and TypeScript (standard library, site packages, node_modules), where
// these rules cut 15: `0, 0, 0`, `'-' * 40`, `\x00\x00\x00` and `%s, %s, %s` have no name in them, `a[i][j] +
// b[i][j]` is not back to back, lists, chains and nested calls (`None, None, None, None`, `.parent.parent.parent`,
// `dirname(dirname(dirname(`) stay under eight, and a table the file already has (`ERROR, ERROR, ERROR, …` in each
// row) is left alone.

/** Words, runs of whitespace, and every other character on its own. */
const TOKEN = /[\p{L}\p{N}_$]+|\s+|[^\p{L}\p{N}_$\s]/gu;
/** What joins copies of a phrase and is no part of it: whitespace, separators, operators, open brackets, `and`. */
const JOINER = /^(?:\s+|[.,;+\-*/%=<>!&|^~?:([{]|and|or|not)$/;
/** Joiners of lists, chains and nested calls, which repeat a phrase more often on purpose. */
const LIST_JOINER = /^[.,([{]$/;
/** Copies of an expression joined by an operator (`a and a and a`) that make a loop. */
const EXPRESSION_LOOP = 3;
/** Copies of a list item, chain link, nested call or single word that make a loop: rows of tables run to eight. */
const LIST_LOOP = 8;
/** A phrase's visible characters below which its repeats are notation (`HH:HH:HH`, `_, _, _`). */
const MIN_PHRASE_LENGTH = 4;

interface Loop {
  /** Token index where the first copy starts. */
  start: number;
  /** Token index after the first copy's phrase, its joiners left out. */
  end: number;
}

/**
 * `lines` up to the first one where a phrase loops, that one cut after the phrase's first copy; all of them when
 * none does. What follows a loop goes too: it continues the loop, or code that assumes the garbled line.
 * `documentText`: the document around the completion, where the phrase twice in a row is a table the file has.
 */
export function cutPhraseLoops(lines: readonly string[], documentText: string): string[] {
  for (let i = 0; i < lines.length; i++) {
    const cut = cutPhraseLoop(lines[i]!, documentText);
    if (cut !== undefined) return [...lines.slice(0, i), cut];
  }
  return [...lines];
}

/**
 * The line up to the end of the first copy of a phrase that loops in it; undefined when nothing loops.
 * `minPhraseLength`: prose (an explanation) has no notation, so a shorter phrase (`"t", "t", …`) loops there.
 */
export function cutPhraseLoop(line: string, documentText: string, minPhraseLength = MIN_PHRASE_LENGTH): string | undefined {
  const tokens = line.match(TOKEN) ?? [];
  const loop = firstLoop(tokens, documentText, minPhraseLength);
  return loop === undefined ? undefined : tokens.slice(0, loop.end).join('');
}

/**
 * Where a loop that `line` may still turn into would be cut at the earliest: the start of the first copy of a run of
 * repeated tokens that reaches the line's end (its last word may still grow). The line's length when no run does.
 * Text before it is what the line keeps whatever is written next.
 */
export function openRunStart(line: string): number {
  const tokens = line.match(TOKEN) ?? [];
  const last = tokens.length - 1;
  let first = tokens.length;
  for (let period = 1; period <= last; period++) {
    if (!tokens[last - period]!.startsWith(tokens[last]!)) continue;
    let start = last - period;
    while (start > 0 && tokens[start - 1] === tokens[start - 1 + period]) start--;
    first = Math.min(first, start);
  }
  return tokens.slice(0, first).join('').length;
}

/** The loop that starts first, if any. */
function firstLoop(tokens: readonly string[], documentText: string, minPhraseLength: number): Loop | undefined {
  let first: Loop | undefined;
  for (let period = 1; 2 * period < tokens.length; period++) {
    for (let start = 0; start + period < tokens.length; start++) {
      // Each run of copies once, from its leftmost token.
      if (tokens[start] !== tokens[start + period] || (start > 0 && tokens[start - 1] === tokens[start - 1 + period])) continue;
      let runEnd = start + period;
      while (runEnd < tokens.length && tokens[runEnd] === tokens[runEnd - period]) runEnd++;
      const copyStart = phraseStart(tokens, start, period);
      if (first !== undefined && copyStart >= first.start) continue;
      const copy = tokens.slice(copyStart, copyStart + period);
      // `V V V V ` is `V ` four times, which is too short a phrase.
      if (!isPrimitive(copy)) continue;
      let from = 0;
      while (from < period && JOINER.test(copy[from]!)) from++;
      let to = period;
      while (to > from && JOINER.test(copy[to - 1]!)) to--;
      const phrase = copy.slice(from, to);
      if (!isPhrase(phrase, tokens[copyStart + from - 1], minPhraseLength)) continue;
      // A copy counts once its phrase is whole: `n % 2 == 0` three times, the last `and` never written.
      const copies = Math.floor((runEnd - copyStart - to) / period) + 1;
      const joiners = [...copy.slice(0, from), ...copy.slice(to)];
      const isExpression = phrase.filter((t) => !/^\s/.test(t)).length > 1 && !joiners.some((t) => LIST_JOINER.test(t)) && isOneTerm(phrase);
      if (copies < (isExpression ? EXPRESSION_LOOP : LIST_LOOP)) continue;
      if (documentText.includes(copy.join('').repeat(2))) continue;
      first = { start: copyStart, end: copyStart + to };
    }
  }
  return first;
}

/**
 * Where a copy of the run's phrase starts at a word's or bracket's edge (`'TASL', ` rather than `', 'TASL` in
 * `'tasl', 'TASL', 'TASL'`), so that the phrase is kept whole; the run's start when no rotation does.
 */
function phraseStart(tokens: readonly string[], start: number, period: number): number {
  for (let at = start; at < start + period; at++) {
    if (!/^\s/.test(tokens[at]!) && (at === 0 || !/^[\p{L}\p{N}_$]/u.test(tokens[at - 1]!))) return at;
  }
  return start;
}

/** Long enough to mean something, with a name in it: not an escape (`\x00`), format code (`%s`) or hex digits. */
function isPhrase(phrase: readonly string[], before: string | undefined, minPhraseLength: number): boolean {
  if (phrase.join('').replace(/\s/g, '').length < minPhraseLength) return false;
  return phrase.some((t, i) => {
    const previous = (i === 0 ? before : phrase[i - 1]) ?? '';
    return /^[\p{L}_$]/u.test(t) && !isHexDigits(t, previous, phrase[i + 1]) && !/^[\\%]$/.test(previous);
  });
}

/**
 * Whether a word is hex digits (`ffff` of an IPv6 mask, `de ad be ef`): two or more of them, not called, or one that
 * bounds a range (`[0-9a-f]`). `a` to `f` alone are names elsewhere (`a=a&b=b&…`), and so is `add(`.
 */
function isHexDigits(word: string, previous: string, next: string | undefined): boolean {
  if (!/^[0-9a-f]+$/i.test(word)) return false;
  return word.length > 1 ? next !== '(' : previous === '-' || next === '-';
}

/** Whether `tokens` are not a repeat of a shorter run of tokens. */
function isPrimitive(tokens: readonly string[]): boolean {
  for (let d = 1; d < tokens.length; d++) {
    if (tokens.length % d === 0 && tokens.every((t, i) => t === tokens[i % d])) return false;
  }
  return true;
}

/**
 * Whether the phrase's brackets close and no comma lies outside them: `foo(a, b)` is one term of an expression,
 * while `sqrt(2 + ` nests and `x, 1` lists.
 */
function isOneTerm(phrase: readonly string[]): boolean {
  let depth = 0;
  for (const t of phrase) {
    if (/^[([{]$/.test(t)) depth++;
    else if (/^[)\]}]$/.test(t)) depth--;
    else if (t === ',' && depth === 0) return false;
    if (depth < 0) return false;
  }
  return depth === 0;
}
