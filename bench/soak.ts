// `npm run bench -- soak [--minutes N] [--model DIR] [--efficiency] [--keystroke-ms MS] [--seed N] [--server-js PATH] [--label NAME]`
// A long editing session against one language server (dist/server.js over stdio, as VS Code runs it), to show
// that its memory stays bounded and its latency does not drift. The session: the context bench's multi-file
// packages as the workspace (indexed, retrieval in every prompt), recording on, up to 10 documents open as tabs.
// Case after case (real cursor positions, bench/lsp/realCodeCases.ts): open the file at that position, ask, type
// 1-5 characters of the real source one keystroke at a time (each a change and a request; an unanswered request
// is cancelled), accept the shown completion 4 times in 10 (its text inserted, then one more request), and now
// and then the other requests a user makes: Compress, Explain, a dashboard refresh. Every 5 s the server's memory
// (private RssAnon, PSS, peak), CPU time, open file descriptors and threads, and Locus's folders in the temp
// directory are sampled. With `--efficiency` the workspace is trusted and the efficiency checks are on; `--server-js`
// runs another build's dist/server.js (an A/B against an older commit's worktree).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CancellationTokenSource, type Position } from 'vscode-languageserver-protocol';
import { DEFAULTS } from '../lsp-server/config';
import { CompressRequest, ExplainRequest, TelemetryRequest, WorkspaceTrustNotification, type LocusSettingsInput } from '../lsp-server/protocol';
import { mulberry32 } from '../runtime/sampler';
import { arg, runBench, writeResults } from './benchCli';
import { shuffle } from './context/caseBuilder';
import { BenchClient, machineInfo, percentile, sleep, type Answer } from './lsp/benchClient';
import { buildCases, fixtureSources, positionAt, waitForIndex, type Case } from './lsp/realCodeCases';
import { processCpuMs, processMemoryMiB } from './processMemory';

const ROOT = resolve(__dirname, '..');
const minutes = Number(arg('minutes', '10'));
const modelDir = arg('model', '');
const efficiency = process.argv.includes('--efficiency');
const keystrokeMs = Number(arg('keystroke-ms', '80'));
const seed = Number(arg('seed', '2026'));
const label = arg('label', '');
const serverJs = process.argv.includes('--server-js') ? resolve(arg('server-js', '')) : undefined;
const SAMPLE_EVERY_MS = 5000;
const MAX_OPEN_DOCUMENTS = 10;
const ACCEPT_SHARE = 0.4;
/** Cases between the occasional requests (a dashboard open beside the editor refreshes about every 30 s). */
const EVERY = { compress: 25, explain: 50, dashboard: 15 };
const EXPLAIN_LINES = 12;
const EXPLAIN_CANCEL_MS = 3000;

interface Sample {
  atMs: number;
  /** Requests answered so far (completions of every kind, and the occasional ones). */
  requests: number;
  anonMiB: number;
  /** The part of it in transparent huge pages (malloc asks for them: lsp-server/serverProcessFlags.ts). */
  anonHugeMiB: number;
  pssMiB: number;
  peakMiB: number;
  cpuMs: number;
  fds: number;
  threads: number;
  /** Entries in the temp directory whose names start with `locus-` (sandbox canaries, candidate folders). */
  tempEntries: number;
}

interface Completion {
  atMs: number;
  ms: number;
  cancelled: boolean;
  /** The first request at a newly opened position (not a keystroke's, not after an acceptance). */
  first: boolean;
  cacheHit: boolean;
  shownChars: number;
}

function procStatus(pid: number): { cpuMs: number; fds: number; threads: number } {
  const threads = Number(/^Threads:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
  return { cpuMs: processCpuMs(pid), fds: readdirSync(`/proc/${pid}/fd`).length, threads };
}

const locusTempEntries = () => readdirSync(tmpdir()).filter((name) => name.startsWith('locus-') && !name.startsWith('locus-soak-')).length;

/** Least-squares slope of y over x. */
function slope(points: Array<[number, number]>): number {
  const n = points.length;
  if (n < 2) return NaN;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxy = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return sxx === 0 ? NaN : sxy / sxx;
}

/** Moves `position` past `text` inserted at it. */
function after(position: Position, text: string): Position {
  const lines = text.split('\n');
  return lines.length === 1 ? { line: position.line, character: position.character + text.length } : { line: position.line + lines.length - 1, character: lines[lines.length - 1]!.length };
}

async function main(): Promise<void> {
  if (process.platform !== 'linux') throw new Error('the soak bench reads /proc: Linux only');
  const random = mulberry32(seed);
  const workspace = mkdtempSync(join(tmpdir(), 'locus-soak-workspace-'));
  const indexCacheDir = mkdtempSync(join(tmpdir(), 'locus-soak-index-'));
  const telemetryDir = mkdtempSync(join(tmpdir(), 'locus-soak-telemetry-'));
  const groups = fixtureSources(workspace);
  // Single-line and multi-line cases interleaved, in a seeded order.
  const cases = shuffle([...buildCases(groups, 'single-line', 600, random), ...buildCases(groups, 'multi-line', 400, random)], random);
  const settings: LocusSettingsInput = {
    ...(modelDir !== '' && { model: { path: resolve(modelDir) } }),
    ...(efficiency && { efficiency: { enabled: true } }),
    context: { cacheDir: indexCacheDir },
    telemetry: { enabled: true, dir: telemetryDir },
  };
  const tempBefore = locusTempEntries();
  let client: BenchClient | undefined;
  try {
    client = await BenchClient.start(settings, { workspaceFolder: workspace, ...(serverJs !== undefined && { serverJs }) });
    const { connection } = client.server;
    if (efficiency) await connection.sendNotification(WorkspaceTrustNotification.type, { trusted: true });
    const uriOf = (c: Case) => pathToFileURL(join(workspace, c.source)).href;
    const index = await waitForIndex(client, uriOf(cases[0]!), cases[0]!);
    const pid = client.server.child.pid!;
    const ready = client.ready;
    const loadBefore = loadavg();
    const started = performance.now();
    const now = () => performance.now() - started;
    const deadline = minutes * 60_000;

    const completions: Completion[] = [];
    const occasional: Array<{ kind: 'compress' | 'explain' | 'dashboard'; atMs: number; ms: number }> = [];
    const samples: Sample[] = [];
    const sample = () => {
      const memory = processMemoryMiB(pid);
      samples.push({ atMs: now(), requests: completions.filter((c) => !c.cancelled).length + occasional.length, anonMiB: memory.anon, anonHugeMiB: memory.anonHuge, pssMiB: memory.pss, peakMiB: memory.peak, ...procStatus(pid), tempEntries: locusTempEntries() });
    };
    sample();
    const sampler = setInterval(sample, SAMPLE_EVERY_MS);

    /** Open tabs: source path → URI, oldest first. */
    const open = new Map<string, string>();
    const request = (uri: string, position: Position, first: boolean, cancel = new CancellationTokenSource()): Promise<Answer> =>
      client!.complete(uri, position, cancel).then((a) => {
        completions.push({ atMs: now(), ms: a.ms, cancelled: a.cancelled, first, cacheHit: a.timing?.cacheHit === true, shownChars: a.text.length });
        return a;
      });

    let done = 0;
    for (let i = 0; now() < deadline; i++) {
      const c = cases[i % cases.length]!;
      const uri = uriOf(c);
      // A file opened again comes back as it is on disk (the earlier edits were not saved).
      if (open.has(c.source)) await client.close(uri);
      open.delete(c.source);
      if (open.size >= MAX_OPEN_DOCUMENTS) {
        const [oldest, oldestUri] = open.entries().next().value as [string, string];
        await client.close(oldestUri);
        open.delete(oldest);
      }
      await client.open(uri, c.languageId, c.text);
      open.set(c.source, uri);

      let position = positionAt(c.text, c.offset);
      let shown = (await request(uri, position, true)).text;
      await sleep(keystrokeMs);
      let previous: CancellationTokenSource | undefined;
      const pending: Array<Promise<Answer>> = [];
      for (const ch of c.typed) {
        previous?.cancel();
        await client.insert(uri, position, ch);
        position = after(position, ch);
        previous = new CancellationTokenSource();
        pending.push(request(uri, position, false, previous));
        await sleep(keystrokeMs);
      }
      const answers = await Promise.all(pending);
      shown = answers[answers.length - 1]?.text ?? shown;
      if (shown !== '' && random() < ACCEPT_SHARE) {
        await client.insert(uri, position, shown);
        position = after(position, shown);
        await request(uri, position, false);
      }

      if (i % EVERY.compress === EVERY.compress - 1) {
        const t = performance.now();
        await connection.sendRequest(CompressRequest.type, { textDocument: { uri }, position });
        occasional.push({ kind: 'compress', atMs: now(), ms: performance.now() - t });
      }
      if (i % EVERY.explain === EVERY.explain - 1) {
        const cancel = new CancellationTokenSource();
        const timer = setTimeout(() => cancel.cancel(), EXPLAIN_CANCEL_MS);
        const t = performance.now();
        const range = { start: { line: Math.max(0, position.line - EXPLAIN_LINES / 2), character: 0 }, end: { line: position.line + EXPLAIN_LINES / 2, character: 0 } };
        await connection.sendRequest(ExplainRequest.type, { textDocument: { uri }, range, streamId: `soak-${i}` }, cancel.token).catch(() => undefined);
        clearTimeout(timer);
        occasional.push({ kind: 'explain', atMs: now(), ms: performance.now() - t });
      }
      if (i % EVERY.dashboard === EVERY.dashboard - 1) {
        const t = performance.now();
        await connection.sendRequest(TelemetryRequest.type, {});
        occasional.push({ kind: 'dashboard', atMs: now(), ms: performance.now() - t });
      }
      done = i + 1;
      if (done % 50 === 0) console.error(`${(now() / 60_000).toFixed(1)} min: ${done} positions, ${completions.length} completion requests, private ${samples[samples.length - 1]!.anonMiB.toFixed(0)} MiB`);
    }
    clearInterval(sampler);
    sample();
    const wallSeconds = now() / 1000;
    const loadAfter = loadavg();

    // Answers that came after the deadline count in the last minute.
    const minuteCount = Math.max(1, Math.floor(wallSeconds / 60));
    const minuteRows = Array.from({ length: minuteCount }, (_, m) => {
      const inMinute = <T extends { atMs: number }>(xs: T[]) => xs.filter((x) => x.atMs >= m * 60_000 && (m === minuteCount - 1 || x.atMs < (m + 1) * 60_000));
      const all = inMinute(completions);
      const answered = all.filter((c) => !c.cancelled);
      const first = answered.filter((c) => c.first);
      const last = inMinute(samples).at(-1) ?? samples.at(-1)!;
      const before = samples.filter((s) => s.atMs < m * 60_000).at(-1) ?? samples[0]!;
      return {
        minute: m + 1,
        requests: all.length,
        cancelled: all.length - answered.length,
        firstP50Ms: percentile(first.map((c) => c.ms), 50),
        firstP95Ms: percentile(first.map((c) => c.ms), 95),
        answeredP50Ms: percentile(answered.map((c) => c.ms), 50),
        cacheHits: answered.filter((c) => c.cacheHit).length,
        anonMiB: last.anonMiB,
        anonHugeMiB: last.anonHugeMiB,
        pssMiB: last.pssMiB,
        cpuShare: (last.cpuMs - before.cpuMs) / Math.max(1, last.atMs - before.atMs),
        fds: last.fds,
        threads: last.threads,
        tempEntries: last.tempEntries,
      };
    });
    // Growth is judged after the first two minutes (arenas, caches and the index filling up).
    const settled = samples.filter((s) => s.atMs >= 120_000);
    const growth = {
      anonAtTwoMinutesMiB: settled[0]?.anonMiB ?? NaN,
      anonAtEndMiB: samples.at(-1)!.anonMiB,
      anonMaxMiB: Math.max(...samples.map((s) => s.anonMiB)),
      peakMiB: samples.at(-1)!.peakMiB,
      slopeMiBPerHour: slope(settled.map((s) => [s.atMs / 3_600_000, s.anonMiB])),
      slopeMiBPer1000Requests: slope(settled.map((s) => [s.requests / 1000, s.anonMiB])),
      fds: [samples[0]!.fds, samples.at(-1)!.fds],
      threads: [samples[0]!.threads, samples.at(-1)!.threads],
      tempEntries: [tempBefore, samples.at(-1)!.tempEntries],
    };
    const occasionalRows = (['compress', 'explain', 'dashboard'] as const).map((kind) => {
      const ms = occasional.filter((o) => o.kind === kind).map((o) => o.ms);
      return { kind, count: ms.length, p50Ms: percentile(ms, 50), maxMs: Math.max(...ms) };
    });
    const date = new Date().toISOString();
    const day = date.slice(0, 10);
    const machine = { ...machineInfo(), loadAverage1mBefore: loadBefore[0], loadAverage1mAfter: loadAfter[0] };
    const result = {
      date,
      machine,
      model: { name: ready.model, dir: ready.modelDir, onnx: ready.onnxFile, quantization: ready.quantization, draft: ready.draft ?? null },
      settings: { ...settings, defaults: { model: 'the embedded one', ...DEFAULTS } },
      minutes,
      keystrokeMs,
      seed,
      index,
      positions: done,
      completionRequests: completions.length,
      wallSeconds,
      growth,
      minuteRows,
      occasionalRows,
      samples,
    };
    const fmt = (x: number, digits = 1) => (Number.isNaN(x) ? '-' : x.toFixed(digits));
    const markdown = [
      `# Soak: a ${minutes}-minute editing session against one language server (${day})`,
      '',
      `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}; shared with other work (1-minute load average ${fmt(loadBefore[0]!)} before, ${fmt(loadAfter[0]!)} after).`,
      `Model: ${ready.model} (${relative(ROOT, ready.modelDir) || ready.modelDir}/${ready.onnxFile}, ${ready.quantization}${ready.draft ? `, draft ${ready.draft}` : ''}), default settings${efficiency ? ' with the efficiency checks on in a trusted workspace' : ''}; recording on${serverJs === undefined ? '' : `; server ${relative(ROOT, serverJs) || serverJs}`}.`,
      `Workspace: the context bench's multi-file packages (${index.files} files, ${index.chunks} chunks indexed). ${done} positions in ${wallSeconds.toFixed(0)} s, ${completions.length} completion requests (keystrokes every ${keystrokeMs} ms, ${ACCEPT_SHARE * 100}% of shown completions accepted), seed ${seed}; up to ${MAX_OPEN_DOCUMENTS} documents open.`,
      '',
      'Per minute: requests sent, cancelled by the next keystroke, latency at the client of the first request at each new position and of every answered one, completion-cache hits, and at the end of the minute the server process\'s private memory (RssAnon, worker threads included; Linux may back parts of it with 2 MiB transparent huge pages, which count whole), PSS, its CPU share over the minute, open file descriptors, threads, and `locus-*` entries in the temp directory.',
      '',
      '| minute | requests | cancelled | first p50 ms | first p95 ms | answered p50 ms | cache hits | private MiB | of it in huge pages | PSS MiB | CPU | fds | threads | temp entries |',
      '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
      ...minuteRows.map((r) => `| ${r.minute} | ${r.requests} | ${r.cancelled} | ${fmt(r.firstP50Ms)} | ${fmt(r.firstP95Ms)} | ${fmt(r.answeredP50Ms)} | ${r.cacheHits} | ${fmt(r.anonMiB, 0)} | ${fmt(r.anonHugeMiB, 0)} | ${fmt(r.pssMiB, 0)} | ${fmt(r.cpuShare * 100, 0)}% | ${r.fds} | ${r.threads} | ${r.tempEntries} |`),
      '',
      '| other request | count | p50 ms | max ms |',
      '|---|---|---|---|',
      ...occasionalRows.map((r) => `| ${r.kind} | ${r.count} | ${fmt(r.p50Ms)} | ${fmt(r.maxMs)} |`),
      '',
      `Private memory: ${fmt(growth.anonAtTwoMinutesMiB, 0)} MiB at two minutes, ${fmt(growth.anonAtEndMiB, 0)} MiB at the end (largest sample ${fmt(growth.anonMaxMiB, 0)} MiB; peak resident ${fmt(growth.peakMiB, 0)} MiB). Trend after two minutes (least squares over the 5 s samples): ${fmt(growth.slopeMiBPerHour)} MiB per hour, ${fmt(growth.slopeMiBPer1000Requests)} MiB per 1000 requests.`,
      `File descriptors ${growth.fds[0]} → ${growth.fds[1]}; threads ${growth.threads[0]} → ${growth.threads[1]}; \`locus-*\` temp entries ${growth.tempEntries[0]} before the server → ${growth.tempEntries[1]} at the end.`,
      '',
    ].join('\n');
    writeResults('soak', [efficiency ? 'efficiency' : '', label].filter((part) => part !== '').join('-'), day, result, markdown);
  } finally {
    await client?.server.stop();
    for (const dir of [workspace, indexCacheDir, telemetryDir]) rmSync(dir, { recursive: true, force: true });
  }
}

runBench(main);
