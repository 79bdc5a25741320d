// Notebooks as LSP 3.17 syncs them (notebookDocument/didOpen, didChange, didClose): their cells' text documents, and
// each code cell seen as the notebook around it (notebookCellView.ts). VS Code's client sends a notebook's cells this
// way, and not as text documents, once the server declares `notebookDocumentSync`. An Interactive Window's cells
// that are no one's code, or copies of a file kept out of prompts, are no context (interactiveWindowCells.ts).
import { NotebookCellKind, NotebookDocuments, type Connection, type NotebookDocumentSyncOptions, type TextDocumentsConfiguration } from 'vscode-languageserver/node';
import { promptContextCells, ranFromUri } from './interactiveWindowCells';
import type { LineArrayDocument } from './lineArrayDocument';
import { NotebookCellView } from './notebookCellView';

/** Every cell of every notebook type: code cells are completed, Markdown cells are read as comments around them. */
export const NOTEBOOK_SYNC: NotebookDocumentSyncOptions = { notebookSelector: [{ notebook: '*' }] };

export class NotebookCells {
  private readonly notebooks: NotebookDocuments<LineArrayDocument>;
  /** One view per cell document while it is open, so a request can tell whether its cell was closed meanwhile. */
  private readonly views = new WeakMap<LineArrayDocument, NotebookCellView<LineArrayDocument>>();

  /** `privateFile`: whether the text of the file with this URI stays out of prompts (promptPrivacy.ts). */
  constructor(
    documents: TextDocumentsConfiguration<LineArrayDocument>,
    private readonly privateFile: (fileUri: string) => boolean,
  ) {
    this.notebooks = new NotebookDocuments(documents);
  }

  listen(connection: Connection): void {
    this.notebooks.listen(connection);
  }

  /** The open cell with this URI, seen with its notebook around it; undefined for anything else. */
  view(uri: string): NotebookCellView<LineArrayDocument> | undefined {
    const cell = this.notebooks.getNotebookCell(uri);
    const document = this.notebooks.cellTextDocuments.get(uri);
    const notebook = this.notebooks.findNotebookDocumentForCell(uri);
    if (cell === undefined || document === undefined || notebook === undefined) return undefined;
    let view = this.views.get(document);
    if (view === undefined) {
      // The notebook object is the library's, updated in place as cells are added, moved and removed.
      const cells = () => promptContextCells(notebook.cells, uri, this.privateFile).flatMap((c) => {
        const text = this.notebooks.cellTextDocuments.get(c.document);
        return text === undefined ? [] : [{ kind: c.kind === NotebookCellKind.Markup ? ('markup' as const) : ('code' as const), document: text }];
      });
      view = new NotebookCellView(document, cell.kind === NotebookCellKind.Markup ? 'markup' : 'code', cells);
      this.views.set(document, view);
    }
    return view;
  }

  /** Calls `listener` with the URIs of cells that came: their notebook opened, or they were added to it. */
  onCellsOpened(listener: (uris: string[]) => void): void {
    this.notebooks.onDidOpen((notebook) => listener(notebook.cells.map((cell) => cell.document)));
    this.notebooks.onDidChange((change) => {
      const added = change.cells?.added ?? [];
      if (added.length > 0) listener(added.map((cell) => cell.document));
    });
  }

  /** Calls `listener` with the URIs of cells that are gone: their notebook closed, or they were removed from it. */
  onCellsClosed(listener: (uris: string[]) => void): void {
    this.notebooks.onDidClose((notebook) => listener(notebook.cells.map((cell) => cell.document)));
    this.notebooks.onDidChange((change) => {
      const removed = change.cells?.removed ?? [];
      if (removed.length > 0) listener(removed.map((cell) => cell.document));
    });
  }

  /** The file an Interactive Window's cell was run from, whose rules hold for the cell too; undefined for other URIs. */
  ranFromUriOf(uri: string): string | undefined {
    const cell = this.notebooks.getNotebookCell(uri);
    return cell === undefined ? undefined : ranFromUri(cell);
  }

  /** The notebook's URI for one of its cells (its file decides privacy and names it in prompts); other URIs as given. */
  fileUriOf(uri: string): string {
    return this.notebooks.findNotebookDocumentForCell(uri)?.uri ?? uri;
  }
}
