// A notebook cell as one document: the notebook's cells joined the way a script exported from it reads (nbconvert's
// `--to script`: code cells apart by a blank line, Markdown cells as comments), so the prompt of a cell carries the
// imports, data and functions of the cells around it. The cell's own positions keep meaning the cell: offsets are
// mapped into the joined text and back, so items and refinements land where the editor asked.
import type { Position } from 'vscode-languageserver-protocol';
import { lineCommentFor } from './bracketScan';

/** A cell's text document, as the server keeps it (LineArrayDocument). */
export interface CellDocument {
  uri: string;
  languageId: string;
  version: number;
  length: number;
  getText(): string;
  offsetAt(position: Position): number;
  positionAt(offset: number): Position;
}

/** A cell of the notebook, in the notebook's order. */
export interface NotebookCellText {
  kind: 'code' | 'markup';
  document: CellDocument;
}

/** Between two cells: a blank line, as in an exported script. */
const CELL_SEPARATOR = '\n\n';

/** A neighbouring cell's text as it appears in the joined document, or undefined when it is left out. */
function neighbourText(cell: NotebookCellText, languageId: string): string | undefined {
  const text = cell.document.getText().replace(/[\r\n]+$/, '');
  if (text.trim() === '') return undefined;
  if (cell.kind === 'code') return cell.document.languageId === languageId ? text : undefined;
  // Markdown says what the code around it is for: kept as line comments of the cell's language.
  const comment = lineCommentFor(languageId);
  return text
    .split(/\r\n|\r|\n/)
    .map((line) => (line.trim() === '' ? comment : `${comment} ${line}`))
    .join('\n');
}

interface Layout {
  before: string;
  after: string;
}

export class NotebookCellView<D extends CellDocument = CellDocument> {
  /**
   * `cells` is read at each use: the notebook's cells as they are now. A Markdown cell is completed on its own text
   * (the code around it is no context for prose).
   */
  constructor(
    readonly cell: D,
    private readonly kind: NotebookCellText['kind'],
    private readonly cells: () => readonly NotebookCellText[],
  ) {}

  get uri(): string {
    return this.cell.uri;
  }

  get languageId(): string {
    return this.cell.languageId;
  }

  /** The cell's version: an edit in another cell does not move the cursor, so it leaves this cell's answers valid. */
  get version(): number {
    return this.cell.version;
  }

  get length(): number {
    const { before, after } = this.layout();
    return before.length + this.cell.length + after.length;
  }

  getText(): string {
    const { before, after } = this.layout();
    return before + this.cell.getText() + after;
  }

  offsetAt(position: Position): number {
    return this.layout().before.length + this.cell.offsetAt(position);
  }

  /** The cell's position of an offset in the joined text; offsets outside the cell land on its nearer end. */
  positionAt(offset: number): Position {
    const inCell = offset - this.layout().before.length;
    return this.cell.positionAt(Math.max(0, Math.min(this.cell.length, inCell)));
  }

  private layout(): Layout {
    if (this.kind === 'markup') return { before: '', after: '' };
    const cells = this.cells();
    const index = cells.findIndex((cell) => cell.document.uri === this.cell.uri);
    const texts = (range: readonly NotebookCellText[]) => range.flatMap((cell) => neighbourText(cell, this.cell.languageId) ?? []);
    const before = index < 0 ? [] : texts(cells.slice(0, index));
    const after = index < 0 ? [] : texts(cells.slice(index + 1));
    return {
      before: before.length === 0 ? '' : before.join(CELL_SEPARATOR) + CELL_SEPARATOR,
      after: after.length === 0 ? '' : CELL_SEPARATOR + after.join(CELL_SEPARATOR),
    };
  }
}
