// The words of the Explain and Compress commands that depend on no editor: pure, so unit-tested.
import * as path from 'node:path';

/**
 * What the user is told of a failed request: the server's own sentence without the client library's wrapping,
 * and what to do when the server is not running at all.
 */
export function failureMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/^Client is not running/i.test(message)) return 'The server is not running: run "Locus: Restart Server".';
  // The client library's words when the server stopped (a crash) before it answered; it restarts on its own.
  if (/connection got disposed|^Connection is closed/i.test(message)) {
    return 'The server stopped before it answered: run the command again once it has restarted (the Locus Output channel says why it stopped).';
  }
  return message.replace(/^Request \S+ failed with message: /, '');
}

/**
 * `a.ts:6-10` for a selection; one that ends at the start of a line does not take that line in, nor one that starts
 * at the end of a line (Shift+Down from a line's end, a drag from after its last character: the server explains the
 * same lines). `start.lineLength` is the length of the start's line. In a notebook's cell (`cell`: its index), lines
 * count from the cell's top: `analysis.ipynb, cell 4, lines 1-3`.
 */
export function selectionLabel(
  fileName: string,
  start: { line: number; character: number; lineLength: number },
  end: { line: number; character: number },
  cell?: number,
): string {
  const last = end.character === 0 && end.line > start.line ? end.line - 1 : end.line;
  const first = start.character >= start.lineLength && last > start.line ? start.line + 1 : start.line;
  if (cell === undefined) return `${path.basename(fileName)}:${first + 1}-${last + 1}`;
  return `${path.basename(fileName)}, cell ${cell + 1}, ${first === last ? `line ${last + 1}` : `lines ${first + 1}-${last + 1}`}`;
}

/** Ends an explanation that a newer Explain stopped (the model explains one selection at a time). */
export const SUPERSEDED_NOTE = '_Stopped: a newer explanation took the model. Run Explain Selection on this code again to finish it._';
