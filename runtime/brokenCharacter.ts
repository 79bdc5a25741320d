// Generated text that holds bytes which are no character, for the streaming decoder and beam search alike.

/**
 * Where generated text holds bytes that are no character: a U+FFFD that later text follows. Byte-level tokens that
 * start a character and then go on with other text decode so (a random-weight model wrote 19 in one line); the text
 * from there is not shown. U+FFFD at the end is a character still being written, not yet broken. A model that
 * copies a U+FFFD from the document is cut there too: it cannot be told apart in the decoded text.
 */
export function brokenCharacterAt(text: string): number | undefined {
  const at = text.indexOf('\uFFFD');
  if (at < 0) return undefined;
  return /^\uFFFD+$/.test(text.slice(at)) ? undefined : at;
}
