// What an explanation shows around the model's text: a doc comment's opener once the first text comes, and its closer
// at the end (the model's own closer is a stop string, never shown); and one sentence instead when the model wrote
// nothing, where a comment opened up front stayed a bare `/**`.
import type { GenerateResult } from '../../runtime/engine';

export interface CommentFrame {
  opener: string;
  closer: string;
}

export class ExplanationFrame {
  private text = '';
  private written = false;

  /** `comment`: the doc comment the text goes in (none for a chat answer); `send`: each piece of the text, in order. */
  constructor(
    private readonly comment: CommentFrame | undefined,
    private readonly nothingWritten: string,
    private readonly send: (delta: string) => void,
  ) {}

  /** The model's text as it streams. */
  push(delta: string): void {
    if (delta === '') return;
    if (!this.written) this.emit(this.comment?.opener ?? '');
    this.written = true;
    this.emit(delta);
  }

  /** Ends the text; returns all of it. A stopped explanation that wrote nothing says nothing: it was not asked to finish. */
  finish(stopReason: GenerateResult['stopReason']): string {
    if (this.written) this.emit(this.comment?.closer ?? '');
    else if (stopReason !== 'aborted') this.emit(this.nothingWritten);
    return this.text;
  }

  private emit(delta: string): void {
    if (delta === '') return;
    this.text += delta;
    this.send(delta);
  }
}
