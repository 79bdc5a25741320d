// Token healing, the server's half: when the cursor ends a word (`backgr|`, `import Q|`) or a space after code
// (`return |`), the prompt stops before that last token and the runtime must write the token's text again first
// (GenerateRequest's requiredPrefix). A prompt cut there ends in a token the whole text would never use (byte-level
// BPE joins a space to the word after it), and the small model continues badly from it: on the held-out
// single-line FIM cases, exact match rose from 10.9% to 17.4% (bench/results/model-eval-*-token-healing-*).
import type { PromptTokenizer } from './fimPrompt';

/** The last token's text must be a word, a space and a word, or the single space itself. */
const HEALABLE = /^(?: ?[\p{L}\p{N}_$]+| )$/u;
/** The end of the prefix that is tokenized to find its last token: the last line, at most this long. */
const TAIL_CHARS = 200;

export interface HealedPrefix {
  /** The prefix the prompt is built from. */
  prefix: string;
  /** The text cut from its end, which the generation must write first ('' when nothing was cut). */
  required: string;
}

export function healPrefix(tokenizer: PromptTokenizer, prefix: string): HealedPrefix {
  if (tokenizer.decode === undefined || !/(?:[\p{L}\p{N}_$]|\S )$/u.test(prefix)) return { prefix, required: '' };
  const start = Math.max(prefix.lastIndexOf('\n') + 1, prefix.length - TAIL_CHARS);
  const tail = prefix.slice(start);
  const ids = tokenizer.encode(tail);
  const last = ids.length > 0 ? tokenizer.decode(ids.slice(-1)) : '';
  // On a line longer than the tail, a token that spans the whole tail may be part of a longer word: left alone.
  const cutWord = last.length === tail.length && start > 0 && /[\p{L}\p{N}_$]/u.test(prefix[start - 1]!);
  if (!HEALABLE.test(last) || !prefix.endsWith(last) || cutWord) return { prefix, required: '' };
  return { prefix: prefix.slice(0, prefix.length - last.length), required: last };
}
