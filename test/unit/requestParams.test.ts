// What a client sends, checked at the server's border (lsp-server/requestParams.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCodes, ResponseError } from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { checkedBudget, checkedPosition, checkedRange, checkedSince, documentUri, characterStartAt, pastLineEnd,
  positionIn, selectedItem } from '../../lsp-server/requestParams';

const invalidParams = (e: unknown) => e instanceof ResponseError && e.code === ErrorCodes.InvalidParams;

describe('request params', () => {
  it('takes whole-number positions and ranges, and refuses anything else with InvalidParams', () => {
    assert.deepEqual(checkedPosition({ line: 2, character: 0, extra: true }), { line: 2, character: 0 });
    for (const bad of [undefined, null, {}, { line: -1, character: 0 }, { line: 1, character: 0.5 }, { line: '1', character: '2' }]) {
      assert.throws(() => checkedPosition(bad), invalidParams, JSON.stringify(bad));
    }
    assert.throws(() => checkedRange({ start: { line: 0, character: 0 } }), (e: unknown) => invalidParams(e) && /range\.end/.test((e as Error).message));
    assert.equal(documentUri({ textDocument: { uri: 'file:///a.ts' } }), 'file:///a.ts');
    assert.throws(() => documentUri({}), invalidParams);
  });

  it('puts a range given end first (a selection made upwards) in order', () => {
    const [a, b] = [{ line: 4, character: 2 }, { line: 1, character: 7 }];
    assert.deepEqual(checkedRange({ start: a, end: b }), { start: b, end: a });
    assert.deepEqual(checkedRange({ start: b, end: a }), { start: b, end: a });
    const [c, d] = [{ line: 3, character: 9 }, { line: 3, character: 1 }];
    assert.deepEqual(checkedRange({ start: c, end: d }), { start: d, end: c });
  });

  it("takes Compress's budget and the telemetry requests' since when absent or well formed, and refuses the rest", () => {
    for (const absent of [undefined, null]) {
      assert.equal(checkedBudget(absent), undefined);
      assert.equal(checkedSince(absent), undefined);
    }
    assert.equal(checkedBudget(300), 300);
    assert.equal(checkedBudget(32), 32);
    for (const bad of [0, 1, 5, 31, -5, 1.5, 'x', Infinity]) assert.throws(() => checkedBudget(bad), invalidParams, String(bad));
    assert.equal(checkedSince(1_765_000_000_000), 1_765_000_000_000);
    for (const bad of ['yesterday', NaN, Infinity, {}]) assert.throws(() => checkedSince(bad), invalidParams, String(bad));
  });

  it('moves a position to one the document has: a line end, the document end, never inside a surrogate pair', () => {
    const document = TextDocument.create('file:///a.ts', 'typescript', 1, 'let 𝒳 = 1;\nx');
    assert.deepEqual(positionIn(document, { line: 0, character: 99 }), { line: 0, character: 11 });
    assert.deepEqual(positionIn(document, { line: 7, character: 0 }), { line: 1, character: 1 });
    // 𝒳 is two UTF-16 code units at characters 4 and 5: character 5 is inside it.
    assert.deepEqual(positionIn(document, { line: 0, character: 5 }), { line: 0, character: 4 });
    assert.deepEqual(positionIn(document, { line: 0, character: 6 }), { line: 0, character: 6 });
    // The same rule for Compress and Explain, which read the whole text.
    assert.deepEqual([0, 4, 5, 6, 13].map((offset) => characterStartAt('let 𝒳 = 1;\nx', offset)), [0, 4, 4, 6, 13]);
  });

  it("reads the suggest widget's selected item: absent, malformed (InvalidParams), or with its ends in order", () => {
    const document = TextDocument.create('file:///a.ts', 'typescript', 1, 'items.le\n');
    assert.equal(selectedItem(undefined, document), undefined);
    assert.throws(() => selectedItem({ range: { start: { line: 0, character: 6 } } , text: 'length' }, document), invalidParams);
    assert.throws(() => selectedItem({ range: { start: { line: 0, character: 6 }, end: { line: 0, character: 8 } } }, document), invalidParams);
    const reversed = selectedItem({ range: { start: { line: 0, character: 8 }, end: { line: 0, character: 6 } }, text: 'length' }, document);
    assert.deepEqual(reversed, { range: { start: { line: 0, character: 6 }, end: { line: 0, character: 8 } }, text: 'length' });
  });

  it('moves a selection start that sits on a line break past it, when more is selected after it', () => {
    const text = '}\n\nfunction f() {}\r\nx';
    assert.equal(pastLineEnd(text, 1, 20), 2);
    // One line break only: the blank line after it is the selection's.
    assert.equal(pastLineEnd(text, 2, 20), 3);
    assert.equal(pastLineEnd(text, 18, 21), 20, 'CRLF');
    assert.equal(pastLineEnd(text, 1, 2), 1, 'nothing but the line break');
    assert.equal(pastLineEnd(text, 0, 20), 0, 'not at a line end');
  });
});
