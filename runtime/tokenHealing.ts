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

export class RequiredPrefix implements TokenConstraint {
  private covered = 0;
  /**
   * When the text is whitespace ending in spaces or tabs (a line's indentation, the space after `return`), the
   * user put the cursor there: the character written after it must not be whitespace. Without this the model,
   * free to pick a longer indentation token, often nested its line one level too deep. Text ending in a line break
   * (the cursor at the start of an empty line, as on a blank line of formatted code) leaves the indentation to the
   * model.
   */
  private readonly thenNonSpace: boolean;
  private settled = false;
  /** Set when no token fits (not possible with a byte-level vocabulary): the generation cannot start with the text. */
  failed = false;

  constructor(
    readonly text: string,
    private readonly texts: TokenTexts,
  ) {
    this.thenNonSpace = /^\s*[ \t]$/.test(text);
  }

  get active(): boolean {
    if (this.failed) return false;
    return this.covered < this.text.length || (this.thenNonSpace && !this.settled);
  }

  mask(logits: Float32Array): void {
    if (!this.active) return;
    if (this.covered === this.text.length) {
      for (const id of this.texts.startingWithSpace()) logits[id] = -Infinity;
      return;
    }
    const rest = this.text.slice(this.covered);
    const allowed = this.texts.fitting(rest).filter((id) => !this.thenNonSpace || !/^\s/.test(this.texts.texts[id]!.slice(rest.length)));
    if (allowed.length === 0) {
      this.failed = true;
      return;
    }
    const kept = allowed.map((id) => logits[id]!);
    logits.fill(-Infinity);
    allowed.forEach((id, i) => (logits[id] = kept[i]!));
  }

  /** An independent copy at the same point (beam search grows several continuations from one). */
  clone(): RequiredPrefix {
    const copy = new RequiredPrefix(this.text, this.texts);
    copy.covered = this.covered;
    copy.settled = this.settled;
    copy.failed = this.failed;
    return copy;
  }

  /** Records a generated token (in order, from the first). */
  commit(id: number): void {
    if (!this.active) return;
    const text = this.texts.texts[id] ?? '';
    const rest = this.text.slice(this.covered);
    if (rest === '') this.settled = true;
    else if (fits(text, rest)) {
      this.covered += Math.min(text.length, rest.length);
      if (text.length > rest.length) this.settled = true;
    } else this.failed = true;
  }
}
