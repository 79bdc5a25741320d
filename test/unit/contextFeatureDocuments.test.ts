// Open documents reach the workspace index by their size first (lsp-server/context/contextFeature.ts): one over the
// index's limit is never joined, on any keystroke.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { ContextFeature } from '../../lsp-server/context/contextFeature';
import { MAX_INDEXED_FILE_BYTES } from '../../lsp-server/context/workspaceWalker';
import { makeWorkspace, SHAPES_TS } from './contextFixtures';
import { NO_EXCLUDES } from '../../lsp-server/context/workspaceExcludes';

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe('ContextFeature documents', () => {
  it('reads the text of an edited document only when the index could take it', async () => {
    const ws = makeWorkspace({ 'src/shapes.ts': SHAPES_TS });
    const storage = mkdtempSync(join(tmpdir(), 'locus-storage-'));
    const feature = new ContextFeature({ model: () => undefined, modelStatus: () => undefined, limits: () => ({ promptTokenBudget: 512, maxNewTokens: 64 }), document: () => undefined, sendExplainChunk: () => undefined, logger: silent, foregroundIdle: async () => undefined, foregroundStarts: () => new AbortController().signal, excludes: () => NO_EXCLUDES });
    try {
      feature.initialize([{ uri: pathToFileURL(ws.root).href, name: 'ws' }], null, storage);
      await feature.start(NO_EXCLUDES);
      const reads: string[] = [];
      const document = (name: string, version: number, length: number) => ({ uri: pathToFileURL(join(ws.root, 'src', name)).href, version, length, getText: () => (reads.push(name), 'x'.repeat(length)) });
      feature.documentOpened(document('huge.ts', 1, MAX_INDEXED_FILE_BYTES + 1));
      feature.documentChanged(document('huge.ts', 2, MAX_INDEXED_FILE_BYTES + 1));
      feature.documentChanged(document('small.ts', 2, 10));
      assert.deepEqual(reads, ['small.ts']);
    } finally {
      await feature.dispose();
      ws.cleanup();
      rmSync(storage, { recursive: true, force: true });
    }
  });
});
