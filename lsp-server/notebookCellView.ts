// A notebook cell as one document: the notebook's cells joined the way a script exported from it reads (nbconvert's
// `--to script`: code cells apart by a blank line, Markdown cells as comments), so the prompt of a cell carries the
// imports, data and functions of the cells around it. The cell's own positions keep meaning the cell: offsets are
// mapped into the joined text and back, so items and refinements land where the editor asked.
import type { Position } from 'vscode-languageserver-protocol';
import { lineCommentFor } from './bracketScan';
import type { CompletionDocument } from './completionProvider';
import { lineEndingOf, type LineEnding } from './modelText';

/** A cell's text document, as the server keeps it (LineArrayDocument): what completions read, and back to positions. */
export type CellDocument = CompletionDocument & { positionAt(offset: number): Position };

/** A cell of the notebook, in the notebook's order. */
export interface NotebookCellText {
  kind: 'code' | 'markup';
  document: CellDocument;
}

/**
 * How much of the other cells is taken, nearest first, whole cells only: far more than any prompt holds, and a large
 * notebook stays under the 1 MiB a document may have for completions (completableDocument.ts) because of its cell.
 */
export const CONTEXT_BEFORE_CHARS = 256 * 1024;
export const CONTEXT_AFTER_CHARS = 64 * 1024;

/**
 * A neighbouring cell's text as it appears in the joined document, in the line ending of the cell completed (the
 * completion's is read from the joined text), or undefined when it is left out.
 */
function neighbourText(cell: NotebookCellText, languageId: string, eol: LineEnding): string | undefined {
  const lines = cell.document.getText().replace(/[\r\n]+$/, '').split(/\r\n|\r|\n/);
  if (lines.every((line) => line.trim() === '')) return undefined;
  if (cell.kind === 'code') return cell.document.languageId === languageId ? lines.join(eol) : undefined;
  // Markdown says what the code around it is for: kept as line comments of the cell's language. A heading's own
  // `#`s go: `# # Load the data` led the model's comments to start with `# #` too.
  const comment = lineCommentFor(languageId);
  return lines.map((line) => (line.trim() === '' ? comment : `${comment} ${line.replace(/^#{1,6}[ \t]+/, '')}`)).join(eol);
}

interface Layout {
  before: string;
  after: string;
}

const ALONE: Layout = { before: '', after: '' };

/** The texts of `cells` in the order given, while they fit in `budget` characters with their separators. */
function nearest(cells: readonly NotebookCellText[], languageId: string, eol: LineEnding, budget: number): string[] {
  const texts: string[] = [];
  let used = 0;
  for (const cell of cells) {
    const text = neighbourText(cell, languageId, eol);
    if (text === undefined) continue;
    used += text.length + 2 * eol.length;
    if (used > budget) break;
    texts.push(text);
  }
  return texts;
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

  /** The last layout and the cells' state it was made from: a request reads it several times. */
  private cached: { key: string; layout: Layout } | undefined;
  /** Layouts made: the joined text's version. */
  private generation = 0;

  get uri(): string {
    return this.cell.uri;
  }

  get languageId(): string {
    return this.cell.languageId;
  }

  /**
   * Changes whenever the joined text does (an edit in this cell or another; cells added, moved or removed): offsets in
   * it (an efficiency refinement's) hold only while it is the same. The editor knows the cell by `cell.version`.
   */
  get version(): number {
    this.layout();
    return this.generation;
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
    const cells = this.kind === 'markup' ? [] : this.cells();
    const key = `${this.cell.version} ${this.cell.languageId}\n${cells.map((cell) => `${cell.kind} ${cell.document.languageId} ${cell.document.version} ${cell.document.uri}`).join('\n')}`;
    if (this.cached?.key === key) return this.cached.layout;
    this.generation++;
    const layout = this.kind === 'markup' ? ALONE : this.joined(cells);
    this.cached = { key, layout };
    return layout;
  }

  private joined(cells: readonly NotebookCellText[]): Layout {
    const index = cells.findIndex((cell) => cell.document.uri === this.cell.uri);
    const { languageId } = this.cell;
    const eol = lineEndingOf(this.cell.getText());
    // Between two cells a blank line, as in an exported script.
    const separator = eol + eol;
    const before = index < 0 ? [] : nearest(cells.slice(0, index).reverse(), languageId, eol, CONTEXT_BEFORE_CHARS).reverse();
    const after = index < 0 ? [] : nearest(cells.slice(index + 1), languageId, eol, CONTEXT_AFTER_CHARS);
    return {
      before: before.length === 0 ? '' : before.join(separator) + separator,
      after: after.length === 0 ? '' : separator + after.join(separator),
    };
  }
}
