// Token healing, the runtime's half: the caller cuts the prompt back to before the last token of the text at the
// cursor (a word the cursor splits is tokenized unlike the whole word, and a small model continues badly from such
// a cut), and the generation must then start with exactly that text again. A RequiredPrefix masks every token
// that does not fit the text still to be written, step by step, until it is covered.

/** Whether a token's text can be written next when `rest` is still to come: one is a prefix of the other. */
function fits(text: string, rest: string): boolean {
  return text.length <= rest.length ? rest.startsWith(text) : text.startsWith(rest);
}

/** What each token id decodes to on its own, grouped by first character, built once per model. */
export class TokenTexts {
  private readonly byFirstChar = new Map<string, number[]>();
  private withSpace: number[] | undefined;

  constructor(readonly texts: readonly string[]) {
    texts.forEach((text, id) => {
      if (text === '' || text.includes('\uFFFD')) return; // part of a multi-byte character: never a whole fit
      const bucket = this.byFirstChar.get(text[0]!);
      if (bucket) bucket.push(id);
      else this.byFirstChar.set(text[0]!, [id]);
    });
  }

  static fromDecoder(decode: (ids: readonly number[]) => string, size: number): TokenTexts {
    return new TokenTexts(Array.from({ length: size }, (_, id) => decode([id])));
  }

  /** Ids whose text starts with whitespace, found once. */
  startingWithSpace(): number[] {
    this.withSpace ??= this.texts.flatMap((text, id) => (/^\s/.test(text) ? [id] : []));
    return this.withSpace;
  }

  /** Ids whose text fits `rest`: the text is a prefix of `rest`, or `rest` a prefix of the text. */
  fitting(rest: string): number[] {
    return (this.byFirstChar.get(rest[0]!) ?? []).filter((id) => fits(this.texts[id]!, rest));
  }
}

/** What a stepper asks of a constraint on the next token (see steppers in tokenStepper.ts and speculative/). */
export interface TokenConstraint {
  /** True while the next token is constrained: steppers then take one token per pass and draft nothing. */
  readonly active: boolean;
  /** Sets every token the constraint forbids to -Infinity. */
  mask(logits: Float32Array): void;
}

/** A character that can continue an identifier: a chosen word must not be followed by one. */
const WORD_CHAR = /[\p{L}\p{N}_$]/u;

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
  private readonly after: ((char: string) => boolean) | undefined;
  /** Generated text so far, while the constraint is active. */
  private written = '';
  private settled = false;
  /** Set when no token fits (not possible with a byte-level vocabulary): the generation cannot start with the text. */
  failed = false;

  /**
   * `words`: when given, the generation must go on, after `text`, with one of them and then a character that
   * cannot continue a word (the names a member access can take, lsp-server/context/moduleMembers.ts).
   */
  constructor(
    readonly text: string,
    private readonly texts: TokenTexts,
    words: readonly string[] = [],
  ) {
    if (words.length > 0) {
      this.alternatives = [...new Set(words)].map((word) => text + word);
      this.after = (char) => !WORD_CHAR.test(char);
    } else {
      this.alternatives = [text];
      this.after = /^\s*[ \t]$/.test(text) ? (char) => !/\s/.test(char) : undefined;
    }
    this.settled = this.alternatives.some((alternative) => this.complete(alternative));
  }

  get active(): boolean {
    return !this.failed && !this.settled;
  }

  mask(logits: Float32Array): void {
    if (!this.active) return;
    const allowed = new Uint8Array(logits.length);
    let any = false;
    for (const alternative of this.alternatives) {
      if (!alternative.startsWith(this.written)) continue;
      const rest = alternative.slice(this.written.length);
      if (rest === '') {
        // The alternative is written: the next token must start with a character allowed after it.
        this.texts.texts.forEach((text, id) => {
          if (id < allowed.length && (text === '' || this.after!(text[0]!))) allowed[id] = 1;
        });
        any = true;
        continue;
      }
      for (const id of this.texts.fitting(rest)) {
        const text = this.texts.texts[id]!;
        if (text.length > rest.length && this.after !== undefined && !this.after(text[rest.length]!)) continue;
        if (id < allowed.length) allowed[id] = 1;
        any = true;
      }
    }
    if (!any) {
      this.failed = true;
      return;
    }
    for (let id = 0; id < logits.length; id++) if (allowed[id] === 0) logits[id] = -Infinity;
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
    if (this.alternatives.some((alternative) => this.complete(alternative))) this.settled = true;
    else if (!this.alternatives.some((alternative) => alternative.startsWith(this.written))) this.failed = true;
  }

  /** Whether the text written so far covers `alternative` and, where a rule follows it, the character after it. */
  private complete(alternative: string): boolean {
    if (!this.written.startsWith(alternative)) return false;
    if (this.after === undefined) return true;
    return this.written.length > alternative.length && this.after(this.written[alternative.length]!);
  }
}

/** The constraint a request asks for (token healing, chosen words), or undefined when it asks for none. */
export function requiredStart(texts: TokenTexts, requiredPrefix: string | undefined, words: readonly string[] | undefined): RequiredPrefix | undefined {
  if (!requiredPrefix && (words === undefined || words.length === 0)) return undefined;
  return new RequiredPrefix(requiredPrefix ?? '', texts, words);
}
