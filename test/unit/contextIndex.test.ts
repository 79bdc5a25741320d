import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { Bm25Index } from '../../lsp-server/context/bm25Index';
import { termCounts, termsOfIdentifier } from '../../lsp-server/context/codeTerms';
import { IndexCache } from '../../lsp-server/context/indexPersistence';
import { ownedText } from '../../lsp-server/context/ownedText';
import { PathFilter } from '../../lsp-server/context/pathFilter';
import { Retriever, withoutPartialWord } from '../../lsp-server/context/retriever';
import { ShardedMap } from '../../lsp-server/context/shardedMap';
import { SyntaxChunker } from '../../lsp-server/context/syntaxChunker';
import { WorkspaceIndex, type FileText } from '../../lsp-server/context/workspaceIndex';
import { ForegroundWork } from '../../lsp-server/foregroundWork';
import { CANARY, makeWorkspace, MATH_PY, SHAPES_TS, VECTOR_TS } from './contextFixtures';
import { countTurns } from './workerThreadFixtures';
import { mulberry32 } from '../../runtime/sampler';

let chunker: SyntaxChunker;
before(async () => {
  chunker = await SyntaxChunker.create();
});
after(() => chunker.dispose());

describe('syntax chunker', () => {
  it('cuts TypeScript at declarations and records the names they declare', async () => {
    const chunks = await chunker.chunk('src/shapes.ts', SHAPES_TS + '\n'.repeat(3) + VECTOR_TS.replace('class Vector', 'class Other'));
    assert.ok(chunks.length >= 2);
    assert.ok(chunks.every((c) => c.kind === 'syntax'));
    const circle = chunks.find((c) => c.symbols.includes('Circle'))!;
    assert.ok(circle.symbols.includes('area') && circle.symbols.includes('contains'), 'class members are declared names');
    assert.ok(chunks.some((c) => c.symbols.includes('Other') && c.symbols.includes('distanceTo')));
    assert.ok(!chunks.some((c) => c.symbols.includes('point')), 'parameters and locals are not declarations');
    for (const c of chunks) assert.equal(c.text, SHAPES_TS.concat('\n\n\n', VECTOR_TS.replace('class Vector', 'class Other')).split('\n').slice(c.startLine, c.endLine).join('\n'));
  });

  it('chunks a Windows (CRLF, byte-order mark) file as the LF text the model reads, on the same lines', async () => {
    const lf = await chunker.chunk('src/shapes.ts', SHAPES_TS);
    const crlf = await chunker.chunk('src/shapes.ts', '\ufeff' + SHAPES_TS.replace(/\n/g, '\r\n'));
    assert.deepEqual(crlf, lf);
  });

  it('waits between the slices of a parse while foreground work runs', async () => {
    const foreground = new ForegroundWork();
    const pausing = await SyntaxChunker.create(undefined, () => foreground.idle());
    try {
      const big = Array.from({ length: 20_000 }, (_, i) => `def f${i}(x):\n    return x + ${i}\n`).join('\n');
      const started = performance.now();
      await pausing.chunk('pkg/big.py', big);
      const alone = performance.now() - started;
      const ended = foreground.begin();
      let done = false;
      const chunking = pausing.chunk('pkg/big.py', big).then((chunks) => ((done = true), chunks));
      await new Promise((r) => setTimeout(r, 2 * alone + 50));
      assert.equal(done, false, `the parse waits after its first slice (${alone.toFixed(0)} ms without waiting)`);
      ended();
      assert.ok((await chunking).length > 0);
    } finally {
      pausing.dispose();
    }
  });

  it('pauses while it walks a large tree into chunks too, and gives the same chunks', async () => {
    let walking = false;
    let pausesWhileWalking = 0;
    const pausing = await SyntaxChunker.create(undefined, async () => {
      if (walking) pausesWhileWalking++;
    });
    // Marks the walk (the private `units`, recursive through this wrapper) so the pauses it makes can be told apart.
    const spied = pausing as unknown as { units: (...args: unknown[]) => Promise<unknown> };
    const walk = spied.units.bind(pausing);
    let depth = 0;
    spied.units = async (...args) => {
      if (depth++ === 0) walking = true;
      try {
        return await walk(...args);
      } finally {
        if (--depth === 0) walking = false;
      }
    };
    const big = Array.from({ length: 2_000 }, (_, i) => `def f${i}(x):\n    return x + ${i}\n`).join('\n');
    // A clock that moves 5 ms at every look, so every slice ends at once, however fast this machine is.
    const now = performance.now;
    let fake = 0;
    performance.now = () => (fake += 5);
    try {
      const chunks = await pausing.chunk('pkg/big.py', big);
      performance.now = now;
      assert.ok(pausesWhileWalking >= 500, `${pausesWhileWalking} pauses while 2,000 declarations were walked`);
      assert.deepEqual(chunks, await chunker.chunk('pkg/big.py', big));
    } finally {
      performance.now = now;
      pausing.dispose();
    }
  });

  it('parses a large file a slice at a time, into the chunks of the whole file, while another file is chunked', async () => {
    const count = 20_000;
    const big = Array.from({ length: count }, (_, i) => `def f${i}(x):\n    return x + ${i}\n`).join('\n');
    const alone = await chunker.chunk('src/shapes.ts', SHAPES_TS);
    const turns = countTurns();
    const [chunks, shapes] = await Promise.all([chunker.chunk('pkg/big.py', big), chunker.chunk('src/shapes.ts', SHAPES_TS)]);
    turns.stop();
    assert.ok(turns.turns >= 2, `the event loop turned ${turns.turns} times while ${big.length} characters were parsed`);
    assert.ok(chunks.every((c) => c.kind === 'syntax'));
    assert.deepEqual(new Set(chunks.flatMap((c) => c.symbols)), new Set(Array.from({ length: count }, (_, i) => `f${i}`)));
    const lines = big.split('\n');
    for (const c of chunks) assert.equal(c.text, lines.slice(c.startLine, c.endLine).join('\n'));
    assert.deepEqual(shapes, alone);
  });

  it('parses Python and falls back to line windows for languages without a grammar', async () => {
    const py = await chunker.chunk('pkg/math.py', MATH_PY);
    assert.ok(py.some((c) => c.symbols.includes('hypotenuse')));
    assert.ok(py.some((c) => c.symbols.includes('Accumulator') && c.symbols.includes('add')));
    const text = Array.from({ length: 70 }, (_v, i) => `line ${i}`).join('\n');
    const windows = await chunker.chunk('notes.txt', text);
    assert.deepEqual(windows.map((c) => [c.startLine, c.endLine, c.kind]), [[0, 30, 'lines'], [30, 60, 'lines'], [60, 70, 'lines']]);
  });

  it('splits a class too long for one chunk into its members, keeping the class line with the first', async () => {
    const methods = Array.from({ length: 12 }, (_v, i) => `  method${i}(x: number): number {\n${'    x += 1;\n'.repeat(8)}    return x;\n  }\n`).join('\n');
    const chunks = await chunker.chunk('big.ts', `export class Big {\n${methods}}\n`);
    assert.ok(chunks.length > 1);
    assert.ok(chunks[0]!.text.startsWith('export class Big {'));
    assert.ok(chunks[0]!.symbols.includes('Big'));
    assert.ok(chunks.every((c) => c.endLine - c.startLine <= 80));
  });
});

describe('BM25 index', () => {
  it('ranks by rare shared terms and forgets removed documents', () => {
    const index = new Bm25Index();
    const parseText = 'function parseConfig(text) { return JSON.parse(text) }';
    const parse = index.add(termCounts(parseText));
    index.add(termCounts('function renderWidget(widget) { return widget.html }'));
    const use = index.add(termCounts('const config = parseConfig(read())'));
    const hits = index.search(termCounts('parseConfig'), 10);
    assert.deepEqual(hits.map((h) => h.doc).sort(), [parse, use].sort());
    assert.throws(() => index.remove(parse, termCounts('function parseConfig() {}')), /other terms/, 'a removal must name the terms the document was added with');
    index.remove(parse, termCounts(parseText));
    assert.deepEqual(index.search(termCounts('parseConfig'), 10).map((h) => h.doc), [use]);
    assert.equal(index.documentFrequency('parseconfig'), 1);
  });

  it('keeps its ids and terms bounded while one document is re-indexed again and again, and never scores a tombstone', () => {
    const index = new Bm25Index();
    const others = Array.from({ length: 20 }, (_, i) => index.add(termCounts(`function helper${i}(value) { return value * ${i} }`)));
    let editedText = 'function draft0() { return 0 }';
    let edited = index.add(termCounts(editedText));
    // Each pause in typing re-indexes the open file: its chunks go and come back with new text (a new name each time).
    for (let pause = 1; pause <= 5000; pause++) {
      index.remove(edited, termCounts(editedText));
      editedText = `function draft${pause}(value) { return value + ${pause} }`;
      edited = index.add(termCounts(editedText));
    }
    assert.ok(index.allocatedIds < 1200, `${index.allocatedIds} ids for 21 documents`);
    assert.ok(index.termCount < 1200, `${index.termCount} terms`);
    assert.deepEqual(index.search(termCounts('draft4999'), 10), [], 'an earlier version is not found');
    assert.deepEqual(index.search(termCounts('draft5000'), 10).map((h) => h.doc), [edited]);
    assert.equal(index.documentCount, 21);
    // A term every version shared scores as in an index that only ever held these 21 documents: no posting of an
    // earlier version counts for a document that took its id.
    const fresh = new Bm25Index();
    const freshIds = Array.from({ length: 20 }, (_, i) => fresh.add(termCounts(`function helper${i}(value) { return value * ${i} }`)));
    const freshEdited = fresh.add(termCounts('function draft5000(value) { return value + 5000 }'));
    const scores = (idx: Bm25Index, ids: number[]) => {
      const byDoc = new Map(idx.search(termCounts('value'), 50).map((h) => [h.doc, h.score]));
      return ids.map((id) => byDoc.get(id));
    };
    assert.deepEqual(scores(index, [...others, edited]), scores(fresh, [...freshIds, freshEdited]));
  });

  it('scores as an index built afresh from the live documents after many pages of postings, removals and compactions', () => {
    const random = mulberry32(7);
    // Word i in about 1/(i+1) of the documents: a few terms with chains of many blocks, many in one or two documents.
    const vocabulary = Array.from({ length: 3000 }, (_, i) => `word${i}`);
    const document = () => {
      const counts = new Map<string, number>();
      for (let k = 0; k < 40; k++) {
        const word = vocabulary[Math.min(vocabulary.length - 1, Math.floor(1 / (random() + 1e-4)) - 1)] ?? vocabulary[0]!;
        counts.set(word, (counts.get(word) ?? 0) + 1);
      }
      return counts;
    };
    const index = new Bm25Index();
    const live = new Map<number, Map<string, number>>();
    const addOne = () => {
      const counts = document();
      live.set(index.add(counts), counts);
    };
    const removeSome = (share: number) => {
      for (const [doc, counts] of [...live]) {
        if (random() >= share) continue;
        index.remove(doc, counts);
        live.delete(doc);
      }
    };
    for (let i = 0; i < 4000; i++) addOne();
    removeSome(0.6);
    for (let i = 0; i < 1500; i++) addOne();
    removeSome(0.3);
    for (let i = 0; i < 500; i++) addOne();

    const fresh = new Bm25Index();
    const freshId = new Map([...live.keys()].sort((a, b) => a - b).map((doc) => [doc, fresh.add(live.get(doc)!)]));
    assert.equal(index.documentCount, fresh.documentCount);
    for (const word of vocabulary) assert.equal(index.documentFrequency(word), fresh.documentFrequency(word), word);
    for (let q = 0; q < 40; q++) {
      const query = new Map([vocabulary[q * 7]!, vocabulary[q * 61 + 5]!, vocabulary[(q * 13) % 40]!].map((w) => [w, 1]));
      const got = index.search(query, 10_000).map((h) => [freshId.get(h.doc), h.score]);
      const want = fresh.search(query, 10_000).map((h) => [h.doc, h.score]);
      assert.deepEqual(new Map(got as [number, number][]), new Map(want as [number, number][]));
      // The best few are the head of the whole ranking (score, then id), with and without a filter.
      const ranking = index.search(query, 10_000);
      const odd = (doc: number) => doc % 2 === 1;
      for (const limit of [1, 3, 17]) {
        assert.deepEqual(index.search(query, limit), ranking.slice(0, limit));
        assert.deepEqual(index.search(query, limit, odd), ranking.filter((h) => odd(h.doc)).slice(0, limit));
      }
    }
  });

  it('ranks documents of equal score by id, whatever order they were added in', () => {
    const index = new Bm25Index();
    const ids = Array.from({ length: 30 }, (_, i) => index.add(termCounts(i % 3 === 0 ? 'alpha beta' : 'alpha gamma')));
    const sameScore = ids.filter((_, i) => i % 3 !== 0);
    assert.deepEqual(index.search(termCounts('gamma'), 5).map((h) => h.doc), [...sameScore].sort((a, b) => a - b).slice(0, 5));
  });

  it('splits compound names into parts', () => {
    assert.deepEqual(termsOfIdentifier('parseHTTPResponse'), ['parsehttpresponse', 'parse', 'http', 'response']);
    assert.deepEqual(termsOfIdentifier('max_new_tokens'), ['max_new_tokens', 'max', 'tokens']);
    assert.deepEqual(termsOfIdentifier('return'), []);
  });
});

describe('sharded map', () => {
  it('keeps, counts, iterates and forgets string keys as a Map does', () => {
    const sharded = new ShardedMap<number>();
    const plain = new Map<string, number>();
    const keys = Array.from({ length: 5000 }, (_, i) => (i % 7 === 0 ? '' : `key_${i.toString(36)}`));
    keys.forEach((key, i) => {
      sharded.set(key, i);
      plain.set(key, i);
    });
    assert.equal(sharded.size, plain.size);
    for (const key of keys) assert.equal(sharded.get(key), plain.get(key));
    assert.equal(sharded.get('absent'), undefined);
    // Deleting the entry being visited, as compaction does.
    for (const [key, value] of sharded) if (value % 2 === 0) assert.equal(sharded.delete(key), plain.delete(key));
    assert.equal(sharded.delete('absent'), false);
    assert.equal(sharded.size, plain.size);
    assert.deepEqual(new Map(sharded), plain);
    sharded.clear();
    assert.equal(sharded.size, 0);
    assert.deepEqual([...sharded], []);
  });
});

describe('owned text', () => {
  it('copies a text exactly, whatever its characters', () => {
    const file = `# café, naïve — ${'x'.repeat(40)}\n\u{1F600} ok \ud800 lone\n`;
    for (const text of ['', 'plain ascii', file, ...file.split('\n'), file.slice(3, 30), 'Latin-1 only: ÿ é ß']) assert.equal(ownedText(text), text);
  });
});

describe('workspace index', () => {
  /** Runs `work` with a clock that moves 5 ms at every look, so every time slice ends at once, however fast this machine is. */
  const withHastyClock = async <T>(work: () => Promise<T>): Promise<T> => {
    const now = performance.now;
    let fake = now.call(performance);
    performance.now = () => (fake += 5);
    try {
      return await work();
    } finally {
      performance.now = now;
    }
  };
  const manyDefinitions = (count: number, name: string) => Array.from({ length: count }, (_, i) => `def ${name}${i}(x):\n    return x + ${i}\n`).join('\n');

  it('counts a large file\'s terms a slice at a time, and applies edits in the order they came', async () => {
    // Chunked ahead, so that the only pauses are the index's own.
    const texts = [manyDefinitions(300, 'first'), manyDefinitions(300, 'second'), 'def third(x):\n    return x\n'];
    const chunked = new Map(await Promise.all(texts.map(async (t) => [t, await chunker.chunk('pkg/big.py', t)] as const)));
    const index = new WorkspaceIndex('/nowhere', { chunk: async (_path, text) => chunked.get(text)! });
    await index.updateFile('pkg/big.py', texts[0]!);
    const turns = countTurns();
    // A large edit, then a small one: the large one's counting pauses many times, and must not land last.
    const large = index.updateFile('pkg/big.py', texts[1]!);
    const small = index.updateFile('pkg/big.py', texts[2]!);
    await withHastyClock(() => Promise.all([large, small]));
    turns.stop();
    assert.ok(turns.turns >= 20, `the event loop turned ${turns.turns} times while 600 chunks' terms were counted`);
    assert.equal(index.chunkCount, 1);
    assert.equal(index.documentCount, 1);
    assert.deepEqual(index.snapshot()[0]!.chunks.flatMap((c) => c.symbols), ['third']);
    for (const gone of ['first7', 'second7']) assert.equal(index.documentFrequency(gone), 0, gone);
    assert.equal(index.documentFrequency('third'), 1);
  });

  it('keeps a file removed while its new chunks are counted out, and takes writes asked after the removal', async () => {
    const texts = [manyDefinitions(300, 'first'), manyDefinitions(300, 'second'), 'def other(x):\n    return x\n', 'def third(x):\n    return x\n'];
    const chunked = new Map(await Promise.all(texts.map(async (t) => [t, await chunker.chunk('pkg/big.py', t)] as const)));
    const index = new WorkspaceIndex('/nowhere', { chunk: async (_path, text) => chunked.get(text)! });
    await index.updateFile('pkg/big.py', texts[0]!);
    await withHastyClock(async () => {
      const edit = index.updateFile('pkg/big.py', texts[1]!);
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
      index.removeFile('pkg/big.py');
      const other = index.updateFile('pkg/other.py', texts[2]!);
      await Promise.all([edit, other]);
    });
    // The edit was asked before the removal: it must not bring the file back (a buffer closed without saving, a
    // file deleted while its edit was counted).
    assert.equal(index.documentFrequency('first7'), 0);
    assert.equal(index.documentFrequency('second7'), 0);
    assert.equal(index.hasFile('pkg/big.py'), false);
    assert.equal(index.documentFrequency('other'), 1);
    assert.equal(index.chunkCount, index.documentCount);
    assert.equal(index.fileCount, 1);

    const again = index.updateFile('pkg/big.py', texts[1]!);
    index.removeFile('pkg/big.py');
    await Promise.all([again, index.updateFile('pkg/big.py', texts[3]!)]);
    assert.deepEqual(index.snapshot().find((f) => f.path === 'pkg/big.py')!.chunks.flatMap((c) => c.symbols), ['third'], 'a write asked after the removal goes in');
    assert.equal(index.documentFrequency('second7'), 0);
  });

  it('drops a disk read that began before a buffer\'s text or a newer read went in, rather than land it after them', async () => {
    const index = new WorkspaceIndex('/nowhere', chunker);
    const disk = (text: string, mtimeMs: number): FileText => ({ text, mtimeMs, size: text.length });
    // A file event's read, slow (a large file, a network disk), then the buffer's text indexed before it ends.
    let endRead!: (file: FileText) => void;
    const slowRead = index.refreshFile('src/a.ts', () => new Promise((resolve) => (endRead = resolve)));
    await index.updateFile('src/a.ts', 'export function bufferwonzq() {}\n');
    endRead(disk('export function diskolderzq() {}\n', 1));
    await slowRead;
    assert.equal(index.documentFrequency('bufferwonzq'), 1);
    assert.equal(index.documentFrequency('diskolderzq'), 0, 'the read began before the buffer\'s text: it is older');

    // Two reads of one file: the one that began later read the newer text.
    let endOlder!: (file: FileText) => void;
    const olderRead = index.refreshFile('src/b.ts', () => new Promise((resolve) => (endOlder = resolve)));
    await index.refreshFile('src/b.ts', async () => disk('export function newerreadzq() {}\n', 3));
    endOlder(disk('export function olderreadzq() {}\n', 2));
    await olderRead;
    assert.equal(index.documentFrequency('newerreadzq'), 1);
    assert.equal(index.documentFrequency('olderreadzq'), 0);
    assert.equal(index.snapshot().find((f) => f.path === 'src/b.ts')!.mtimeMs, 3);
    assert.equal(index.chunkCount, index.documentCount);

    // A read that began while a buffer's text was being chunked, and then gave way to it (null): the buffer's goes in.
    let endChunk!: () => void;
    const slowIndex = new WorkspaceIndex('/nowhere', { chunk: async (path, text) => (await new Promise<void>((r) => (endChunk = r)), chunker.chunk(path, text)) });
    const buffer = slowIndex.updateFile('src/c.ts', 'export function bufferkeptzq() {}\n');
    await slowIndex.refreshFile('src/c.ts', async () => null);
    endChunk();
    await buffer;
    assert.equal(slowIndex.documentFrequency('bufferkeptzq'), 1, 'a read that wrote nothing superseded nothing');
  });

  it('takes files nearest the root first up to its budget, and an open document whatever the budget', async () => {
    const file = (name: string) => `export function ${name}() {}\n`.padEnd(100, ' ');
    const ws = makeWorkspace({ 'a.ts': file('rootOne'), 'b.ts': file('rootTwo'), 'src/c.ts': file('nestedOne'), 'src/deeper/d.ts': file('deepOne'), 'tiny/e.ts': 'export const e = 1;\n' });
    try {
      const index = new WorkspaceIndex(ws.root, chunker, Date.now, 250);
      const stats = await index.build(new PathFilter(ws.root, { excludeGlobs: [] }));
      // a.ts and b.ts fit (200 bytes); src/c.ts does not, and then nothing later is taken, not even tiny/e.ts.
      assert.deepEqual(index.snapshot().map((f) => f.path).sort(), ['a.ts', 'b.ts']);
      assert.ok(stats.full);
      assert.ok(!index.hasRoomFor(100));
      await index.updateFile('src/deeper/d.ts', file('deepOneEdited'));
      assert.equal(index.documentFrequency('deeponeedited'), 1, 'an open document is indexed over the budget');
      index.removeFile('src/deeper/d.ts');
      index.removeFile('b.ts');
      assert.ok(index.hasRoomFor(100));
      rmSync(join(ws.root, 'b.ts'));
      const again = await index.build(new PathFilter(ws.root, { excludeGlobs: [] }));
      // Breadth-first: tiny/e.ts comes before src/deeper/d.ts, which no longer fits.
      assert.deepEqual(index.snapshot().map((f) => f.path).sort(), ['a.ts', 'src/c.ts', 'tiny/e.ts']);
      assert.ok(again.full);
    } finally {
      ws.cleanup();
    }
  });

  it('ends the walk once it is full and every file it holds was met', async () => {
    const ws = makeWorkspace({ 'a.ts': 'export const a = 1;\n', 'b/big.ts': `export const big = '${'x'.repeat(200)}';\n`, 'c/d/e.ts': 'export const e = 1;\n' });
    try {
      const asked: string[] = [];
      const filter = new (class extends PathFilter {
        override isExcluded(relativePath: string, isDirectory: boolean): boolean {
          asked.push(relativePath);
          return super.isExcluded(relativePath, isDirectory);
        }
      })(ws.root, { excludeGlobs: [] });
      const index = new WorkspaceIndex(ws.root, chunker, Date.now, 100);
      const stats = await index.build(filter);
      assert.ok(stats.full);
      assert.deepEqual(index.snapshot().map((f) => f.path), ['a.ts']);
      assert.ok(asked.includes('b/big.ts'));
      assert.ok(!asked.some((p) => p.startsWith('c/')), `the walk went on past the budget: ${asked.join(', ')}`);
    } finally {
      ws.cleanup();
    }
  });

  it('retrieves the definition another file needs, updates incrementally and leaves secrets out', async () => {
    const ws = makeWorkspace({ 'src/shapes.ts': SHAPES_TS, 'src/vector.ts': VECTOR_TS, 'pkg/math.py': MATH_PY, 'src/config.ts': `export const awsKey = "AKIA${'ABCDEFGHIJKLMNOP'}"; // ${CANARY}\n` });
    try {
      const index = new WorkspaceIndex(ws.root, chunker);
      const stats = await index.build(new PathFilter(ws.root, { excludeGlobs: [] }));
      assert.equal(stats.files, 4);
      assert.equal(stats.secretChunks, 1);
      assert.ok(!index.snapshot().some((f) => f.chunks.some((c) => c.text.includes(CANARY))));

      const retriever = new Retriever();
      const prefix = "import { Vector } from './vector';\n\nconst origin = new Vector(0, 0);\nconst d = origin.dist";
      const found = retriever.retrieve([index], { current: { index, relativePath: 'src/main.ts' }, prefix, suffix: '' });
      assert.equal(found[0]?.path, 'src/vector.ts');
      assert.ok(found[0]!.declaresNearbyName);

      await index.updateFile('src/vector.ts', 'export const nothingHere = 1;\n');
      assert.ok(!retriever.retrieve([index], { current: { index, relativePath: 'src/main.ts' }, prefix, suffix: '' }).some((s) => s.text.includes('scaledBy')));
      index.removeFile('src/shapes.ts');
      assert.ok(!index.snapshot().some((f) => f.path === 'src/shapes.ts'));
      assert.equal(retriever.retrieve([index], { current: { index, relativePath: 'src/vector.ts' }, prefix: 'nothingHere', suffix: '' }).length, 0, 'the current file is not retrieved');
    } finally {
      ws.cleanup();
    }
  });

  it('cuts the word at the cursor, whole code points at a time, also after a long generated run', () => {
    assert.equal(withoutPartialWord('x = origin.dist'), 'x = origin.');
    assert.equal(withoutPartialWord('const \u{1D44E}\u{1D44F}'), 'const ', 'astral letters are letters');
    assert.equal(withoutPartialWord('done;\n'), 'done;\n');
    const blob = 'f'.repeat(200_000);
    assert.equal(withoutPartialWord(`${blob} ;`), `${blob} ;`);
    assert.equal(withoutPartialWord(`; ${blob}`), '; ');
  });

  it('leaves the word being typed out of the query, so the snippets stay the same until it is finished', async () => {
    const ws = makeWorkspace({ 'src/shapes.ts': SHAPES_TS, 'src/vector.ts': VECTOR_TS });
    try {
      const index = new WorkspaceIndex(ws.root, chunker);
      await index.build(new PathFilter(ws.root, { excludeGlobs: [] }));
      const retriever = new Retriever();
      const paths = (prefix: string) => retriever.retrieve([index], { current: { index, relativePath: 'src/main.ts' }, prefix, suffix: '' }).map((s) => `${s.path}:${s.startLine}`);
      const typed = 'const area = circleArea(2);\nconst d = ';
      assert.deepEqual(paths(`${typed}dist`), paths(typed));
      assert.deepEqual(paths(`${typed}distanceT`), paths(typed));
      assert.equal(retriever.retrieve([index], { current: { index, relativePath: 'src/main.ts' }, prefix: 'scaledBy', suffix: '' }).length, 0, 'an unfinished word alone is no query');
      assert.ok(paths('scaledBy(').some((p) => p.startsWith('src/vector.ts')), 'once finished it is');
    } finally {
      ws.cleanup();
    }
  });

  it('reads the query from a window bounded in characters too: a long line counts only as far as the bound', async () => {
    const ws = makeWorkspace({ 'src/shapes.ts': SHAPES_TS, 'src/vector.ts': VECTOR_TS });
    try {
      const index = new WorkspaceIndex(ws.root, chunker);
      await index.build(new PathFilter(ws.root, { excludeGlobs: [] }));
      const retriever = new Retriever();
      const paths = (prefix: string, suffix = '') => retriever.retrieve([index], { current: { index, relativePath: 'src/main.ts' }, prefix, suffix }).map((s) => s.path);
      // `scaledBy(` two lines up is read; at the far start of a 300 KB line (a bundle, a literal) it is not.
      assert.ok(paths('scaledBy(v);\nlet a = 1;\n').includes('src/vector.ts'));
      const blob = ' 0,'.repeat(100_000);
      assert.deepEqual(paths(`scaledBy(v);${blob}`), []);
      assert.deepEqual(paths(`let a = [${blob}`, `${blob} scaledBy(v);`), [], 'nor at the far end of one after the cursor');
    } finally {
      ws.cleanup();
    }
  });

  it('cuts a window of lines at a bound in characters', async () => {
    const { firstLines, lastLines } = await import('../../lsp-server/context/textWindow');
    for (const text of ['', 'a', 'a\n', '\na', 'a\nb\nc', 'a\nb\nc\n', '\n\n']) {
      for (const count of [1, 2, 5]) {
        assert.equal(lastLines(text, count, 100), text.split('\n').slice(-count).join('\n'), `last ${count} of ${JSON.stringify(text)}`);
        assert.equal(firstLines(text, count, 100), text.split('\n').slice(0, count).join('\n'), `first ${count} of ${JSON.stringify(text)}`);
      }
    }
    assert.equal(lastLines('abcdef\nghijkl', 2, 4), 'ijkl');
    assert.equal(firstLines('abcdef\nghijkl', 2, 4), 'abcd');
    assert.equal(lastLines('ab\ncd\nef', 9, 4), 'd\nef');
    assert.deepEqual([firstLines('abc\ndef', 0, 10), lastLines('abc\ndef', 0, 10)], ['', ''], 'no lines');
  });

  it('weights open and recently edited files up, the edit weight fading with time', () => {
    let now = 0;
    const index = new WorkspaceIndex('/ws', chunker, () => now);
    assert.equal(index.fileWeight('a.ts'), 1);
    index.setOpen('a.ts', true);
    assert.ok(index.fileWeight('a.ts') > 1);
    index.noteEdited('b.ts');
    const fresh = index.fileWeight('b.ts');
    now = 5 * 60 * 1000;
    assert.ok(index.fileWeight('b.ts') < fresh && index.fileWeight('b.ts') > 1);
    now = 60 * 60 * 1000;
    assert.equal(index.fileWeight('b.ts'), 1);
  });

  it('waits before each file while foreground work runs, and indexes the rest once it ends', async () => {
    const ws = makeWorkspace({ 'src/shapes.ts': SHAPES_TS, 'src/vector.ts': VECTOR_TS, 'pkg/math.py': MATH_PY });
    try {
      const foreground = new ForegroundWork();
      const index = new WorkspaceIndex(ws.root, chunker);
      const ended = foreground.begin();
      const building = index.build(new PathFilter(ws.root, { excludeGlobs: [] }), { pause: () => foreground.idle() });
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(index.documentCount, 0, 'nothing is indexed while a completion is answered');
      ended();
      assert.equal((await building).files, 3);
    } finally {
      ws.cleanup();
    }
  });

  it('waits between the slices of a file\'s counting while foreground work runs', async () => {
    const text = manyDefinitions(300, 'first');
    const ws = makeWorkspace({ 'pkg/big.py': text });
    try {
      const chunks = await chunker.chunk('pkg/big.py', text);
      const index = new WorkspaceIndex(ws.root, { chunk: async () => chunks });
      // The third pause (the first is before the file, the next ones between its slices) holds until released.
      let pauses = 0;
      let release = (): void => undefined;
      const held = new Promise<void>((resolve) => (release = resolve));
      const pause = async (): Promise<void> => {
        if (++pauses === 3) await held;
      };
      await withHastyClock(async () => {
        const building = index.build(new PathFilter(ws.root, { excludeGlobs: [] }), { pause });
        await new Promise((r) => setTimeout(r, 50));
        assert.equal(pauses, 3, 'the counting waits at its pauses');
        assert.equal(index.documentCount, 0);
        release();
        await building;
      });
      assert.equal(index.documentCount, chunks.length);
    } finally {
      ws.cleanup();
    }
  });

  it('persists chunks and reuses them for files whose mtime and size did not change', async () => {
    const ws = makeWorkspace({ 'src/shapes.ts': SHAPES_TS, 'src/vector.ts': VECTOR_TS });
    const cacheDir = mkdtempSync(join(tmpdir(), 'locus-cache-'));
    try {
      const cache = new IndexCache(cacheDir);
      const first = new WorkspaceIndex(ws.root, chunker);
      await first.build(new PathFilter(ws.root, { excludeGlobs: [] }));
      await cache.save(ws.root, first.snapshot());
      assert.equal(statSync(cache.fileFor(ws.root)).mode & 0o777, 0o600);

      writeFileSync(join(ws.root, 'src/vector.ts'), VECTOR_TS + '\nexport const ZERO = 0;\n');
      const second = new WorkspaceIndex(ws.root, chunker);
      const stats = await second.build(new PathFilter(ws.root, { excludeGlobs: [] }), { cached: await cache.load(ws.root) });
      assert.equal(stats.reusedFiles, 1);
      assert.equal(stats.files, 2);
      assert.ok(second.snapshot().some((f) => f.chunks.some((c) => c.symbols.includes('ZERO'))));
      assert.equal((await cache.load('/some/other/root')).size, 0);
    } finally {
      ws.cleanup();
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });
});

describe('index cache', () => {
  /** A snapshot of `files` files of one chunk each, `chars` characters of text. */
  const snapshot = (files: number, chars: number) =>
    Array.from({ length: files }, (_, i) => ({
      path: `src/f${i}.ts`,
      mtimeMs: i,
      size: chars,
      chunks: [{ path: `src/f${i}.ts`, startLine: 0, endLine: 1, kind: 'syntax' as const, symbols: [`f${i}`], text: `export const f${i} = "${'x'.repeat(chars)}\\ \u2028";` }],
    }));

  it('writes and reads a folder a slice at a time, and gives back what it wrote', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'locus-cache-'));
    try {
      const cache = new IndexCache(cacheDir);
      const files = snapshot(4000, 4000);
      const writing = countTurns();
      await cache.save('/work/big', files);
      writing.stop();
      const reading = countTurns();
      const loaded = await cache.load('/work/big');
      reading.stop();
      assert.ok(writing.turns >= 2 && reading.turns >= 2, `turns while writing ${writing.turns}, reading ${reading.turns}`);
      assert.deepEqual([...loaded.values()], files);
      // Two saves of one folder at once (a build restarted while the last one saved) leave one whole file.
      await Promise.all([cache.save('/work/big', files), cache.save('/work/big', files.slice(0, 10))]);
      assert.ok([files.length, 10].includes((await cache.load('/work/big')).size));
      assert.deepEqual(readdirSync(cacheDir), [basename(cache.fileFor('/work/big'))]);
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });

  it('reads a damaged or foreign file as no cache, and removes the first format\'s file when it writes', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'locus-cache-'));
    try {
      const cache = new IndexCache(cacheDir);
      const oldFormat = cache.fileFor('/work/app').replace(/\.ndjson\.gz$/, '.json.gz');
      writeFileSync(oldFormat, gzipSync(JSON.stringify({ format: 1, chunker: 2, root: '/work/app', files: [] })));
      await cache.save('/work/app', snapshot(3, 10));
      assert.equal(existsSync(oldFormat), false);
      assert.equal((await cache.load('/work/app')).size, 3);
      assert.equal((await cache.load('/work/other')).size, 0);
      const whole = readFileSync(cache.fileFor('/work/app'));
      for (const damaged of [whole.subarray(0, whole.length - 8), Buffer.from('not gzip'), gzipSync('{"format": 2, "chunker"\n')]) {
        writeFileSync(cache.fileFor('/work/app'), damaged);
        assert.equal((await cache.load('/work/app')).size, 0);
      }
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });
});

describe('import graph', () => {
  it('maps require, import and Python relative imports to module stems with their local names', async () => {
    const { importedModules, receiverBeforeCursor } = await import('../../lsp-server/context/importGraph');
    const js = importedModules('lib/common/api.js', `const messages_1 = require("./messages");\nconst { a, b: c } = require('../util/index.js');\nimport * as ns from './ns';\nimport D, { e as f } from "./d.ts";\n`);
    assert.deepEqual(Object.fromEntries(js), { 'lib/common/messages': ['messages_1'], 'lib/util': ['a', 'c'], 'lib/common/ns': ['ns'], 'lib/common/d': ['D', 'f'] });
    const py = importedModules('pkg/sub/mod.py', 'from .helpers import parse, render\nfrom .. import core\n');
    assert.deepEqual(Object.fromEntries(py), { 'pkg/sub/helpers': ['parse', 'render'], 'pkg/core': ['core'] });
    assert.equal(receiverBeforeCursor('x = (0, messages_1.'), 'messages_1');
    assert.equal(receiverBeforeCursor('x = utils.pars'), 'utils');
    assert.equal(receiverBeforeCursor('x = foo('), undefined);
    const spaced = importedModules('src/a.ts', `import type T from './t';\nimport G ,  { h } from './g';\nimport {\n  i,\n  j as k,\n} from './i';\nimport './side';\n`);
    assert.deepEqual(Object.fromEntries(spaced), { 'src/t': ['T'], 'src/g': ['G', 'h'], 'src/i': ['i', 'k'] });
  });

  it('reads the imports of a prefix with a long run of blank lines after an import in linear time', { timeout: 5000 }, async () => {
    const { importedModules } = await import('../../lsp-server/context/importGraph');
    // Cubic before: 0.8 s at 1,600 lines, so about half an hour at 20,000.
    const text = `import foo${' \n'.repeat(10_000)}import { bar } from './bar';\n`;
    assert.deepEqual(Object.fromEntries(importedModules('src/a.ts', text)), { 'src/bar': ['bar'] });
  });

  it('brings in the chunks of the module named before the cursor even without shared words', async () => {
    const ws = makeWorkspace({ 'lib/messages.js': 'class ProtocolRequestType {\n  constructor(method) { this.method = method; }\n}\nexports.ProtocolRequestType = ProtocolRequestType;\n', 'lib/other.js': 'function unrelated() { return 1; }\n' });
    try {
      const index = new WorkspaceIndex(ws.root, chunker);
      await index.build(new PathFilter(ws.root, { excludeGlobs: [] }));
      const found = new Retriever().retrieve([index], { current: { index, relativePath: 'lib/api.js' }, prefix: 'const messages_1 = require("./messages");\nvar Req;\nReq.type = new (0, messages_1.', suffix: '' });
      assert.equal(found[0]?.path, 'lib/messages.js');
      assert.equal(found[0]?.imported, 'receiver');
      // Not imported, but named like a file: `sourceCode.` → source-code.js.
      await index.updateFile('lib/source-code.js', 'class SourceCode {\n  getTokenAfter(node) {}\n}\nmodule.exports = SourceCode;\n');
      const named = new Retriever().retrieve([index], { current: { index, relativePath: 'lib/rule.js' }, prefix: 'function check(sourceCode) {\n  return sourceCode.', suffix: '' });
      assert.equal(named[0]?.path, 'lib/source-code.js');
      assert.equal(named[0]?.imported, 'receiver');
    } finally {
      ws.cleanup();
    }
  });
});
