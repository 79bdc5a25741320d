// Where an explanation's finished sentences end. An explanation that a limit stops (a loop rule's cut, the token cap,
// an end mid-sentence taken once no more are refused) stops where the model was: of 509 explanations of standard-
// library and Locus functions by the embedded model, 31 ended so mid-sentence (`The MIT License. See the LICENSE file
// in`, a phrase loop's first copy). Its unfinished tail goes where a finished sentence stays before it, and is held
// back while it streams so that it can. An end the model chose and was let take (its stop string, an end token that
// was not refused) keeps all.

import { codeExampleLines } from './codeExampleLines';

/** What ends a sentence inside a line, before whitespace (`np.mean` and `3.5` go on). */
const SENTENCE_END = /[.!?](?=\s)/g;
/** How a finished line may end: a sentence, a clause, a bracket, a quote or a code fence. */
export const FINISHED_LINE = /[.!?:;)\]}`'"]$/;
/** A doc comment's tag line (`@param key`, `@returns`), or a docstring's field (`:param key:`): a line, not prose. */
const TAG_LINE = /^(?:@\w|:\w[^:]*:)/;
/** A line's indentation and comment marker. */
export const LINE_MARKER = /^[ \t]*(?:[*#](?!\/)[ \t]*)?/;

/**
 * The end of `text`'s last finished sentence or line (a tag line or a code example's line with a line after it counts
 * whole); 0 when none is. `final`: the text goes no further, so its end may finish one; else a `.` at its end may
 * still be `np.mean`'s, and its last line go on.
 */
export function finishedEnd(text: string, final: boolean): number {
  const lines = text.split('\n');
  const examples = codeExampleLines(lines);
  let end = 0;
  let from = 0;
  lines.forEach((line, i) => {
    for (const sentence of line.matchAll(SENTENCE_END)) end = from + sentence.index + 1;
    const content = line.slice(LINE_MARKER.exec(line)![0].length).trimEnd();
    // A tag line's text, and code (`z = y + 1`, a doctest's `4`), have no end of their own: finished once a line follows.
    const followed = i < lines.length - 1;
    if (((final || followed) && FINISHED_LINE.test(content)) || (followed && (TAG_LINE.test(content) || examples[i]!))) end = from + line.trimEnd().length;
    from += line.length + 1;
  });
  return end;
}
