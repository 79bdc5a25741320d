// `npm run bench -- indexing [--workspace DIR] [--runs N] [--baseline DIR] [--label NAME]`
// Completions while the server indexes a large workspace, and how long its thread is held meanwhile. Each run:
// - cold: an empty index cache folder, a fresh dist/server.js with DIR as its workspace folder; once the model is
//   `ready`, a completion at a real-code position every 200 ms (each in a fresh document) until the index is built
//   (`locus/compress` reports it, asked every 500 ms), then 40 more;
// - warm: the same build started again with the cache kept, until the index is back.
// Throughout, a cheap request every 20 ms (a completion for a document never opened: the server answers it at once
// when its thread is free): its longest round trips are the longest holds of the server's thread. At the end of each
// phase, the server's private and peak resident memory.
// The default workspace is Debian's Python packages folder (/usr/lib/python3/dist-packages, thousands of files;
// PyTorch and SymPy are installed here), else this repository's node_modules. With `--baseline DIR` (a checkout
// of another commit, built), runs alternate between its server and this one's, each with a cache folder of its own.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { arg, commitOf, runBench, writeResults } from './benchCli';
import { BenchClient, machineInfo, percentile, sleep } from './lsp/benchClient';
import { processMemoryMiB } from './processMemory';
import { buildCases, collectSources, positionAt, waitForIndex, type Case } from './lsp/realCodeCases';
import { mulberry32 } from '../runtime/sampler';

const ROOT = resolve(__dirname, '..');
const PYTHON_PACKAGES = '/usr/lib/python3/dist-packages';
const workspace = resolve(arg('workspace', existsSync(PYTHON_PACKAGES) ? PYTHON_PACKAGES : join(ROOT, 'node_modules')));
const runs = Number(arg('runs', '2'));
const baselineDir = arg('baseline', '');
const label = arg('label', '');
const COMPLETION_GAP_MS = 200;
const CHEAP_GAP_MS = 20;
const AFTER_BUILD = 40;
/** The document `locus/compress` is asked about until it reports the index built (every 500 ms). */
const WATCHED: Case = { id: 'watch', source: 'probe', languageId: 'python', kind: 'single-line', text: 'import os\n', offset: 10, typed: '' };

interface Phase {
  /** From `ready` until `locus/compress` reports the index built. */
  indexMs: number;
  files: number;
  /** Completions while the index was built, and after. */
  during: number[];
  /** The slowest completion while the index was built: its time in the engine and the tokens it generated. */
  slowest: { ms: number; engineMs: number; tokens: number } | undefined;
  after: number[];
  /** Cheap requests' round trips while the index was built. */
  cheap: number[];
  /** The server's private resident memory (RssAnon) once the index is built and the phase's requests answered, and its peak resident set (VmHWM), MiB. */
  privateMiB: number;
  peakMiB: number;
}

interface Run {
  build: string;
  cold: Phase;
  warm: Phase;
}

const stats = (xs: number[]) => ({ n: xs.length, p50: percentile(xs, 50), p95: percentile(xs, 95), max: xs.length === 0 ? NaN : Math.max(...xs) });

async function phase(serverJs: string, cacheDir: string, cases: Case[] | undefined): Promise<Phase> {
  const client = await BenchClient.start({ context: { cacheDir } }, { workspaceFolder: workspace, serverJs });
  const started = performance.now();
  const result: Phase = { indexMs: NaN, files: 0, during: [], slowest: undefined, after: [], cheap: [], privateMiB: NaN, peakMiB: NaN };
  let building = true;
  let stop = false;
  const watcher = waitForIndex(client, pathToFileURL(join(tmpdir(), 'locus-indexing-probe.py')).href, WATCHED).then((index) => {
    building = false;
    result.indexMs = performance.now() - started;
    result.files = index.files;
  });
  const cheap = (async () => {
    const never = pathToFileURL(join(tmpdir(), 'locus-indexing-never-opened.ts')).href;
    while (!stop) {
      const t = performance.now();
      await client.complete(never, { line: 0, character: 0 });
      if (building) result.cheap.push(performance.now() - t);
      await sleep(CHEAP_GAP_MS);
    }
  })();
  if (cases) {
    for (let i = 0; building || result.after.length < AFTER_BUILD; i++) {
      const c = cases[i % cases.length]!;
      const uri = pathToFileURL(join(tmpdir(), `locus-indexing-${i}.${c.languageId === 'python' ? 'py' : 'ts'}`)).href;
      await client.open(uri, c.languageId, c.text);
      const wasBuilding = building;
      const answer = await client.complete(uri, positionAt(c.text, c.offset));
      (wasBuilding && building ? result.during : result.after).push(answer.ms);
      if (wasBuilding && building && answer.ms > (result.slowest?.ms ?? -1)) {
        result.slowest = { ms: answer.ms, engineMs: answer.timing?.totalMs ?? NaN, tokens: answer.timing?.generatedTokens ?? NaN };
      }
      await client.close(uri);
      await sleep(COMPLETION_GAP_MS);
    }
  }
  await watcher;
  stop = true;
  await cheap;
  const memory = processMemoryMiB(client.server.child.pid!);
  result.privateMiB = memory.anon;
  result.peakMiB = memory.peak;
  await client.server.stop();
  return result;
}

runBench(async () => {
  const started = Date.now();
  const loadBefore = loadavg()[0];
  const cases = buildCases(collectSources(), 'single-line', 400, mulberry32(11));
  const builds: Array<[string, string]> = [['this', join(ROOT, 'dist', 'server.js')]];
  if (baselineDir !== '') builds.push(['baseline', join(resolve(baselineDir), 'dist', 'server.js')]);
  const cacheDirs = new Map(builds.map(([build]) => [build, mkdtempSync(join(tmpdir(), `locus-indexing-${build}-`))]));
  const all: Run[] = [];
  try {
    for (let r = 0; r < runs; r++) {
      for (const [build, serverJs] of r % 2 === 0 ? builds : [...builds].reverse()) {
        const cacheDir = cacheDirs.get(build)!;
        rmSync(cacheDir, { recursive: true, force: true });
        const cold = await phase(serverJs, cacheDir, cases);
        const warm = await phase(serverJs, cacheDir, undefined);
        all.push({ build, cold, warm });
        const s = (p: Phase) => `index ${(p.indexMs / 1000).toFixed(1)} s, longest hold ${stats(p.cheap).max.toFixed(0)} ms, private ${p.privateMiB.toFixed(0)} MiB (peak ${p.peakMiB.toFixed(0)})`;
        console.error(`run ${r + 1}/${runs} ${build}: cold ${s(cold)}, completions while indexing p50 ${stats(cold.during).p50.toFixed(0)} p95 ${stats(cold.during).p95.toFixed(0)} max ${stats(cold.during).max.toFixed(0)} ms; warm ${s(warm)}`);
      }
    }
  } finally {
    for (const dir of cacheDirs.values()) rmSync(dir, { recursive: true, force: true });
  }

  const median = (xs: number[]) => percentile(xs, 50);
  const byBuild = (build: string) => all.filter((r) => r.build === build);
  const summary = builds.map(([build]) => {
    const rs = byBuild(build);
    const pooled = (pick: (r: Run) => number[]) => rs.flatMap(pick);
    return {
      build,
      files: rs[0]!.cold.files,
      coldIndexS: median(rs.map((r) => r.cold.indexMs / 1000)),
      during: stats(pooled((r) => r.cold.during)),
      after: stats(pooled((r) => r.cold.after)),
      coldHold: stats(pooled((r) => r.cold.cheap)),
      warmIndexS: median(rs.map((r) => r.warm.indexMs / 1000)),
      warmHold: stats(pooled((r) => r.warm.cheap)),
      coldPrivateMiB: median(rs.map((r) => r.cold.privateMiB)),
      coldPeakMiB: median(rs.map((r) => r.cold.peakMiB)),
      warmPrivateMiB: median(rs.map((r) => r.warm.privateMiB)),
      warmPeakMiB: median(rs.map((r) => r.warm.peakMiB)),
    };
  });
  const date = new Date().toISOString();
  const machine = machineInfo();
  const result = { date, machine, loadAverage1mBefore: loadBefore, loadAverage1mAfter: loadavg()[0], workspace, runs, build: commitOf(ROOT), baseline: baselineDir === '' ? undefined : commitOf(baselineDir), summary, all };
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : '-');
  const markdown = [
    `# Completions while the workspace is indexed (${date.slice(0, 10)})`,
    '',
    `Command: \`npm run bench -- indexing --workspace ${workspace} --runs ${runs}${baselineDir ? ` --baseline ${baselineDir}` : ''}\` (${((Date.now() - started) / 60_000).toFixed(1)} min).`,
    '',
    `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}; 1-minute load average ${loadBefore.toFixed(2)} before, ${loadavg()[0].toFixed(2)} after.`,
    `Workspace: ${workspace} (${summary[0]!.files} files indexed). Each run: cold (empty index cache; a single-line completion at a real-code position every ${COMPLETION_GAP_MS} ms, each in a fresh document, until the index is built, then ${AFTER_BUILD} more), then warm (the server started again with the cache). A cheap request every ${CHEAP_GAP_MS} ms throughout (a completion for a document never opened): its round trips while the index builds show how long the server's thread is held.${baselineDir ? ` Runs alternate with the baseline (${result.baseline}), each build with a cache folder of its own.` : ''}`,
    '',
    '| build | cold: index built, s | completions while indexing p50 / p95 / max ms | after p50 / p95 / max ms | cheap requests while indexing p95 / max ms | cold: private / peak MiB | warm: index back, s | warm: cheap requests p95 / max ms | warm: private / peak MiB |',
    '|---|---|---|---|---|---|---|---|---|',
    ...summary.map(
      (s) =>
        `| ${s.build} | ${s.coldIndexS.toFixed(1)} | ${f(s.during.p50)} / ${f(s.during.p95)} / ${f(s.during.max)} (${s.during.n}) | ${f(s.after.p50)} / ${f(s.after.p95)} / ${f(s.after.max)} (${s.after.n}) | ${f(s.coldHold.p95)} / ${f(s.coldHold.max)} | ${f(s.coldPrivateMiB)} / ${f(s.coldPeakMiB)} | ${s.warmIndexS.toFixed(1)} | ${f(s.warmHold.p95)} / ${f(s.warmHold.max)} | ${f(s.warmPrivateMiB)} / ${f(s.warmPeakMiB)} |`,
    ),
    '',
    `The slowest completion while indexing, per run: ${all.map((r) => (r.cold.slowest === undefined ? `${r.build} -` : `${r.build} ${r.cold.slowest.ms.toFixed(0)} ms (${r.cold.slowest.engineMs.toFixed(0)} ms in the engine, ${r.cold.slowest.tokens} tokens)`)).join('; ')}.`,
    '',
    'Index times and memory are medians over the runs; latencies are pooled over the runs (request counts in brackets). Memory is the server process\'s, read from /proc once the phase\'s requests are answered: private = RssAnon (the model\'s memory included, the same for both builds), peak = VmHWM.',
    '',
  ].join('\n');
  writeResults('indexing', label, date.slice(0, 10), result, markdown);
});
