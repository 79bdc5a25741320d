// Tells the status bar why the server makes no completion in the active editor's document (a secret file,
// `locus.exclude`, over 1 MiB, binary): otherwise no ghost text shows there and nothing says why. The server says so
// when it changes (`locus/completionSkipped`); the reasons are kept per document until it completes there again or
// the document closes. A notebook's cells share one: the server says it for the cell asked, and the notebook's path
// decides it for all of them.
import * as vscode from 'vscode';
import { State, type LanguageClient } from 'vscode-languageclient/node';
import { CompletionSkippedNotification } from '../lsp-server/protocol';
import { notebookCellOf } from './notebookCellOf';
import type { StatusBar } from './statusBar';

export function trackSkippedDocuments(client: LanguageClient, statusBar: StatusBar): vscode.Disposable[] {
  const reasons = new Map<string, string>();
  const keyOf = (document: vscode.TextDocument) => (notebookCellOf(document)?.notebook.uri ?? document.uri).toString();
  const update = () => {
    const document = vscode.window.activeTextEditor?.document;
    statusBar.setSkipped(document === undefined ? undefined : reasons.get(keyOf(document)));
  };
  return [
    client.onNotification(CompletionSkippedNotification.type, ({ uri, reason }) => {
      const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri);
      const key = document === undefined ? uri : keyOf(document);
      if (reason === null) reasons.delete(key);
      else reasons.set(key, reason);
      update();
    }),
    vscode.window.onDidChangeActiveTextEditor(update),
    vscode.workspace.onDidCloseTextDocument((document) => {
      if (reasons.delete(document.uri.toString())) update();
    }),
    vscode.workspace.onDidCloseNotebookDocument((notebook) => {
      if (reasons.delete(notebook.uri.toString())) update();
    }),
    // A new server says again what it skips; what the old one said may no longer hold (the settings changed).
    client.onDidChangeState((event) => {
      if (event.newState !== State.Running || reasons.size === 0) return;
      reasons.clear();
      update();
    }),
  ];
}
