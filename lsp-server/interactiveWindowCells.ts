// Cells of the Jupyter extension's Interactive Window (notebook type `interactive`: "Run in Interactive Window", "Run
// Current Cell"), told apart by the metadata the extension gives them, which VS Code's client syncs with each cell.
// Code sent from a file names it (`metadata.interactive.uristring`, the file's URI), and the kernel's status messages
// ("Connecting to kernel", "Connected to Python 3.11", "Restarted ...", a start's error) are Markdown cells marked
// `isInteractiveWindowMessageCell`. The Python extension's native REPL gives its cells neither.
import type { NotebookCell } from 'vscode-languageserver-protocol';

/** `value[key]` where `value` is an object of JSON (what metadata is), else undefined. */
function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>)[key] : undefined;
}

/** The URI of the file a cell's code was run from; undefined for a cell that names none. */
export function ranFromUri(cell: NotebookCell): string | undefined {
  const uri = field(field(cell.metadata, 'interactive'), 'uristring');
  return typeof uri === 'string' ? uri : undefined;
}

/** A message of the Interactive Window about its kernel: no text of the user's. */
export function isKernelMessage(cell: NotebookCell): boolean {
  return field(cell.metadata, 'isInteractiveWindowMessageCell') === true;
}

/**
 * The cells whose text may go into the prompt of the cell `completed` (kept, whatever it is, to place it): not the
 * kernel's messages, and not code run from a file whose text stays out of prompts (`privateFile`: promptPrivacy.ts's
 * rules, for that file's URI), which the cell's own copy of it must not carry past them.
 */
export function promptContextCells(cells: readonly NotebookCell[], completed: string, privateFile: (fileUri: string) => boolean): NotebookCell[] {
  // A REPL's cells mostly come from a few files: each is judged once per reading.
  const judged = new Map<string, boolean>();
  const fromPrivateFile = (uri: string) => {
    let isPrivate = judged.get(uri);
    if (isPrivate === undefined) {
      isPrivate = privateFile(uri);
      judged.set(uri, isPrivate);
    }
    return isPrivate;
  };
  return cells.filter((cell) => {
    if (cell.document === completed) return true;
    const ranFrom = ranFromUri(cell);
    return !isKernelMessage(cell) && (ranFrom === undefined || !fromPrivateFile(ranFrom));
  });
}
