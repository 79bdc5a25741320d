// "Locus: Compress Context" and "Locus: Explain Selection". Both ask the server (`locus/compress`,
// `locus/explain`) and show the answer in a read-only document beside the editor; an explanation streams in
// as the server sends it.
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { CompressRequest, ExplainChunkNotification, ExplainRequest } from '../lsp-server/protocol';
import { failureMessage, selectionLabel, SUPERSEDED_NOTE } from './contextCommandText';
import { ExplanationStreams } from './explanationStreams';
import { notebookCellOf } from './notebookCellOf';
import { servesScheme } from './servedSchemes';

export const COMPRESS_CONTEXT = 'locus.compressContext';
export const EXPLAIN_SELECTION = 'locus.explainSelection';
const SCHEME = 'locus-context';

/** Documents whose text the extension sets; VS Code shows them read-only and re-reads them on change. */
class GeneratedDocuments implements vscode.TextDocumentContentProvider {
  private readonly texts = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? '';
  }

  set(uri: vscode.Uri, text: string): void {
    this.texts.set(uri.toString(), text);
    this.changed.fire(uri);
  }

  append(uri: vscode.Uri, text: string): void {
    this.set(uri, (this.texts.get(uri.toString()) ?? '') + text);
  }

  dispose(): void {
    this.changed.dispose();
  }
}

function showsUri(tab: vscode.Tab, uri: vscode.Uri): boolean {
  return tab.input instanceof vscode.TabInputText && tab.input.uri.toString() === uri.toString();
}

export function registerContextCommands(client: LanguageClient, output: vscode.LogOutputChannel): vscode.Disposable[] {
  const documents = new GeneratedDocuments();
  const streams = new ExplanationStreams();
  const chunks = client.onNotification(ExplainChunkNotification.type, (chunk) => streams.deliver(chunk));
  let count = 0;

  const fail = (what: string, error: unknown): string => {
    const message = failureMessage(error);
    output.warn(`${what}: ${message}`);
    // The Output channel has the request's details (the sentence is the server's, one line).
    void vscode.window.showWarningMessage(`Locus: ${message}`, 'Show Output').then((choice) => {
      if (choice === 'Show Output') output.show(true);
    });
    return message;
  };
  const served = (editor: vscode.TextEditor): boolean => {
    if (servesScheme(editor.document.uri.scheme)) return true;
    void vscode.window.showInformationMessage('Locus: this works in files, untitled documents and notebook cells; switch to one first.');
    return false;
  };

  const compress = async (): Promise<void> => {
    const editor = vscode.window.activeTextEditor;
    if (editor === undefined) return void vscode.window.showInformationMessage('Locus: open a file and put the cursor where a completion would go.');
    if (!served(editor)) return;
    try {
      const result = await client.sendRequest(CompressRequest.type, { textDocument: { uri: editor.document.uri.toString() }, position: editor.selection.active });
      const uri = vscode.Uri.from({ scheme: SCHEME, path: `/Locus context ${++count}.md` });
      documents.set(uri, result.report);
      await vscode.window.showTextDocument(uri, { viewColumn: vscode.ViewColumn.Beside, preview: true, preserveFocus: true });
    } catch (error) {
      fail('Compress Context failed', error);
    }
  };

  const explain = async (): Promise<void> => {
    const editor = vscode.window.activeTextEditor;
    // Blank lines too: the model made up an explanation for them, with no code to go by.
    if (editor === undefined || editor.document.getText(editor.selection).trim() === '') return void vscode.window.showInformationMessage('Locus: select the code to explain first.');
    if (!served(editor)) return;
    const id = ++count;
    const uri = vscode.Uri.from({ scheme: SCHEME, path: `/Locus explanation ${id}.md` });
    const { start, end } = editor.selection;
    const lineLength = editor.document.lineAt(start.line).text.length;
    const where = selectionLabel(editor.document.fileName, { line: start.line, character: start.character, lineLength }, end, notebookCellOf(editor.document)?.index);
    const heading = `# Explanation of ${where}\n\n`;
    documents.set(uri, heading);
    // Not a preview: opening something else beside it would replace the tab, and a closed tab stops the explanation.
    await vscode.window.showTextDocument(uri, { viewColumn: vscode.ViewColumn.Beside, preview: false, preserveFocus: true });
    const streamId = `explain-${id}`;
    const stream = streams.open(streamId, (delta) => documents.append(uri, delta));
    // Closing the explanation's tab stops the model: nobody is reading what it writes.
    const tabClosed = new vscode.CancellationTokenSource();
    const tabs = vscode.window.tabGroups.onDidChangeTabs((event) => {
      if (event.closed.some((tab) => showsUri(tab, uri)) && !vscode.window.tabGroups.all.some((group) => group.tabs.some((tab) => showsUri(tab, uri)))) {
        tabClosed.cancel();
      }
    });
    try {
      const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Locus: explaining' }, () =>
        client.sendRequest(
          ExplainRequest.type,
          { textDocument: { uri: editor.document.uri.toString() }, range: { start: editor.selection.start, end: editor.selection.end }, streamId },
          tabClosed.token,
        ),
      );
      // The server answers a cancelled explanation with what it had (stop reason `aborted`), not with an error.
      if (tabClosed.token.isCancellationRequested) return void output.info(`Explanation ${id} stopped: its tab was closed.`);
      // The answer holds the whole text: a chunk that did not arrive (a restarted client) leaves no gap in the tab.
      if (stream.streamed() !== result.text) documents.set(uri, heading + result.text);
      if (result.stopReason === 'superseded') documents.append(uri, `\n\n${SUPERSEDED_NOTE}\n`);
    } catch (error) {
      if (tabClosed.token.isCancellationRequested) return void output.info(`Explanation ${id} stopped: its tab was closed.`);
      // The tab is open already (the explanation streams into it): it says what happened instead of staying empty.
      documents.append(uri, `_Not explained: ${fail('Explain Selection failed', error)}_\n`);
    } finally {
      stream.end();
      tabs.dispose();
      tabClosed.dispose();
    }
  };

  return [
    documents,
    chunks,
    vscode.workspace.registerTextDocumentContentProvider(SCHEME, documents),
    vscode.commands.registerCommand(COMPRESS_CONTEXT, compress),
    vscode.commands.registerCommand(EXPLAIN_SELECTION, explain),
  ];
}
