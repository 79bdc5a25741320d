// Tells the status bar why the server makes no completion in the active editor's document (a secret file,
// `locus.exclude`, over 1 MiB, binary): otherwise no ghost text shows there and nothing says why. The server says so
// when it changes (`locus/completionSkipped`); the reasons are kept per document until it completes there again or
// the document closes.
import * as vscode from 'vscode';
import { State, type LanguageClient } from 'vscode-languageclient/node';
import { CompletionSkippedNotification } from '../lsp-server/protocol';
import type { StatusBar } from './statusBar';

export function trackSkippedDocuments(client: LanguageClient, statusBar: StatusBar): vscode.Disposable[] {
  const reasons = new Map<string, string>();
  const update = () => statusBar.setSkipped(reasons.get(vscode.window.activeTextEditor?.document.uri.toString() ?? ''));
  return [
    client.onNotification(CompletionSkippedNotification.type, ({ uri, reason }) => {
      if (reason === null) reasons.delete(uri);
      else reasons.set(uri, reason);
      update();
    }),
    vscode.window.onDidChangeActiveTextEditor(update),
    vscode.workspace.onDidCloseTextDocument((document) => {
      if (reasons.delete(document.uri.toString())) update();
    }),
    // A new server says again what it skips; what the old one said may no longer hold (the settings changed).
    client.onDidChangeState((event) => {
      if (event.newState !== State.Running || reasons.size === 0) return;
      reasons.clear();
      update();
    }),
  ];
}
