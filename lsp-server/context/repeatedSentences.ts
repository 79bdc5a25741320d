// A sentence an explanation writes twice in a row (`Return the mean of values. Return the mean of values.`, on one
// line or on two) is the model looping: prose says a thing once. The line rule waits for a third copy, and the phrase
// rule wants more copies of what `.` joins (a list's items), so this one ends the text after the first copy. Only a
// whole sentence counts: a phrase repeated inside different sentences is prose.

/** What ends a sentence, before whitespace or the end of the text (`np.mean` and `3.5` go on). */
const TERMINATOR = /[.!?]/;
const WHITESPACE = /\s/;
/** A sentence without a letter (`1.`, a numbered list's marker) says nothing that repeats. */
const LETTER = /\p{L}/u;

interface Sentence {
  start: number;
  end: number;
}

/** The text's whole sentences, in order, and where the unfinished one after them starts (the text's length if none). */
function sentencesOf(text: string): { sentences: Sentence[]; rest: number } {
  const sentences: Sentence[] = [];
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    if (start < 0) {
      if (WHITESPACE.test(text[i]!)) continue;
      start = i;
    }
    if (TERMINATOR.test(text[i]!) && (i + 1 === text.length || WHITESPACE.test(text[i + 1]!))) {
      sentences.push({ start, end: i + 1 });
      start = -1;
    }
  }
  return { sentences, rest: start < 0 ? text.length : start };
}

/** Case and whitespace do not make sentences differ. */
function key(text: string): string {
  return text.toLowerCase().replace(/\s+/g, ' ');
}

/** The end of the first copy of the first sentence that `text` writes twice in a row; undefined when none is. */
export function repeatedSentenceEnd(text: string): number | undefined {
  const { sentences } = sentencesOf(text);
  for (let i = 1; i < sentences.length; i++) {
    const first = text.slice(sentences[i - 1]!.start, sentences[i - 1]!.end);
    if (LETTER.test(first) && key(first) === key(text.slice(sentences[i]!.start, sentences[i]!.end))) return sentences[i - 1]!.end;
  }
  return undefined;
}

/**
 * Where text that may still turn out a sentence's second copy starts: the end of the last whole sentence while the
 * sentence being written starts as it does. The text's length otherwise. Text before it stays whatever comes next.
 */
export function openRepeatStart(text: string): number {
  const { sentences, rest } = sentencesOf(text);
  const last = sentences.at(-1);
  if (last === undefined || rest === text.length) return text.length;
  return key(text.slice(last.start, last.end)).startsWith(key(text.slice(rest))) ? last.end : text.length;
}
