// Alt+\: the user asks for the whole completion at the cursor. VS Code also asks explicitly when the mouse rests on
// ghost text and for Alt+], and LSP cannot tell those from the user's ask: a block cut to the lines the model was
// sure of grew under the mouse. So the client says which asks are the user's (`locus/wholeCompletion`) just before
// VS Code's own trigger makes the request.
import * as vscode from 'vscode';
import type { LanguageClient, StaticFeature } from 'vscode-languageclient/node';
import { WholeCompletionNotification } from '../lsp-server/protocol';

export const SHOW_WHOLE_COMPLETION = 'locus.showWholeCompletion';

/**
 * Where VS Code last asked explicitly (hover, Alt+], Alt+\): it sends no new explicit request there while the text is
 * the same, and keeps what it has. Any later request moves it on.
 */
export class LastExplicitRequest {
  private last: { uri: string; version: number; position: vscode.Position } | undefined;

  note(document: vscode.TextDocument, position: vscode.Position, context: vscode.InlineCompletionContext): void {
    this.last = context.triggerKind === vscode.InlineCompletionTriggerKind.Invoke ? { uri: document.uri.toString(), version: document.version, position } : undefined;
  }

  /** Whether an explicit request at the editor's cursor would be one VS Code does not send again. */
  isAt(editor: vscode.TextEditor): boolean {
    const { last } = this;
    return last !== undefined && last.uri === editor.document.uri.toString() && last.version === editor.document.version && last.position.isEqual(editor.selection.active);
  }
}

/**
 * Asks VS Code for the inline completion at the cursor explicitly. Where its last request there was explicit already
 * (the one on hover), what shows is put away first, as only that makes it ask again; elsewhere it keeps showing until
 * the answer replaces it.
 */
export async function triggerInlineCompletion(lastExplicit: LastExplicitRequest, editor: vscode.TextEditor | undefined): Promise<void> {
  if (editor !== undefined && lastExplicit.isAt(editor)) await vscode.commands.executeCommand('editor.action.inlineSuggest.hide');
  await vscode.commands.executeCommand('editor.action.inlineSuggest.trigger');
}

/** Declares that this client marks the user's asks, and registers the command (bound to Alt+\) that does. */
export class WholeCompletionFeature implements StaticFeature {
  constructor(
    private readonly client: LanguageClient,
    private readonly lastExplicit: LastExplicitRequest,
  ) {}

  fillClientCapabilities(capabilities: { experimental?: unknown }): void {
    capabilities.experimental = { ...(capabilities.experimental as object | undefined), [WholeCompletionNotification.capability]: true };
  }

  initialize(): void {}

  getState(): { kind: 'static' } {
    return { kind: 'static' };
  }

  clear(): void {}

  /** The command: the mark (while the server runs), then VS Code's explicit request. */
  register(): vscode.Disposable {
    return vscode.commands.registerCommand(SHOW_WHOLE_COMPLETION, async () => {
      const editor = vscode.window.activeTextEditor;
      if (editor !== undefined && this.client.isRunning()) {
        const { code2ProtocolConverter: c2p } = this.client;
        await this.client.sendNotification(WholeCompletionNotification.type, { textDocument: { uri: c2p.asUri(editor.document.uri) }, position: c2p.asPosition(editor.selection.active) });
      }
      await triggerInlineCompletion(this.lastExplicit, editor);
    });
  }
}
