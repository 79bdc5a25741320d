// Token healing, the runtime's half: the caller cuts the prompt back to before the last token of the text at the
// cursor (a word the cursor splits is tokenized unlike the whole word, and a small model continues badly from such
// a cut), and the generation must then start with exactly that text again. A RequiredPrefix masks every token
// that does not fit the text still to be written, step by step, until it is covered. It also keeps the text after
// that from starting with given strings or ending blank (Explain's doc comment must open with prose, not a JSDoc tag).

/** What may follow a whole alternative: no whitespace (after healed indentation), or nothing that continues a word. */
export type AfterRule = 'non-space' | 'non-word';

const WHITESPACE = /^\s/u;
/** A character that can continue an identifier: a chosen word must not be followed by one. */
const WORD_CHAR = /^[\p{L}\p{N}_$]/u;

/** Whether `char` may come right after a whole alternative under `rule`. */
function allowedAfter(rule: AfterRule, char: string): boolean {
  return rule === 'non-space' ? !WHITESPACE.test(char) : !WORD_CHAR.test(char) && char !== '\uFFFD';
}

/** Answers of TokenTexts.fitting kept (least recently used dropped first). */
const RECENT_FITS = 32;

/** What each token id decodes to on its own, grouped by first character, built once per model. */
export class TokenTexts {
  private readonly byFirstChar = new Map<string, number[]>();
  private readonly afterRule = new Map<AfterRule, Uint8Array>();
  /**
   * Recent answers of `fitting`: with a large vocabulary one costs 10-20 ms (half of Qwen2.5's 151,665 tokens start
   * with a space, and indentation is the most common text to heal), and requests while typing ask the same ones.
   */
  private readonly recentFits = new Map<string, readonly number[]>();

  constructor(readonly texts: readonly string[]) {
    texts.forEach((text, id) => {
      if (text === '' || text.includes('\uFFFD')) return; // part of a multi-byte character: never a whole fit
      const bucket = this.byFirstChar.get(text[0]!);
      if (bucket) bucket.push(id);
      else this.byFirstChar.set(text[0]!, [id]);
    });
  }

  /**
   * Whether tokens of whole characters can write `text` exactly. Always so for ASCII (a byte-level vocabulary has a
   * token per byte); a character outside it may exist only as pieces of its UTF-8 bytes, which never fit a
   * constraint, so a word with one such character cannot be required (`größe` in a 16,384-token vocabulary).
   */
  canSpell(text: string): boolean {
    if (/^[\x00-\x7f]*$/.test(text)) return true;
    const reached = new Uint8Array(text.length + 1);
    reached[0] = 1;
    for (let at = 0; at < text.length; at++) {
      if (reached[at] === 0) continue;
      for (const id of this.byFirstChar.get(text[at]!) ?? []) {
        const piece = this.texts[id]!;
        if (text.startsWith(piece, at)) reached[at + piece.length] = 1;
      }
    }
    return reached[text.length] === 1;
  }

  static fromDecoder(decode: (ids: readonly number[]) => string, size: number): TokenTexts {
    return new TokenTexts(Array.from({ length: size }, (_, id) => decode([id])));
  }

  /**
   * 1 for the ids that may come right after a whole alternative under `rule`, found once per rule. Tokens with no
   * text of their own (end of text) may; a piece of a multi-byte character may follow indentation but not a word,
   * which it could continue.
   */
  startingAfter(rule: AfterRule): Uint8Array {
    let allowed = this.afterRule.get(rule);
    if (allowed === undefined) {
      allowed = new Uint8Array(this.texts.length);
      this.texts.forEach((text, id) => {
        if (text === '' || allowedAfter(rule, text[0]!)) allowed![id] = 1;
      });
      this.afterRule.set(rule, allowed);
    }
    return allowed;
  }

  /**
   * Ids whose text fits one of `rests` (none empty): the text is a prefix of a rest, or a rest is a prefix of the
   * text and the character after it is allowed by `after`. Sorted rests make each token one binary search, so a
   * module's hundreds of names cost about what one does.
   */
  fitting(rests: readonly string[], after?: AfterRule): readonly number[] {
    const key = `${after ?? ''}\u0000${rests.join('\u0000')}`;
    let ids = this.recentFits.get(key);
    if (ids === undefined) {
      ids = Object.freeze(this.findFitting(rests, after)); // shared by every later caller: none may change it
      if (this.recentFits.size >= RECENT_FITS) this.recentFits.delete(this.recentFits.keys().next().value!);
    } else this.recentFits.delete(key); // moved to the newest end below
    this.recentFits.set(key, ids);
    return ids;
  }

  /** Ids whose text starts with `start` (not empty). */
  startingWith(start: string): number[] {
    return (this.byFirstChar.get(start[0]!) ?? []).filter((id) => this.texts[id]!.startsWith(start));
  }

  private findFitting(rests: readonly string[], after?: AfterRule): number[] {
    const byChar = new Map<string, string[]>();
    for (const rest of rests) {
      const group = byChar.get(rest[0]!);
      if (group) group.push(rest);
      else byChar.set(rest[0]!, [rest]);
    }
    const ids: number[] = [];
    for (const [char, group] of byChar) {
      group.sort();
      const whole = new Set(group);
      const longest = Math.max(...group.map((rest) => rest.length));
      for (const id of this.byFirstChar.get(char) ?? []) {
        const text = this.texts[id]!;
        if (startsSome(group, text) || overshootsSome(whole, longest, text, after)) ids.push(id);
      }
    }
    return ids;
  }
}

/** Whether some string of the sorted `group` starts with `text`. */
function startsSome(group: readonly string[], text: string): boolean {
  let lo = 0;
  let hi = group.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (group[mid]! < text) lo = mid + 1;
    else hi = mid;
  }
  return lo < group.length && group[lo]!.startsWith(text);
}

/** Whether `text` is a string of `whole` (none longer than `longest`) and more, the character after it allowed by `after`. */
function overshootsSome(whole: ReadonlySet<string>, longest: number, text: string, after: AfterRule | undefined): boolean {
  for (let end = 1; end < text.length && end <= longest; end++) {
    if (whole.has(text.slice(0, end)) && (after === undefined || allowedAfter(after, text[end]!))) return true;
  }
  return false;
}

/** GenerateRequest's constraints on how the text starts (see there). */
export interface StartRequest {
  requiredPrefix?: string;
  wordChoices?: readonly string[];
  forbiddenStarts?: readonly string[];
  nonBlank?: boolean;
}

/** What a stepper asks of a constraint on the next token (see steppers in tokenStepper.ts and speculative/). */
export interface TokenConstraint {
  /** True while the next token is constrained: steppers then take one token per pass and draft nothing. */
  readonly active: boolean;
  /** Sets every token the constraint forbids to -Infinity. */
  mask(logits: Float32Array): void;
}

export class RequiredPrefix implements TokenConstraint {
  /** Every text the generation may start with: `text`, or `text` followed by each of the words. */
  private readonly alternatives: readonly string[];
  /**
   * What the character right after an alternative must be. After a chosen word: one that cannot continue it. When
   * the text is whitespace ending in spaces or tabs (a line's indentation, the space after `return`), the user put
   * the cursor there: not whitespace. Without that the model, free to pick a longer indentation token, often nested
   * its line one level too deep. Text ending in a line break (the cursor at the start of an empty line, as on a blank
   * line of formatted code) leaves the indentation to the model.
   */
  private readonly after: AfterRule | undefined;
  /** Texts the generation must not start with: `text` followed by each forbidden start. */
  private readonly forbidden: readonly string[];
  /** Tokens that end the text, masked while the text after `text` is blank. */
  private readonly endIds: readonly number[];
  /** Generated text so far, while the constraint is active. */
  private written = '';
  private settled = false;
  /** Set when no token fits (not possible with a byte-level vocabulary): the generation cannot start with the text. */
  failed = false;

  /**
   * `words`: when given, the generation must go on, after `text`, with one of them and then a character that
   * cannot continue a word (the names a member access can take, lsp-server/context/moduleMembers.ts).
   * `rules.forbiddenStarts`: what follows `text` must not start with any of them; tokens that would write one are masked
   * (a start the vocabulary writes only in byte pieces of a character is not caught). `rules.endIds`: masked until
   * what follows `text` holds a non-whitespace character.
   */
  constructor(
    readonly text: string,
    private readonly texts: TokenTexts,
    words: readonly string[] = [],
    rules: { forbiddenStarts?: readonly string[]; endIds?: readonly number[] } = {},
  ) {
    // A list with a word the vocabulary cannot write in whole characters constrains nothing: limited to the others,
    // the generation could not write that one, and held to it, it could only stop part way (a fragment as the answer).
    const choices = [...new Set(words)];
    if (choices.length > 0 && choices.every((word) => texts.canSpell(text + word))) {
      this.alternatives = choices.map((word) => text + word);
      this.after = 'non-word';
    } else {
      this.alternatives = [text];
      this.after = /^\s*[ \t]$/.test(text) ? 'non-space' : undefined;
    }
    this.forbidden = [...new Set(rules.forbiddenStarts ?? [])].filter((start) => start !== '').map((start) => text + start);
    this.endIds = rules.endIds ?? [];
    this.settled = this.alternatives.some((alternative) => this.complete(alternative));
  }

  get active(): boolean {
    return !this.failed && (!this.settled || this.mayWriteForbidden() || this.mustWriteText());
  }

  mask(logits: Float32Array): void {
    if (!this.active) return;
    if (!this.settled) this.maskUnfitting(logits);
    if (this.failed) return;
    for (const start of this.forbidden) {
      if (start.length <= this.written.length || !start.startsWith(this.written)) continue;
      for (const id of this.texts.startingWith(start.slice(this.written.length))) if (id < logits.length) logits[id] = -Infinity;
    }
    if (this.mustWriteText()) for (const id of this.endIds) if (id < logits.length) logits[id] = -Infinity;
  }

  /** Masks every token that does not fit the required text (or a chosen word). */
  private maskUnfitting(logits: Float32Array): void {
    const rests = this.alternatives.filter((a) => a.startsWith(this.written)).map((a) => a.slice(this.written.length));
    // An alternative already written: the next token must start with a character allowed after it.
    const allowed = rests.includes('') && this.after !== undefined ? this.texts.startingAfter(this.after).slice(0, logits.length) : new Uint8Array(logits.length);
    let any = rests.includes('');
    for (const id of this.texts.fitting(rests.filter((rest) => rest !== ''), this.after)) {
      if (id < allowed.length) allowed[id] = 1;
      any = true;
    }
    if (!any) {
      this.failed = true;
      return;
    }
    for (let id = 0; id < logits.length; id++) if (allowed[id] === 0) logits[id] = -Infinity;
  }

  /** Whether the text written so far may still go on into a forbidden start. */
  private mayWriteForbidden(): boolean {
    return this.forbidden.some((start) => start.length > this.written.length && start.startsWith(this.written));
  }

  /** Whether the end is masked: what follows `text` is still blank. */
  private mustWriteText(): boolean {
    return this.endIds.length > 0 && this.written.slice(this.text.length).trim() === '';
  }

  /** An independent copy at the same point (beam search grows several continuations from one). */
  clone(): RequiredPrefix {
    const copy = Object.create(RequiredPrefix.prototype) as RequiredPrefix;
    Object.assign(copy, this);
    return copy;
  }

  /** Records a generated token (in order, from the first). */
  commit(id: number): void {
    if (!this.active) return;
    this.written += this.texts.texts[id] ?? '';
    if (this.settled) return;
    if (this.alternatives.some((alternative) => this.complete(alternative))) this.settled = true;
    else if (!this.alternatives.some((alternative) => alternative.startsWith(this.written))) this.failed = true;
  }

  /** Whether the text written so far covers `alternative` and, where a rule follows it, the character after it. */
  private complete(alternative: string): boolean {
    if (!this.written.startsWith(alternative)) return false;
    if (this.after === undefined) return true;
    return this.written.length > alternative.length && allowedAfter(this.after, this.written[alternative.length]!);
  }
}

/**
 * The constraint a request asks for (token healing, chosen words, forbidden starts, text before the end), or undefined
 * when it asks for none. `endIds`: the tokens that end a generation (masked for `nonBlank`).
 */
export function requiredStart(texts: TokenTexts, request: StartRequest, endIds: readonly number[]): RequiredPrefix | undefined {
  const { requiredPrefix, wordChoices = [], forbiddenStarts = [], nonBlank = false } = request;
  if (!requiredPrefix && wordChoices.length === 0 && !forbiddenStarts.some((start) => start !== '') && !nonBlank) return undefined;
  return new RequiredPrefix(requiredPrefix ?? '', texts, wordChoices, { forbiddenStarts, endIds: nonBlank ? endIds : [] });
}
