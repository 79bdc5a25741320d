// Alt+\: the user asks for the whole completion at the cursor. VS Code also asks explicitly when the mouse rests on
// ghost text and for Alt+], and LSP cannot tell those from the user's ask: a block cut to the lines the model was
// sure of grew under the mouse. So the client says which asks are the user's (`locus/wholeCompletion`) just before
// VS Code's own trigger makes the request.
import * as vscode from 'vscode';
import type { LanguageClient, StaticFeature } from 'vscode-languageclient/node';
import { WholeCompletionNotification } from '../lsp-server/protocol';

export const SHOW_WHOLE_COMPLETION = 'locus.showWholeCompletion';

/** Declares that this client marks the user's asks, and registers the command (bound to Alt+\) that does. */
export class WholeCompletionFeature implements StaticFeature {
  constructor(private readonly client: LanguageClient) {}

  fillClientCapabilities(capabilities: { experimental?: unknown }): void {
    capabilities.experimental = { ...(capabilities.experimental as object | undefined), [WholeCompletionNotification.capability]: true };
  }

  initialize(): void {}

  getState(): { kind: 'static' } {
    return { kind: 'static' };
  }

  clear(): void {}

  /**
   * The command: the mark (while the server runs), then VS Code's explicit request. The suggestion on screen is put
   * away first: VS Code sends no new request where its last one was explicit at the same place and text (as the one on
   * hover is), and would keep the cut block.
   */
  register(): vscode.Disposable {
    return vscode.commands.registerCommand(SHOW_WHOLE_COMPLETION, async () => {
      const editor = vscode.window.activeTextEditor;
      if (editor !== undefined && this.client.isRunning()) {
        const { code2ProtocolConverter: c2p } = this.client;
        await this.client.sendNotification(WholeCompletionNotification.type, { textDocument: { uri: c2p.asUri(editor.document.uri) }, position: c2p.asPosition(editor.selection.active) });
      }
      await vscode.commands.executeCommand('editor.action.inlineSuggest.hide');
      await vscode.commands.executeCommand('editor.action.inlineSuggest.trigger');
    });
  }
}
