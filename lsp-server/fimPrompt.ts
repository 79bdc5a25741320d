// Builds fill-in-the-middle prompt ids from the code around the cursor, within a token budget.
// Order is suffix-prefix-middle, with prefix and suffix tokenized separately, exactly as training does.

/** The part of the tokenizer the prompt needs (`runtime`'s TextTokenizer satisfies it). */
export interface PromptTokenizer {
  encode(text: string): number[];
  specialTokenId(content: string): number | undefined;
  /** Text of token ids; token healing (tokenHealing.ts) needs it and is skipped without it. */
  decode?(ids: readonly number[]): string;
}

export interface FimTokenIds {
  prefix: number;
  suffix: number;
  middle: number;
}

export const FIM_TOKENS = { prefix: '<|fim_prefix|>', suffix: '<|fim_suffix|>', middle: '<|fim_middle|>' } as const;

/**
 * A cut prefix starts on a line numbered a multiple of this. Consecutive keystrokes' prompts then share their start
 * (the prefix cache reuses everything up to the first difference) for about this many lines of typing.
 */
const PREFIX_START_LINES = 8;

/** Share of the budget the prefix gets when both sides are longer than the budget. */
const PREFIX_SHARE = 3 / 4;

/**
 * A token rarely spans more characters than this. A line longer than the room left times this cannot fit and is not
 * encoded, and a line cut by tokens is encoded from this many characters per kept token only: a minified bundle's
 * one line can be megabytes, and encoding 512 KB took the server's thread 1.2-2.9 s.
 */
const MAX_CHARS_PER_TOKEN = 16;

/** FIM token ids by name, or null when the model has none (it then gets a prefix-only prompt). */
export function fimTokenIds(tokenizer: PromptTokenizer): FimTokenIds | null {
  const prefix = tokenizer.specialTokenId(FIM_TOKENS.prefix);
  const suffix = tokenizer.specialTokenId(FIM_TOKENS.suffix);
  const middle = tokenizer.specialTokenId(FIM_TOKENS.middle);
  if (prefix === undefined || suffix === undefined || middle === undefined) return null;
  return { prefix, suffix, middle };
}

export interface FimPrompt {
  ids: number[];
  /** Tokens kept from the prefix and the suffix (for logs and tests). */
  prefixTokens: number;
  suffixTokens: number;
}

/**
 * `budget` counts prefix and suffix tokens together (the three FIM tokens come on top). The prefix keeps
 * its end (nearest the cursor), the suffix its start; both are trimmed on line boundaries. Where both do not fit,
 * the prefix gets `prefixShare` of the budget (or what the suffix leaves).
 */
export function buildFimPrompt(tokenizer: PromptTokenizer, fim: FimTokenIds | null, prefix: string, suffix: string, budget: number, prefixShare = PREFIX_SHARE): FimPrompt {
  if (fim === null) {
    const prefixIds = keepEnd(tokenizer, prefix, budget);
    return { ids: prefixIds, prefixTokens: prefixIds.length, suffixTokens: 0 };
  }
  let prefixIds = keepEnd(tokenizer, prefix, budget);
  let suffixIds = keepStart(tokenizer, suffix, budget);
  if (prefixIds.length + suffixIds.length > budget) {
    // Both sides do not fit: the suffix gets its share, or more when the prefix is short.
    const suffixBudget = Math.max(budget - Math.floor(budget * prefixShare), budget - prefixIds.length);
    suffixIds = keepStart(tokenizer, suffix, suffixBudget);
    prefixIds = keepEnd(tokenizer, prefix, budget - suffixIds.length);
  }
  return {
    ids: [fim.suffix, ...suffixIds, fim.prefix, ...prefixIds, fim.middle],
    prefixTokens: prefixIds.length,
    suffixTokens: suffixIds.length,
  };
}

/** Ids of the longest run of whole trailing lines of `text` that fits `budget` (token-cut if the last line alone is too long). */
function keepEnd(tokenizer: PromptTokenizer, text: string, budget: number): number[] {
  if (budget <= 0 || text === '') return [];
  const lines = splitKeepingNewlines(text);
  // Count line by line from the cursor backwards (linear in what is kept), then encode the kept text once.
  let used = 0;
  let first = lines.length;
  while (first > 0) {
    const line = lines[first - 1]!;
    if (line.length > (budget - used) * MAX_CHARS_PER_TOKEN) break;
    const count = tokenizer.encode(line).length;
    if (used + count > budget) break;
    used += count;
    first--;
  }
  if (first === lines.length) return lastLineTail(tokenizer, lines[lines.length - 1]!, budget);
  // Snapped to PREFIX_START_LINES (3.5 lines given up on average); a run of under two steps would lose too large a share.
  if (first > 0 && lines.length - first >= 2 * PREFIX_START_LINES) first = Math.ceil(first / PREFIX_START_LINES) * PREFIX_START_LINES;
  // Merges across line ends can change the count slightly; drop lines until the whole encoding fits.
  for (; first < lines.length; first++) {
    const ids = tokenizer.encode(lines.slice(first).join(''));
    if (ids.length <= budget) return ids;
  }
  return lastLineTail(tokenizer, lines[lines.length - 1]!, budget);
}

/**
 * The last ids (at most `budget`) of a line too long to keep whole, encoded from its end only. Where they start
 * moves in steps of an eighth of the budget, in characters read and then in ids kept, rather than with every
 * character typed at the line's end: consecutive keystrokes' prompts then begin alike, so the prefix cache reuses
 * them (a minified bundle's line missed it on every other keystroke), for at most an eighth of the budget unused.
 */
function lastLineTail(tokenizer: PromptTokenizer, line: string, budget: number): number[] {
  const window = budget * MAX_CHARS_PER_TOKEN;
  const charStep = Math.max(1, Math.floor(window / 8));
  const ids = tokenizer.encode(line.slice(Math.max(0, Math.ceil((line.length - window) / charStep) * charStep)));
  if (ids.length <= budget) return ids;
  const idStep = Math.max(1, Math.floor(budget / 8));
  return ids.slice(Math.ceil((ids.length - budget) / idStep) * idStep);
}

/** The first `budget` ids of a line too long to keep whole, encoded from its start only. */
function firstLineHead(tokenizer: PromptTokenizer, line: string, budget: number): number[] {
  return tokenizer.encode(line.slice(0, budget * MAX_CHARS_PER_TOKEN)).slice(0, budget);
}

/** Ids of the longest run of whole leading lines of `text` that fits `budget`. */
export function keepStart(tokenizer: PromptTokenizer, text: string, budget: number): number[] {
  if (budget <= 0 || text === '') return [];
  const lines = splitKeepingNewlines(text);
  let used = 0;
  let end = 0;
  while (end < lines.length) {
    const line = lines[end]!;
    if (line.length > (budget - used) * MAX_CHARS_PER_TOKEN) break;
    const count = tokenizer.encode(line).length;
    if (used + count > budget) break;
    used += count;
    end++;
  }
  if (end === 0) return firstLineHead(tokenizer, lines[0]!, budget);
  for (; end > 0; end--) {
    const ids = tokenizer.encode(lines.slice(0, end).join(''));
    if (ids.length <= budget) return ids;
  }
  return firstLineHead(tokenizer, lines[0]!, budget);
}

/** Lines of `text`, each with its trailing newline, so joining them gives `text` back. */
function splitKeepingNewlines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}
