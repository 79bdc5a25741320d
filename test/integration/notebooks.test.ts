// Notebooks over LSP 3.17's notebook sync, through the real server: a cell's prompt holds the cells around it, its
// items are placed in the cell, edits and closing follow the notebook, and an excluded notebook gives no prompt; in
// the Jupyter extension's Interactive Window, kernel messages and code run from an excluded file are no one's prompt.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import {
  DidChangeNotebookDocumentNotification,
  DidCloseNotebookDocumentNotification,
  DidOpenNotebookDocumentNotification,
  InlineCompletionRequest,
  InlineCompletionTriggerKind,
  NotebookCellKind,
  type InlineCompletionItem,
  type InlineCompletionList,
  type Position,
} from 'vscode-languageserver-protocol';
import { withTimeout } from '../../cli/serverProcess';
import { CompletionSkippedNotification, CompressRequest, type CompletionSkippedParams, type CompressResult } from '../../lsp-server/protocol';
import { FIXTURE_MODEL, LspHarness, WAIT_MS } from './lspHarness';

const NOTES = '# Sensor readings\n\nOne row per sensor.';
const DEFINITIONS = 'import statistics\n\ndef spread(values):\n    return max(values) - min(values)\n';
const CURRENT = 'readings = [3, 1, 4]\nprint(spr';
const LATER = 'print(statistics.mean(readings))';

describe('notebooks over LSP', () => {
  let lsp: LspHarness;
  let root: string;
  const skipped: CompletionSkippedParams[] = [];
  const notebookUri = (relative: string) => pathToFileURL(join(root, relative)).href;
  const cellUri = (relative: string, index: number) => `${notebookUri(relative).replace(/^file:/, 'vscode-notebook-cell:')}#C${index}`;

  async function openNotebook(relative: string): Promise<void> {
    const texts: Array<[NotebookCellKind, string, string]> = [
      [NotebookCellKind.Markup, 'markdown', NOTES],
      [NotebookCellKind.Code, 'python', DEFINITIONS],
      [NotebookCellKind.Code, 'python', CURRENT],
      [NotebookCellKind.Code, 'python', LATER],
    ];
    await lsp.server.connection.sendNotification(DidOpenNotebookDocumentNotification.type, {
      notebookDocument: { uri: notebookUri(relative), notebookType: 'jupyter-notebook', version: 1, cells: texts.map(([kind], i) => ({ kind, document: cellUri(relative, i) })) },
      cellTextDocuments: texts.map(([, languageId, text], i) => ({ uri: cellUri(relative, i), languageId, version: 1, text })),
    });
  }

  async function items(uri: string, position: Position): Promise<InlineCompletionItem[]> {
    const request = lsp.server.connection.sendRequest(InlineCompletionRequest.type, { textDocument: { uri }, position, context: { triggerKind: InlineCompletionTriggerKind.Invoked } });
    const result = await withTimeout(request, WAIT_MS, 'inlineCompletion');
    return result === null ? [] : Array.isArray(result) ? result : (result as InlineCompletionList).items;
  }

  const prefixOf = (result: CompressResult) => result.before.parts.filter((p) => p.kind === 'prefix').map((p) => p.text).join('');
  const compress = (uri: string, position: Position) => withTimeout(lsp.server.connection.sendRequest(CompressRequest.type, { textDocument: { uri }, position }), WAIT_MS, 'compress');

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'locus-notebooks-'));
    mkdirSync(join(root, 'drafts'));
    lsp = await LspHarness.start({ model: { path: FIXTURE_MODEL }, completion: { maxNewTokens: 8, timeLimitMs: 0 }, exclude: ['drafts/**'] }, { workspace: root });
    lsp.server.connection.onNotification(CompletionSkippedNotification.type, (params: CompletionSkippedParams) => {
      skipped.push(params);
    });
    await lsp.waitForStatus((s) => s.state === 'ready', 'the model to load');
  });
  after(async () => {
    await lsp.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('declares notebook sync for every notebook type', () => {
    assert.deepEqual(lsp.initializeResult.capabilities.notebookDocumentSync, { notebookSelector: [{ notebook: '*' }] });
  });

  it("puts the earlier cells (Markdown as comments) and the later ones in a cell's prompt, and its items in the cell", async () => {
    await openNotebook('analysis.ipynb');
    const cursor = { line: 1, character: 9 };
    const prefix = prefixOf(await compress(cellUri('analysis.ipynb', 2), cursor));
    assert.ok(prefix.includes('# Sensor readings'), prefix);
    assert.ok(prefix.includes('def spread(values):'), prefix);
    // Token healing may take back the last characters typed; the model writes them again.
    assert.ok(prefix.includes('readings = [3, 1, 4]\nprint(sp'), prefix);
    const suffix = (await compress(cellUri('analysis.ipynb', 2), cursor)).before.parts.filter((p) => p.kind === 'suffix').map((p) => p.text).join('');
    assert.ok(suffix.includes('statistics.mean(readings)'), suffix);

    const runs = lsp.timings.length;
    const answer = await items(cellUri('analysis.ipynb', 2), cursor);
    assert.equal(lsp.timings.length, runs + 1, 'the model ran');
    assert.equal(lsp.timings.at(-1)!.uri, cellUri('analysis.ipynb', 2));
    for (const item of answer) assert.deepEqual(item.range, { start: cursor, end: cursor });
  });

  it("follows edits to the other cells, and answers nothing for a closed notebook's cells", async () => {
    await lsp.server.connection.sendNotification(DidChangeNotebookDocumentNotification.type, {
      notebookDocument: { uri: notebookUri('analysis.ipynb'), version: 2 },
      change: { cells: { textContent: [{ document: { uri: cellUri('analysis.ipynb', 1), version: 2 }, changes: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: 'import math\n' }] }] } },
    });
    const prefix = prefixOf(await compress(cellUri('analysis.ipynb', 2), { line: 1, character: 9 }));
    assert.ok(prefix.includes('import math\nimport statistics'), prefix);

    await lsp.server.connection.sendNotification(DidCloseNotebookDocumentNotification.type, {
      notebookDocument: { uri: notebookUri('analysis.ipynb') },
      cellTextDocuments: [0, 1, 2, 3].map((i) => ({ uri: cellUri('analysis.ipynb', i) })),
    });
    const runs = lsp.timings.length;
    assert.deepEqual(await items(cellUri('analysis.ipynb', 2), { line: 1, character: 9 }), []);
    assert.equal(lsp.timings.length, runs, 'the model did not run');
  });

  it("keeps an excluded notebook's cells out of prompts, and says why", async () => {
    await openNotebook('drafts/survey.ipynb');
    const runs = lsp.timings.length;
    assert.deepEqual(await items(cellUri('drafts/survey.ipynb', 2), { line: 1, character: 9 }), []);
    assert.equal(lsp.timings.length, runs, 'the model never ran');
    // Said as the notebook opened, for its first cell (the client keeps one reason per notebook).
    assert.deepEqual(
      skipped.map((s) => [s.uri, /locus\.exclude/.test(s.reason ?? '')]),
      [[cellUri('drafts/survey.ipynb', 0), true]],
    );
    await assert.rejects(compress(cellUri('drafts/survey.ipynb', 2), { line: 1, character: 9 }), /locus\.exclude names it/);
    // Said once per cell while it is open; a cell opened again hears it again (the client forgot it at the close).
    assert.deepEqual(await items(cellUri('drafts/survey.ipynb', 2), { line: 1, character: 9 }), []);
    assert.equal(skipped.length, 1);
    await lsp.server.connection.sendNotification(DidCloseNotebookDocumentNotification.type, {
      notebookDocument: { uri: notebookUri('drafts/survey.ipynb') },
      cellTextDocuments: [0, 1, 2, 3].map((i) => ({ uri: cellUri('drafts/survey.ipynb', i) })),
    });
    await openNotebook('drafts/survey.ipynb');
    assert.deepEqual(await items(cellUri('drafts/survey.ipynb', 2), { line: 1, character: 9 }), []);
    assert.equal(skipped.length, 2);
    // Excluded no more: the exclude change clears the notebook's reason at once, for the cell it was said for (the
    // client keeps one per notebook), and its cells complete.
    const said = skipped.length;
    await lsp.configure({ exclude: [] });
    const started = Date.now();
    while (skipped.length === said && Date.now() - started < 10_000) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(skipped.slice(said), [{ uri: cellUri('drafts/survey.ipynb', 0), reason: null }]);
    await items(cellUri('drafts/survey.ipynb', 3), { line: 0, character: 5 });
    assert.equal(lsp.timings.length, runs + 1, 'the model ran');
    assert.equal(skipped.length, said + 1, 'said once');
  });

  it("leaves an Interactive Window's kernel messages, and code run from an excluded file, out of prompts", async () => {
    await lsp.configure({ exclude: ['drafts/**'] });
    const windowUri = 'vscode-interactive:/Interactive-1.interactive';
    const windowCell = (index: number) => `vscode-notebook-cell:/Interactive-1.interactive#W${index}`;
    // As the Jupyter extension makes them and VS Code's client syncs them, metadata included.
    const ranFrom = (relative: string) => ({ interactiveWindowCellMarker: '# %%', interactive: { uristring: notebookUri(relative), lineIndex: 0, originalSource: '' }, id: relative });
    const texts: Array<[NotebookCellKind, string, string, object | undefined]> = [
      [NotebookCellKind.Markup, 'markdown', 'Connected to Python 3.11.4', { isInteractiveWindowMessageCell: true }],
      [NotebookCellKind.Code, 'python', 'VAULT_TOKEN = "s3cr3t-from-drafts"', ranFrom('drafts/keys.py')],
      [NotebookCellKind.Code, 'python', DEFINITIONS, ranFrom('src/stats.py')],
      [NotebookCellKind.Markup, 'markdown', 'Restarted Python 3.11.4', { isInteractiveWindowMessageCell: true }],
      [NotebookCellKind.Code, 'python', CURRENT, undefined],
    ];
    await lsp.server.connection.sendNotification(DidOpenNotebookDocumentNotification.type, {
      notebookDocument: { uri: windowUri, notebookType: 'interactive', version: 1, cells: texts.map(([kind, , , metadata], i) => ({ kind, document: windowCell(i), ...(metadata === undefined ? {} : { metadata }) })) },
      cellTextDocuments: texts.map(([, languageId, text], i) => ({ uri: windowCell(i), languageId, version: 1, text })),
    });
    const prefix = prefixOf(await compress(windowCell(4), { line: 1, character: 9 }));
    assert.ok(prefix.includes('def spread(values):'), prefix);
    for (const left of ['Connected to', 'Restarted', 'VAULT_TOKEN', 's3cr3t']) assert.ok(!prefix.includes(left), `${left} in ${prefix}`);

    // The cell run from the excluded file follows its rule: no prompt, and the reason said.
    const runs = lsp.timings.length;
    assert.deepEqual(await items(windowCell(1), { line: 0, character: 11 }), []);
    assert.equal(lsp.timings.length, runs, 'the model never ran');
    assert.equal(skipped.at(-1)?.uri, windowCell(1));
    assert.match(skipped.at(-1)?.reason ?? '', /locus\.exclude names it/);
    await assert.rejects(compress(windowCell(1), { line: 0, character: 11 }), /locus\.exclude names it/);
  });
});
