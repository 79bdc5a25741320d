// Why the editor asks for an inline completion. LSP tells only Automatic from Invoked, and VS Code asks explicitly
// (Invoked) not only when the user asks (Alt+\) but also when the mouse rests on ghost text and for Alt+]: a block
// cut to the lines the model was sure of grew to the whole block under the mouse, and stayed so. A client that marks
// the user's asks (`locus/wholeCompletion`) lets the two apart.
import { InlineCompletionTriggerKind, type Position } from 'vscode-languageserver';

/**
 * `typing`: the editor asks while the user types (Automatic). `asked`: the user asked (Alt+\, a manual trigger).
 * `look`: an explicit request the user did not make (VS Code's hover on ghost text, Alt+]): the suggestion on screen
 * is what it should get back.
 */
export type CompletionTrigger = 'typing' | 'asked' | 'look';

/** The user's asks as the client marks them, each for the request that comes right after it. */
export class CompletionAsks {
  private clientMarks = false;
  private pending: { uri: string; position: Position } | undefined;

  /** Whether the client marks every ask of the user's (it declared the capability). */
  setClientMarks(marks: boolean): void {
    this.clientMarks = marks;
  }

  /** The client says the user asked at `position` of `uri`. */
  asked(uri: string, position: Position): void {
    this.pending = { uri, position };
  }

  /** Why this request was made. A mark is spent by the next request, whichever that is. */
  triggerOf(uri: string, position: Position, triggerKind: unknown): CompletionTrigger {
    const ask = this.pending;
    this.pending = undefined;
    if (triggerKind !== InlineCompletionTriggerKind.Invoked) return 'typing';
    if (!this.clientMarks) return 'asked';
    const marked = ask !== undefined && ask.uri === uri && ask.position.line === position.line && ask.position.character === position.character;
    return marked ? 'asked' : 'look';
  }
}
