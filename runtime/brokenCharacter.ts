// Generated text without the bytes that are no character, for the streaming decoder and beam search alike.

const REPLACEMENT = 0xfffd;

/**
 * `text` without its U+FFFD runs that later text follows: byte-level tokens that start a character and then go on with
 * other text decode so (a random-weight model wrote 19 in one line), and ghost text must not show them. A run at the
 * end is a character still being written and stays for the next token to complete. A U+FFFD the model copies from the
 * document goes too: it cannot be told apart in the decoded text.
 */
export function withoutBrokenCharacters(text: string): string {
  if (!text.includes('\uFFFD')) return text;
  // The trailing run is kept; every other U+FFFD goes (a loop: a lookahead regex was quadratic on a long run).
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === REPLACEMENT) end--;
  let kept = '';
  for (let i = 0; i < end; i++) if (text.charCodeAt(i) !== REPLACEMENT) kept += text[i];
  return kept + text.slice(end);
}
