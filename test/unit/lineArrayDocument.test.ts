// The server's document (lsp-server/lineArrayDocument.ts) against vscode-languageserver-textdocument, whose
// semantics it keeps but where an edit joins `\r` and `\n` (the library's line table then disagrees with its own text
// and with the editor; a document made afresh from the text is the reference): readable cases, then thousands of
// random edits compared answer by answer.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TextDocument, type Position, type Range, type TextDocumentContentChangeEvent } from 'vscode-languageserver-textdocument';
import { LineArrayDocument } from '../../lsp-server/lineArrayDocument';
import { mulberry32 } from '../../runtime/sampler';

const URI = 'file:///a.ts';

function pair(content: string) {
  return { ours: new LineArrayDocument(URI, 'typescript', 1, content), theirs: TextDocument.create(URI, 'typescript', 1, content) };
}

function at(line: number, character: number): Position {
  return { line, character };
}

function span(start: Position, end: Position): Range {
  return { start, end };
}

/**
 * Every answer of `ours` that `theirs` gives too, over every line and offset of a small document. `readText` false
 * leaves our whole text unread, which the next change then drops instead of editing it.
 */
function assertSame(ours: LineArrayDocument, theirs: TextDocument, what: string, readText = true): void {
  const text = theirs.getText();
  if (readText) assert.equal(ours.getText(), text, `${what}: text`);
  assert.equal(ours.length, text.length, `${what}: length`);
  assert.equal(ours.lineCount, theirs.lineCount, `${what}: lineCount`);
  assert.equal(ours.version, theirs.version, `${what}: version`);
  for (let line = -1; line <= theirs.lineCount + 1; line++) {
    for (const character of [-1, 0, 1, 2, 1e9]) assert.equal(ours.offsetAt(at(line, character)), theirs.offsetAt(at(line, character)), `${what}: offsetAt(${line}, ${character})`);
    assert.deepEqual(ours.getLineRange(line), theirs.getLineRange(line), `${what}: getLineRange(${line})`);
    assert.equal(ours.getEOLCharacters(line), theirs.getEOLCharacters(line), `${what}: getEOLCharacters(${line})`);
  }
  for (let offset = -1; offset <= text.length + 1; offset++) assert.deepEqual(ours.positionAt(offset), theirs.positionAt(offset), `${what}: positionAt(${offset})`);
}

describe('LineArrayDocument', () => {
  it("keeps the client's text, with \\r\\n, \\r and \\n each ending a line", () => {
    const { ours, theirs } = pair('a\r\nb\rc\nd');
    assert.equal(ours.lineCount, 4);
    assert.equal(ours.getText(span(at(1, 0), at(2, 0))), 'b\r');
    assert.deepEqual(ours.positionAt(2), at(0, 1), 'between \\r and \\n is the end of the line');
    assertSame(ours, theirs, 'created');
  });

  it('clamps positions past a line, past the last line and below zero, and reads reversed ranges', () => {
    const { ours } = pair('ab\ncd');
    assert.equal(ours.offsetAt(at(0, 9)), 2);
    assert.equal(ours.offsetAt(at(7, 0)), 5);
    assert.equal(ours.offsetAt(at(-1, 3)), 0);
    assert.equal(ours.getText(span(at(1, 1), at(0, 1))), 'b\nc');
    ours.update([{ range: span(at(1, 1), at(0, 1)), text: 'X' }], 2);
    assert.equal(ours.getText(), 'aXd');
  });

  it('makes a \\r and a \\n that an edit puts side by side one line break, as the editor counts it', () => {
    // `\n` after a lone `\r`, `\r` before an LF, and a deletion between them: the library keeps two breaks.
    const cases: [string, TextDocumentContentChangeEvent, string][] = [
      ['a\rb', { range: span(at(1, 0), at(1, 0)), text: '\n' }, 'a\r\nb'],
      ['a\nb', { range: span(at(0, 1), at(0, 1)), text: '\r' }, 'a\r\nb'],
      ['a\ry\nb', { range: span(at(1, 0), at(1, 1)), text: '' }, 'a\r\nb'],
      ['a\rb\nc', { range: span(at(1, 0), at(1, 1)), text: 'x\r' }, 'a\rx\r\nc'],
    ];
    for (const [before, change, after] of cases) {
      const ours = new LineArrayDocument(URI, 'typescript', 1, before);
      ours.update([change], 2);
      assertSame(ours, TextDocument.create(URI, 'typescript', 2, after), JSON.stringify(before));
      // The next edit lands where the editor means it.
      ours.update([{ range: span(at(ours.lineCount - 1, 0), at(ours.lineCount - 1, 0)), text: '>' }], 3);
      assert.equal(ours.getText(), after.replace(/[^\r\n]*$/, (last) => `>${last}`));
    }
  });

  it('takes a paste of many lines, and several changes in one update', () => {
    const { ours, theirs } = pair('head\ntail');
    const changes: TextDocumentContentChangeEvent[] = [
      { range: span(at(0, 4), at(0, 4)), text: '\nline'.repeat(20_000) },
      { range: span(at(3, 0), at(20_000, 2)), text: '' },
    ];
    ours.update(changes, 2);
    TextDocument.update(theirs, changes, 2);
    assert.equal(ours.getText(), theirs.getText());
    assert.equal(ours.lineCount, theirs.lineCount);
    assert.equal(ours.offsetAt(at(4, 0)), theirs.offsetAt(at(4, 0)));
  });

  it('refuses a change that is neither incremental nor full, as the library does, and takes null as an absent field', () => {
    const { ours } = pair('a');
    assert.throws(() => ours.update([{ text: 'b', rangeLength: 1 } as TextDocumentContentChangeEvent], 2), /Unknown change event/);
    const changes = [
      { range: span(at(0, 1), at(0, 1)), rangeLength: null, text: 'b' },
      { range: span(at(0, 2), at(0, 2)), text: 'c' },
    ] as unknown as TextDocumentContentChangeEvent[];
    ours.update(changes, 3);
    assert.equal(ours.getText(), 'abc');
    ours.update([{ range: null, text: 'full' } as unknown as TextDocumentContentChangeEvent], 4);
    assert.equal(ours.getText(), 'full');
  });

  it('answers as the library over thousands of random edits', () => {
    // Line breaks of every kind and a surrogate pair, so edits make and split \r\n pairs and land inside characters.
    const pieces = ['a', 'b', ' ', '\r', '\n', '\r\n', '😀', 'xyz'];
    for (let seed = 1; seed <= 40; seed++) {
      const random = mulberry32(seed);
      const int = (n: number) => Math.floor(random() * n);
      const text = () => Array.from({ length: int(6) }, () => pieces[int(pieces.length)]).join('');
      // `theirs` is made afresh from its text after every change: the editor's lines, not the library's edited table.
      let { ours, theirs } = pair(Array.from({ length: 4 }, text).join(''));
      const position = (): Position => {
        const line = int(theirs.lineCount + 3) - 1;
        const length = theirs.getLineRange(Math.max(0, Math.min(line, theirs.lineCount - 1))).end.character;
        // Line ends and starts often, where breaks join or split.
        const character = [0, length, length + 1, int(length + 3) - 1, 1e6][int(5)]!;
        return at(line, character);
      };
      const change = (): TextDocumentContentChangeEvent => {
        if (random() < 0.03) return { text: Array.from({ length: 4 }, text).join('') };
        const start = position();
        // Mostly short ranges, as typing makes; documents then grow to a few lines of edits.
        let end = random() < 0.9 ? at(start.line + (random() < 0.2 ? 1 : 0), start.character + int(4) - 1) : position();
        // A change starting past the last line with lines to cover leaves holes in the library's line table.
        if (Math.min(start.line, end.line) >= theirs.lineCount) end = at(start.line, end.character);
        // Small documents, so that every line and offset is compared.
        const grow = theirs.getText().length < 200 || random() < 0.3;
        return { range: span(start, end), text: grow ? text() : '' };
      };
      for (let step = 0; step < 150; step++) {
        const version = step + 2;
        // The library takes them one by one (each made for the document as the one before left it), ours in one update.
        const changes = Array.from({ length: 1 + int(2) }, () => {
          const next = change();
          theirs = TextDocument.create(URI, 'typescript', version, TextDocument.update(theirs, [next], version).getText());
          return next;
        });
        ours.update(changes, version);
        assertSame(ours, theirs, `seed ${seed} step ${step} ${JSON.stringify(changes)}`, random() < 0.7);
        for (let i = 0; i < 5; i++) {
          const range = span(position(), position());
          assert.equal(ours.getText(range), theirs.getText(range), `seed ${seed} step ${step} getText(${JSON.stringify(range)})`);
        }
      }
    }
  });
});
