// `npm run bench -- firstCompletions [--starts N] [--requests K] [--gap-ms MS] [--model DIR] [--baseline DIR] [--label NAME]`
// The first completions after the server starts: the user's first suggestions after opening the editor. Each start
// is a fresh dist/server.js at its defaults (embedded model pair, or `--model DIR`): wait for `ready`, wait `gap-ms`
// (the user opens a file and starts typing), then ask K single-line completions at held-out cases
// (bench/data/fim-cases.jsonl), one after the other, each in a fresh document, timed at the client; the server's
// private memory is read after the wait, and its peak resident set (the load's included) after the requests. With `--baseline DIR` (a checkout of
// another commit, built), starts alternate between its server and this one's, on the same cases start by start, and
// the table compares them request by request. From `initialized` until the model is ready, a cheap request (a
// completion for a document the server has not opened, answered at once) goes every 10 ms, one at a time: its
// round trips show how long the server's thread is held while the model and its tokenizer load. Each request's
// time in the server outside the engine (prompt building, post-processing) is read from its timings notification.
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { arg, commitOf, runBench, writeResults } from './benchCli';
import { BenchClient, machineInfo, percentile, sleep } from './lsp/benchClient';
import { processMemoryMiB } from './processMemory';

const ROOT = resolve(__dirname, '..');
const starts = Number(arg('starts', '8'));
const requests = Number(arg('requests', '6'));
const gapMs = Number(arg('gap-ms', '1000'));
const baselineDir = arg('baseline', '');
const modelDir = arg('model', '');
const label = arg('label', '');
const LANGUAGE_IDS: Record<string, string> = { py: 'python', ts: 'typescript', js: 'javascript' };

interface FimCase {
  lang: string;
  kind: string;
  prefix: string;
  suffix: string;
}

interface Start {
  build: string;
  readyMs: number;
  /** The server's private resident memory (RssAnon) once ready and idle, MiB. */
  privateMiB: number;
  /** The server's peak resident set size (VmHWM: the whole process's, its load included), read after the requests, MiB. */
  peakMiB: number;
  /** Client latency of each request, in the order asked. */
  ms: number[];
  /** Round trips of the cheap requests sent while the model loaded. */
  loadingProbeMs: number[];
  promptTokens: number[];
  /** Of each request's time in the server, the part outside the engine (prompt building, post-processing), ms. */
  outsideEngineMs: number[];
}

const endOf = (text: string) => {
  const lines = text.split('\n');
  return { line: lines.length - 1, character: lines[lines.length - 1]!.length };
};

const LOADING_PROBE_GAP_MS = 10;

/** Cheap requests one after the other, `LOADING_PROBE_GAP_MS` apart, until the first load ends; their round trips. */
async function probeWhileLoading(client: BenchClient, into: number[]): Promise<void> {
  const position = { line: 0, character: 0 };
  while (!client.loaded) {
    const answer = await client.complete('file:///locus-bench/first/never-opened.py', position);
    if (!client.loaded) into.push(answer.ms);
    await sleep(LOADING_PROBE_GAP_MS);
  }
}

async function startAndAsk(build: string, serverJs: string, cases: FimCase[]): Promise<Start> {
  const t0 = performance.now();
  const loadingProbeMs: number[] = [];
  let probing: Promise<void> = Promise.resolve();
  const client = await BenchClient.start(modelDir === '' ? {} : { model: { path: resolve(modelDir) } }, {
    serverJs,
    whileLoading: (c) => (probing = probeWhileLoading(c, loadingProbeMs)),
  });
  const readyMs = performance.now() - t0;
  await probing;
  const pid = client.server.child.pid!;
  try {
    await sleep(gapMs);
    const privateMiB = processMemoryMiB(pid).anon;
    const ms: number[] = [];
    const promptTokens: number[] = [];
    const outsideEngineMs: number[] = [];
    for (const [i, c] of cases.entries()) {
      const uri = `file:///locus-bench/first/${i}.${c.lang}`;
      await client.open(uri, LANGUAGE_IDS[c.lang] ?? 'plaintext', c.prefix + c.suffix);
      const answer = await client.complete(uri, endOf(c.prefix));
      ms.push(answer.ms);
      promptTokens.push(answer.timing?.promptTokens ?? 0);
      outsideEngineMs.push(answer.timing === undefined ? NaN : answer.timing.requestMs - answer.timing.totalMs);
    }
    return { build, readyMs, privateMiB, peakMiB: processMemoryMiB(pid).peak, ms, loadingProbeMs, promptTokens, outsideEngineMs };
  } finally {
    await client.server.stop();
  }
}

async function main(): Promise<void> {
  const all = readFileSync(join(ROOT, 'bench', 'data', 'fim-cases.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as FimCase)
    .filter((c) => c.kind === 'single');
  if (all.length < starts * requests) throw new Error(`${starts} starts x ${requests} requests need ${starts * requests} single-line cases; there are ${all.length}.`);
  const builds: [string, string][] = [['this', join(ROOT, 'dist', 'server.js')]];
  if (baselineDir !== '') builds.push(['baseline', join(resolve(baselineDir), 'dist', 'server.js')]);
  const loadBefore = loadavg()[0]!;
  const started = Date.now();
  const runs: Start[] = [];
  for (let s = 0; s < starts; s++) {
    const cases = all.slice(s * requests, (s + 1) * requests);
    // Alternate which build goes first, so neither always meets the machine after the other.
    const order = s % 2 === 0 ? builds : [...builds].reverse();
    for (const [build, serverJs] of order) {
      const run = await startAndAsk(build, serverJs, cases);
      runs.push(run);
      console.log(
        `start ${s + 1}/${starts} ${build}: ready ${run.readyMs.toFixed(0)} ms, private ${run.privateMiB.toFixed(0)} MiB, ` +
          `peak ${run.peakMiB.toFixed(0)} MiB, requests ${run.ms.map((m) => m.toFixed(0)).join(' ')} ms, ` +
          `while loading ${run.loadingProbeMs.length} probes max ${Math.max(0, ...run.loadingProbeMs).toFixed(0)} ms`,
      );
    }
  }
  const median = (xs: number[]) => percentile(xs, 50);
  const byBuild = (build: string) => runs.filter((r) => r.build === build);
  const rows = Array.from({ length: requests }, (_, i) => {
    const row: Record<string, number> = { request: i + 1 };
    for (const [build] of builds) {
      row[build] = median(byBuild(build).map((r) => r.ms[i]!));
      row[`${build}Outside`] = median(byBuild(build).map((r) => r.outsideEngineMs[i]!));
    }
    // Per start the builds answered the same case: the ratio is the median of those pairs.
    if (baselineDir !== '') row.ratio = median(byBuild('this').map((r, s) => byBuild('baseline')[s]!.ms[i]! / r.ms[i]!));
    return row;
  });
  const medianOf = (pick: (r: Start) => number) => Object.fromEntries(builds.map(([build]) => [build, median(byBuild(build).map(pick))]));
  const ready = medianOf((r) => r.readyMs);
  const privateMiB = medianOf((r) => r.privateMiB);
  const peakMiB = medianOf((r) => r.peakMiB);
  const loadingMax = medianOf((r) => Math.max(0, ...r.loadingProbeMs));
  const loadingP95 = medianOf((r) => percentile(r.loadingProbeMs, 95));
  const loadingOver50 = Object.fromEntries(builds.map(([build]) => [build, byBuild(build).reduce((n, r) => n + r.loadingProbeMs.filter((ms) => ms > 50).length, 0)]));
  const loadingProbes = Object.fromEntries(builds.map(([build]) => [build, byBuild(build).reduce((n, r) => n + r.loadingProbeMs.length, 0)]));
  const date = new Date().toISOString();
  const baseline = baselineDir === '' ? undefined : commitOf(baselineDir);
  const result = { date, machine: machineInfo(), loadAverage1mBefore: loadBefore, loadAverage1mAfter: loadavg()[0], starts, requests, gapMs, model: modelDir || undefined, baseline, build: commitOf(ROOT), ready, privateMiB, peakMiB, loadingMax, loadingP95, rows, runs };
  const columns = builds.map(([build]) => build);
  const markdown = [
    `# First completions after the server starts (${date.slice(0, 10)})`,
    '',
    `Command: \`npm run bench -- firstCompletions --starts ${starts} --requests ${requests} --gap-ms ${gapMs}${modelDir ? ` --model ${modelDir}` : ''}${baselineDir ? ` --baseline ${baselineDir}` : ''}\` (${((Date.now() - started) / 60_000).toFixed(1)} min).`,
    '',
    `Machine: ${result.machine.cpu}, ${result.machine.cores} cores, ${result.machine.memoryGiB} GiB, Node ${result.machine.node}; 1-minute load average ${loadBefore.toFixed(2)} before, ${result.loadAverage1mAfter!.toFixed(2)} after.`,
    `Each start: a fresh dist/server.js at its defaults (${modelDir ? `model ${modelDir}` : 'embedded model pair'}), \`ready\`, ${gapMs} ms idle, then ${requests} single-line completions at held-out cases (bench/data/fim-cases.jsonl), each in a fresh document; client-side latency. Start s uses cases s*${requests}..; ${baseline ? `the builds alternate, the same cases for both (baseline: ${baseline}).` : 'one build.'}`,
    '',
    `| request | ${columns.map((c) => `${c} p50 ms`).join(' | ')} | ${columns.map((c) => `${c}: outside the engine, p50 ms`).join(' | ')}${baselineDir ? ' | baseline / this (median of per-start ratios) |' : ' |'}`,
    `|---|${columns.map(() => '---|---').join('|')}|${baselineDir ? '---|' : ''}`,
    ...rows.map((r) => `| ${r.request} | ${columns.map((c) => r[c]!.toFixed(0)).join(' | ')} | ${columns.map((c) => r[`${c}Outside`]!.toFixed(1)).join(' | ')}${baselineDir ? ` | ${r.ratio!.toFixed(2)}x |` : ' |'}`),
    '',
    `Time from \`initialize\` to \`ready\`, median: ${columns.map((c) => `${c} ${ready[c]!.toFixed(0)} ms`).join(', ')}.`,
    '',
    `While the model loads, a cheap request every ${LOADING_PROBE_GAP_MS} ms (a completion for a document never opened: the server's thread answers at once when free). ` +
      `Per start, the longest round trip and the p95; medians over the starts: ${columns.map((c) => `${c} longest ${loadingMax[c]!.toFixed(0)} ms, p95 ${loadingP95[c]!.toFixed(0)} ms`).join('; ')}. ` +
      `Round trips over 50 ms: ${columns.map((c) => `${c} ${loadingOver50[c]} of ${loadingProbes[c]}`).join(', ')}.`,
    '',
    `The server's private memory (RssAnon) once ready and idle, median: ${columns.map((c) => `${c} ${privateMiB[c]!.toFixed(0)} MiB`).join(', ')}; ` +
      `its peak resident set (VmHWM, the load's included), read after the requests: ${columns.map((c) => `${c} ${peakMiB[c]!.toFixed(0)} MiB`).join(', ')}.`,
    '',
  ].join('\n');
  writeResults('first-completions', label, date.slice(0, 10), result, markdown);
}

runBench(main);
