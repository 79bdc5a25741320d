// The notebook a cell's text document belongs to, and the cell's place in it (VS Code gives a cell's document no link
// to its notebook).
import * as vscode from 'vscode';

export function notebookCellOf(document: vscode.TextDocument): { notebook: vscode.NotebookDocument; index: number } | undefined {
  if (document.uri.scheme !== 'vscode-notebook-cell') return undefined;
  for (const notebook of vscode.workspace.notebookDocuments) {
    const cell = notebook.getCells().find((c) => c.document === document);
    if (cell !== undefined) return { notebook, index: cell.index };
  }
  return undefined;
}
