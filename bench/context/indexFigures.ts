// Workspace-index figures at scale: a 10,000-file workspace made by repeating the fixture packages' real files,
// measured for a cold build, a warm build from the on-disk cache, incremental updates, query latency and memory.
import { cpSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { IndexCache } from '../../lsp-server/context/indexPersistence';
import { PathFilter } from '../../lsp-server/context/pathFilter';
import { Retriever } from '../../lsp-server/context/retriever';
import { SyntaxChunker } from '../../lsp-server/context/syntaxChunker';
import { WorkspaceIndex } from '../../lsp-server/context/workspaceIndex';
import { walkWorkspace } from '../../lsp-server/context/workspaceWalker';
import { percentile } from './completionMetrics';

export interface IndexFigures {
  files: number;
  chunks: number;
  sourceBytes: number;
  coldBuildMs: number;
  warmBuildMs: number;
  cacheBytes: number;
  cacheSaveMs: number;
  updateMs: { p50: number; p95: number; n: number };
  queryMs: { p50: number; p95: number; n: number };
  /** Heap and external memory the index holds after a full GC (chunk text included). */
  heapMiB: number;
  rssMiB: number;
}

function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/** Copies the fixture workspace into numbered folders until it holds `fileCount` files. */
async function scaleWorkspace(fixture: string, target: string, fileCount: number): Promise<number> {
  const files: string[] = [];
  for await (const f of walkWorkspace(fixture, new PathFilter(fixture, { excludeGlobs: [] }))) files.push(f.relativePath);
  let written = 0;
  let bytes = 0;
  for (let copy = 0; written < fileCount; copy++) {
    for (const file of files) {
      if (written >= fileCount) break;
      const destination = join(target, `copy${copy}`, file);
      mkdirSync(join(destination, '..'), { recursive: true });
      cpSync(join(fixture, file), destination);
      bytes += statSync(destination).size;
      written++;
    }
  }
  return bytes;
}

export async function measureIndex(fixture: string, fileCount: number, log: (line: string) => void): Promise<IndexFigures> {
  const root = join(tmpdir(), `locus-index-bench-${process.pid}`);
  const cacheDir = join(tmpdir(), `locus-index-bench-cache-${process.pid}`);
  rmSync(root, { recursive: true, force: true });
  try {
    const sourceBytes = await scaleWorkspace(fixture, root, fileCount);
    log(`index: workspace of ${fileCount} files (${(sourceBytes / 2 ** 20).toFixed(1)} MiB) ready`);
    const chunker = await SyntaxChunker.create();
    collectGarbage();
    const before = process.memoryUsage();
    const index = new WorkspaceIndex(root, chunker);
    const cold = await index.build(new PathFilter(root, { excludeGlobs: [] }));
    collectGarbage();
    const after = process.memoryUsage();
    log(`index: cold build ${cold.files} files, ${cold.chunks} chunks in ${Math.round(cold.ms)} ms`);

    const cache = new IndexCache(cacheDir);
    const saveStarted = performance.now();
    await cache.save(root, index.snapshot());
    const cacheSaveMs = performance.now() - saveStarted;
    const warmStarted = performance.now();
    const warmIndex = new WorkspaceIndex(root, chunker);
    const warm = await warmIndex.build(new PathFilter(root, { excludeGlobs: [] }), { cached: await cache.load(root) });
    const warmBuildMs = performance.now() - warmStarted;
    log(`index: warm build (${warm.reusedFiles} files from cache) in ${Math.round(warmBuildMs)} ms`);

    const paths = index.snapshot().map((f) => f.path);
    const updates: number[] = [];
    for (let i = 0; i < 200; i++) {
      const path = paths[(i * 7919) % paths.length]!;
      const text = readFileSync(join(root, path), 'utf8') + `\nexport function added${i}() { return ${i}; }\n`;
      const started = performance.now();
      await index.updateFile(path, text);
      updates.push(performance.now() - started);
    }

    const retriever = new Retriever();
    const queries: number[] = [];
    for (let i = 0; i < 300; i++) {
      const path = paths[(i * 104729) % paths.length]!;
      const text = readFileSync(join(root, path), 'utf8');
      const cut = Math.floor(((i * 0.6180339887) % 1) * text.length);
      const started = performance.now();
      retriever.retrieve([index], { current: { index, relativePath: path }, prefix: text.slice(0, cut), suffix: text.slice(cut) });
      queries.push(performance.now() - started);
    }
    chunker.dispose();
    return {
      files: cold.files,
      chunks: cold.chunks,
      sourceBytes,
      coldBuildMs: Math.round(cold.ms),
      warmBuildMs: Math.round(warmBuildMs),
      cacheBytes: statSync(cache.fileFor(root)).size,
      cacheSaveMs: Math.round(cacheSaveMs),
      updateMs: { p50: round(percentile(updates, 50)), p95: round(percentile(updates, 95)), n: updates.length },
      queryMs: { p50: round(percentile(queries, 50)), p95: round(percentile(queries, 95)), n: queries.length },
      heapMiB: round((after.heapUsed + after.external - before.heapUsed - before.external) / 2 ** 20),
      rssMiB: round((after.rss - before.rss) / 2 ** 20),
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
