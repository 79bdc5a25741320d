// Why the editor asks for an inline completion. LSP tells only Automatic from Invoked, and VS Code asks explicitly
// (Invoked) not only when the user asks (Alt+\) but also when the mouse rests on ghost text and for Alt+]: a block
// cut to the lines the model was sure of grew to the whole block under the mouse, and stayed so. A client that marks
// the user's asks (`locus/wholeCompletion`) lets the two apart.
import { InlineCompletionTriggerKind, type Position } from 'vscode-languageserver';
import { samePosition } from './samePosition';

/**
 * `typing`: the editor asks while the user types (Automatic). `asked`: the user asked (Alt+\, a manual trigger).
 * `look`: an explicit request the user did not make (VS Code's hover on ghost text, Alt+]): the suggestion on screen
 * is what it should get back.
 */
export type CompletionTrigger = 'typing' | 'asked' | 'look';

/**
 * How long a mark waits for its explicit request, which follows it within milliseconds; one VS Code never sent (no
 * provider wanted the document) must not make a later hover there an ask.
 */
const MARK_LIFETIME_MS = 2000;

/** The user's asks as the client marks them, each for the explicit request that comes next. */
export class CompletionAsks {
  private clientMarks = false;
  private pending: { uri: string; position: Position; at: number } | undefined;

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Whether the client marks every ask of the user's (it declared the capability). */
  setClientMarks(marks: boolean): void {
    this.clientMarks = marks;
  }

  /** The client says the user asked at `position` of `uri`. */
  asked(uri: string, position: Position): void {
    this.pending = { uri, position, at: this.now() };
  }

  /**
   * Why this request was made. A mark is spent by the next explicit request, whichever that is: a request typing made
   * in between (a key pressed just before Alt+\) leaves it.
   */
  triggerOf(uri: string, position: Position, triggerKind: unknown): CompletionTrigger {
    if (triggerKind !== InlineCompletionTriggerKind.Invoked) return 'typing';
    const ask = this.pending;
    this.pending = undefined;
    if (!this.clientMarks) return 'asked';
    const marked = ask !== undefined && this.now() - ask.at <= MARK_LIFETIME_MS && ask.uri === uri && samePosition(ask.position, position);
    return marked ? 'asked' : 'look';
  }
}
