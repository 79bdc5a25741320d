// Token healing, the server's half: when the cursor ends a word (`backgr|`, `import Q|`) or whitespace (`return |`,
// a new line's indentation), the prompt stops before that last token and the runtime must write the token's text
// again first (GenerateRequest's requiredPrefix). A prompt cut there ends in a token the whole text would never use
// (byte-level BPE joins a space to the word after it, and a line break with the whole indentation is one token only
// before another line break), and the small model continues badly from it. On the held-out FIM cases, healing words
// and single spaces raised single-line exact match from 10.9% to 17.4%; healing indentation too raised multi-line
// edit similarity from 0.185 to 0.244 (bench/results/model-eval-*-token-healing-*, *-indentation-healing-*). Cutting
// only the indentation's last space, so that the prompt ends as the whole text would tokenize, did worse (0.173).
import type { PromptTokenizer } from './fimPrompt';

/** The last token's text must be a word, a space and a word, or whitespace (line breaks and indentation included). */
const HEALABLE = /^(?: ?[\p{L}\p{N}_$]+|\s+)$/u;
/** The end of the prefix that is tokenized to find its last token: from its last line of code on, at most this long. */
const TAIL_CHARS = 200;

export interface HealedPrefix {
  /** The prefix the prompt is built from. */
  prefix: string;
  /** The text cut from its end, which the generation must write first ('' when nothing was cut). */
  required: string;
}

export function healPrefix(tokenizer: PromptTokenizer, prefix: string): HealedPrefix {
  if (tokenizer.decode === undefined || !/[\p{L}\p{N}_$\s]$/u.test(prefix)) return { prefix, required: '' };
  // Trailing whitespace is tokenized with the line of code before it, so a line break and its indentation stay one piece.
  const lastCode = prefix.search(/\S\s*$/u);
  const start = Math.max(prefix.lastIndexOf('\n', lastCode) + 1, prefix.length - TAIL_CHARS);
  const tail = prefix.slice(start);
  const ids = tokenizer.encode(tail);
  const last = ids.length > 0 ? tokenizer.decode(ids.slice(-1)) : '';
  // On a line longer than the tail, a token that spans the whole tail may be part of a longer word: left alone.
  const cutWord = last.length === tail.length && start > 0 && /[\p{L}\p{N}_$]/u.test(prefix[start - 1]!);
  if (!HEALABLE.test(last) || !prefix.endsWith(last) || cutWord) return { prefix, required: '' };
  return { prefix: prefix.slice(0, prefix.length - last.length), required: last };
}
