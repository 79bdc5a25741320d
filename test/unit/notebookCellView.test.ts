// A notebook cell seen with the notebook around it (lsp-server/notebookCellView.ts): the joined text a prompt is made
// of, and the cell's positions mapped into it and back.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LineArrayDocument } from '../../lsp-server/lineArrayDocument';
import { CONTEXT_AFTER_CHARS, CONTEXT_BEFORE_CHARS, NotebookCellView, type NotebookCellText } from '../../lsp-server/notebookCellView';

const NOTEBOOK = 'vscode-notebook-cell:/work/analysis.ipynb';

function cell(index: number, kind: NotebookCellText['kind'], languageId: string, text: string): NotebookCellText & { document: LineArrayDocument } {
  return { kind, document: new LineArrayDocument(`${NOTEBOOK}#C${index}`, languageId, 1, text) };
}

describe('NotebookCellView', () => {
  const notes = cell(0, 'markup', 'markdown', '# Load the data\n\nOne row per sensor.\n');
  const imports = cell(1, 'code', 'python', 'import statistics\n\ndef spread(values):\n    return max(values) - min(values)\n');
  const empty = cell(2, 'code', 'python', '\n');
  const current = cell(3, 'code', 'python', 'readings = [3, 1, 4]\nprint(spr');
  const shell = cell(4, 'code', 'shellscript', 'ls -l');
  const later = cell(5, 'code', 'python', 'print(statistics.mean(readings))');
  const cells = [notes, imports, empty, current, shell, later];

  it('joins the code cells of its language as a script: Markdown as comments (headings without their #s), blank and other-language cells left out', () => {
    const view = new NotebookCellView(current.document, 'code', () => cells);
    const before = '# Load the data\n#\n# One row per sensor.\n\nimport statistics\n\ndef spread(values):\n    return max(values) - min(values)\n\n';
    assert.equal(view.getText(), `${before}readings = [3, 1, 4]\nprint(spr\n\nprint(statistics.mean(readings))`);
    assert.equal(view.length, view.getText().length);
    assert.equal(view.uri, current.document.uri);
    assert.equal(view.languageId, 'python');
  });

  it("maps the cell's positions into the joined text and back", () => {
    const view = new NotebookCellView(current.document, 'code', () => cells);
    const cursor = { line: 1, character: 9 };
    const offset = view.offsetAt(cursor);
    assert.equal(view.getText().slice(0, offset).endsWith('readings = [3, 1, 4]\nprint(spr'), true);
    assert.deepEqual(view.positionAt(offset), cursor);
    // Offsets in the neighbours land on the cell's nearer end.
    assert.deepEqual(view.positionAt(0), { line: 0, character: 0 });
    assert.deepEqual(view.positionAt(view.length), { line: 1, character: 9 });
  });

  it('reads the notebook as it is now, its version changing with the joined text (an edit in any cell, a cell added)', () => {
    const live = [imports, current];
    const view = new NotebookCellView(current.document, 'code', () => live);
    const offsetBefore = view.offsetAt({ line: 0, character: 0 });
    const first = view.version;
    assert.equal(view.version, first, 'unchanged while nothing changes');
    imports.document.update([{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: 'import math\n' }], 2);
    assert.equal(view.offsetAt({ line: 0, character: 0 }), offsetBefore + 'import math\n'.length);
    assert.ok(view.getText().startsWith('import math\nimport statistics'));
    const afterNeighbourEdit = view.version;
    assert.ok(afterNeighbourEdit > first, 'an edit in another cell moves the offsets: a new version');
    current.document.update([{ range: { start: { line: 1, character: 9 }, end: { line: 1, character: 9 } }, text: 'e' }], 7);
    const afterOwnEdit = view.version;
    assert.ok(afterOwnEdit > afterNeighbourEdit);
    live.unshift(cell(6, 'code', 'python', 'RATE = 2'));
    assert.ok(view.getText().startsWith('RATE = 2\n\nimport math'));
    assert.ok(view.version > afterOwnEdit);
  });

  it('completes a Markdown cell, or a cell no longer in the notebook, on its own text', () => {
    const prose = new NotebookCellView(notes.document, 'markup', () => cells);
    assert.equal(prose.getText(), notes.document.getText());
    assert.equal(prose.offsetAt({ line: 2, character: 3 }), notes.document.offsetAt({ line: 2, character: 3 }));
    const removed = new NotebookCellView(current.document, 'code', () => [imports]);
    assert.equal(removed.getText(), current.document.getText());
  });

  it('comments Markdown with the cell language’s own marker', () => {
    const js = cell(7, 'code', 'javascript', 'const x = 1;');
    const view = new NotebookCellView(js.document, 'code', () => [cell(8, 'markup', 'markdown', 'Setup'), js]);
    assert.equal(view.getText(), '// Setup\n\nconst x = 1;');
  });

  it('takes the nearest whole cells that fit its budgets, so a large notebook stays a document of completable size', () => {
    const far = cell(9, 'code', 'python', `FAR = ${'1'.repeat(CONTEXT_BEFORE_CHARS)}`);
    const near = cell(10, 'code', 'python', 'NEAR = 2');
    const here = cell(11, 'code', 'python', 'total = NEAR + ');
    const next = cell(12, 'code', 'python', 'print(total)');
    const beyond = cell(13, 'code', 'python', `LATE = ${'3'.repeat(CONTEXT_AFTER_CHARS)}`);
    const last = cell(14, 'code', 'python', 'print(LATE)');
    const view = new NotebookCellView(here.document, 'code', () => [cell(8, 'code', 'python', 'FIRST = 0'), far, near, here, next, beyond, last]);
    assert.equal(view.getText(), 'NEAR = 2\n\ntotal = NEAR + \n\nprint(total)');
  });

  it("writes the other cells in the line ending of the cell completed, so the completion's is that cell's", () => {
    const crlf = cell(20, 'code', 'python', 'total = 0\r\nfor x in xs:\r\n    ');
    const lf = cell(21, 'code', 'python', 'xs = [1, 2]\nys = xs');
    const notes = cell(22, 'markup', 'markdown', 'Sum\nthem');
    assert.equal(new NotebookCellView(crlf.document, 'code', () => [lf, notes, crlf]).getText(), 'xs = [1, 2]\r\nys = xs\r\n\r\n# Sum\r\n# them\r\n\r\ntotal = 0\r\nfor x in xs:\r\n    ');
    assert.equal(new NotebookCellView(lf.document, 'code', () => [crlf, lf]).getText(), 'total = 0\nfor x in xs:\n    \n\nxs = [1, 2]\nys = xs');
  });
});
