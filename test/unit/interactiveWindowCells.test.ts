// The Jupyter extension's Interactive Window (lsp-server/interactiveWindowCells.ts): its kernel messages and the cells
// run from a file kept out of prompts are no context for other cells, and a cell run from such a file gets no prompt.
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { NotebookCellKind, type NotebookCell } from 'vscode-languageserver-protocol';
import { ContextFeature } from '../../lsp-server/context/contextFeature';
import { EXCLUDED_FILE_REASON, SECRET_FILE_REASON } from '../../lsp-server/context/promptPrivacy';
import { isKernelMessage, promptContextCells, ranFromUri } from '../../lsp-server/interactiveWindowCells';
import { excludedEverywhere } from './contextFixtures';

const ROOT = join(tmpdir(), 'ws');
const fileUri = (relative: string) => pathToFileURL(join(ROOT, relative)).href;
const cellUri = (index: number) => `vscode-notebook-cell:/Interactive-1.interactive#C${index}`;

// As VS Code's client sends them: the metadata the Jupyter extension set, copied whole.
const connected: NotebookCell = { kind: NotebookCellKind.Markup, document: cellUri(0), metadata: { isInteractiveWindowMessageCell: true } };
const restarting: NotebookCell = { kind: NotebookCellKind.Markup, document: cellUri(1), metadata: { isInteractiveWindowMessageCell: true, isPlaceholder: true } };
function ranFrom(index: number, relative: string, kind: NotebookCellKind = NotebookCellKind.Code): NotebookCell {
  return { kind, document: cellUri(index), metadata: { interactiveWindowCellMarker: '# %%', interactive: { uristring: fileUri(relative), lineIndex: 3, originalSource: 'x = 1' }, id: `id-${index}` } };
}
const typed = (index: number): NotebookCell => ({ kind: NotebookCellKind.Code, document: cellUri(index) });

describe('Interactive Window cells', () => {
  it("reads the file a cell was run from, and the kernel's messages, from the cell's metadata", () => {
    assert.equal(ranFromUri(ranFrom(2, 'src/train.py')), fileUri('src/train.py'));
    for (const other of [typed(3), connected, { ...typed(4), metadata: { interactive: { file: '/ws/old.py' } } }, { ...typed(5), metadata: { interactive: [1] } }]) {
      assert.equal(ranFromUri(other), undefined, JSON.stringify(other));
    }
    assert.equal(isKernelMessage(connected), true);
    assert.equal(isKernelMessage(restarting), true);
    for (const other of [typed(3), ranFrom(2, 'src/train.py', NotebookCellKind.Markup), { ...typed(6), metadata: { isInteractiveWindowMessageCell: 'yes' } }]) {
      assert.equal(isKernelMessage(other), false, JSON.stringify(other));
    }
  });

  it("leaves out of a cell's context the kernel's messages and what was run from a private file, keeping the cell itself", () => {
    const judged: string[] = [];
    const privateFile = (uri: string) => (judged.push(uri), uri.endsWith('/secret/keys.py'));
    const cells = [connected, ranFrom(1, 'secret/keys.py'), ranFrom(2, 'src/train.py'), ranFrom(3, 'secret/keys.py', NotebookCellKind.Markup), restarting, typed(5), ranFrom(6, 'secret/keys.py'), typed(7)];
    const documents = (completed: string) => promptContextCells(cells, completed, privateFile).map((cell) => cell.document);
    assert.deepEqual(documents(cellUri(7)), [cellUri(2), cellUri(5), cellUri(7)]);
    assert.deepEqual(judged, [fileUri('secret/keys.py'), fileUri('src/train.py')], 'each file judged once');
    assert.deepEqual(documents(cellUri(6)), [cellUri(2), cellUri(5), cellUri(6), cellUri(7)], 'the cell completed stays, to be placed (its own privacy refuses it)');
  });

  it('judges a cell by the file it was run from as well as by its notebook', () => {
    const ranFromOf = new Map([
      [cellUri(1), fileUri('drafts/plan.py')],
      [cellUri(2), fileUri('config/.env')],
      [cellUri(3), fileUri('src/train.py')],
      [cellUri(4), 'untitled:Untitled-1'],
    ]);
    const feature = new ContextFeature({
      model: () => undefined,
      modelStatus: () => undefined,
      limits: () => ({ promptTokenBudget: 512, maxNewTokens: 64 }),
      document: () => undefined,
      fileUri: (uri) => (uri.startsWith('vscode-notebook-cell:/Interactive-1') ? 'vscode-interactive:/Interactive-1.interactive' : uri),
      ranFromUri: (uri) => ranFromOf.get(uri),
      sendExplainChunk: () => undefined,
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
      foregroundIdle: async () => undefined,
      foregroundStarts: () => new AbortController().signal,
      excludes: () => excludedEverywhere(['drafts/**']),
    });
    feature.initialize([{ uri: pathToFileURL(ROOT).href, name: 'ws' }], null, undefined);
    assert.equal(feature.privateReason(cellUri(1)), EXCLUDED_FILE_REASON);
    assert.equal(feature.privateReason(cellUri(2)), SECRET_FILE_REASON);
    for (const index of [3, 4, 5]) assert.equal(feature.privateReason(cellUri(index)), undefined, cellUri(index));
    assert.equal(feature.filePrivateReason(fileUri('drafts/plan.py')), EXCLUDED_FILE_REASON);
    assert.equal(feature.filePrivateReason('untitled:Untitled-1'), undefined);
  });
});
