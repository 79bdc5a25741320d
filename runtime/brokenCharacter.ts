// Generated text without the bytes that are no character, for the streaming decoder and beam search alike.

/**
 * `text` without its U+FFFD runs that later text follows: byte-level tokens that start a character and then go on with
 * other text decode so (a random-weight model wrote 19 in one line), and ghost text must not show them. A run at the
 * end is a character still being written and stays for the next token to complete. A U+FFFD the model copies from the
 * document goes too: it cannot be told apart in the decoded text.
 */
export function withoutBrokenCharacters(text: string): string {
  return text.includes('\uFFFD') ? text.replace(/\uFFFD+(?=[^\uFFFD])/g, '') : text;
}
