// `npm run bench -- dashboard [--refreshes N] [--probe-ms MS] [--baseline-server-js PATH]`
// Whether the language server keeps answering while the latency dashboard refreshes with a full telemetry
// store (the 20 MB cap: about 50,000 records). A store is filled with synthetic records; then, `refreshes`
// times, the client asks `locus/telemetry` and, until the answer comes, sends a cheap request every `probe-ms`
// (an inline completion for a plaintext document: inline completions are off for plaintext, so no model runs).
// Reported: the refresh's round trip and the cheap requests' round trips while it was computed. With
// `--baseline-server-js` (another build's dist/server.js, e.g. a worktree of an older commit) the same is
// measured on that build, in the same run, one after the other.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { TelemetryRequest } from '../lsp-server/protocol';
import { serializeEntry, type RequestRecord } from '../lsp-server/telemetry/telemetryRecord';
import { DEFAULT_MAX_BYTES } from '../lsp-server/telemetry/telemetryStore';
import { BenchClient, machineInfo, percentile, sleep } from './lsp/benchClient';

const ROOT = resolve(__dirname, '..');
const arg = (name: string, fallback: string) => {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1]! : fallback;
};
const refreshes = Number(arg('refreshes', '20'));
const probeMs = Number(arg('probe-ms', '5'));
const baselineServerJs = process.argv.includes('--baseline-server-js') ? resolve(arg('baseline-server-js', '')) : undefined;

const LANGUAGES = ['typescript', 'python', 'rust', 'go'];

/** Segments of synthetic records, 1 MB each, up to just under the store's cap; returns the record count. */
function fillStore(dir: string): number {
  mkdirSync(dir, { recursive: true });
  let written = 0;
  let count = 0;
  const start = Date.UTC(2026, 10, 1);
  for (let segment = 0; written + (1 << 20) < DEFAULT_MAX_BYTES; segment++) {
    const lines: string[] = [];
    let bytes = 0;
    while (bytes < 1 << 20) {
      const n = count++;
      const record: RequestRecord = {
        v: 1,
        kind: 'request',
        id: `r${n}`,
        receivedAt: start + n * 1500,
        promptBuiltMs: 4 + (n % 9),
        firstTokenMs: 30 + (n % 61),
        doneMs: 90 + ((n * 37) % 230),
        retrievalMs: 1 + (n % 5),
        compressionMs: 0.5,
        promptTokens: 1200 + (n % 400),
        promptTokensCompressed: 900,
        generatedTokens: 3 + (n % 20),
        tokensPerSecond: 60 + (n % 50),
        draftProposed: 12,
        draftAccepted: 7,
        prefixCacheHit: n % 3 !== 0,
        servedFromCache: n % 6 === 0,
        cachedFrom: n % 6 === 0 ? `r${n - 1}` : null,
        model: 'locus-target',
        language: LANGUAGES[n % LANGUAGES.length]!,
        outcome: n % 11 === 0 ? 'cancelled' : 'offered',
      };
      let line = serializeEntry(record);
      if (n % 4 === 0) line += serializeEntry({ v: 1, kind: 'outcome', id: record.id, at: record.receivedAt + 700, acceptance: 'accepted' });
      lines.push(line);
      bytes += Buffer.byteLength(line);
    }
    const stamp = String(start + segment).padStart(13, '0');
    writeFileSync(join(dir, `telemetry-${stamp}-1-${String(segment % 10000).padStart(4, '0')}.jsonl`), lines.join(''), { mode: 0o600 });
    written += bytes;
  }
  return count;
}

async function measure(label: string, serverJs: string | undefined, telemetryDir: string) {
  const client = await BenchClient.start({ telemetry: { dir: telemetryDir, enabled: true } }, { serverJs });
  const cheapUri = 'file:///locus-bench/dashboard/notes.txt';
  await client.open(cheapUri, 'plaintext', 'Some notes\n');
  // Unloaded round trip of the cheap request, for reference.
  const idle: number[] = [];
  for (let i = 0; i < 20; i++) idle.push((await client.complete(cheapUri, { line: 1, character: 0 })).ms);
  const refreshMs: number[] = [];
  const during: number[] = [];
  let requests = 0;
  for (let i = 0; i < refreshes; i++) {
    let computing = true;
    const t0 = performance.now();
    const summary = client.server.connection.sendRequest(TelemetryRequest.type, {}).finally(() => (computing = false));
    while (computing) {
      await sleep(probeMs);
      if (!computing) break;
      during.push((await client.complete(cheapUri, { line: 1, character: 0 })).ms);
    }
    const answer = await summary;
    refreshMs.push(performance.now() - t0);
    requests = answer.outcomes.requests;
    await sleep(100);
  }
  await client.server.stop();
  return { label, requests, idleP50: percentile(idle, 50), refreshMs, during };
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'locus-bench-dashboard-'));
  try {
    const dir = join(root, 'telemetry');
    const records = fillStore(dir);
    const loadBefore = loadavg()[0]!;
    const rows = [await measure('this build (dist/server.js)', undefined, dir)];
    if (baselineServerJs) rows.push(await measure(`baseline (${baselineServerJs})`, baselineServerJs, dir));
    const loadAfter = loadavg()[0]!;
    const machine = machineInfo();
    const date = new Date().toISOString();
    const day = date.slice(0, 10);
    const f = (x: number) => x.toFixed(1);
    const md = [
      `# Server responsiveness while the dashboard refreshes (${day})`,
      '',
      `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}; shared with other work (1-minute load average ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after).`,
      `A telemetry store at the cap: ${records} synthetic records in 1 MB segments (${(DEFAULT_MAX_BYTES / 2 ** 20).toFixed(0)} MB cap). ${refreshes} refreshes (\`locus/telemetry\`) per server, 100 ms apart; while each was computed, a cheap request (inline completion in a plaintext document, no model run) every ${probeMs} ms.`,
      '',
      '| server | refresh p50 ms | refresh max ms | cheap requests during refreshes | their p50 ms | p95 ms | max ms | cheap request p50 ms, idle |',
      '|---|---|---|---|---|---|---|---|',
      ...rows.map((r) =>
        r.during.length === 0
          ? `| ${r.label} | ${f(percentile(r.refreshMs, 50))} | ${f(Math.max(...r.refreshMs))} | 0 | – | – | – | ${f(r.idleP50)} |`
          : `| ${r.label} | ${f(percentile(r.refreshMs, 50))} | ${f(Math.max(...r.refreshMs))} | ${r.during.length} | ${f(percentile(r.during, 50))} | ${f(percentile(r.during, 95))} | ${f(Math.max(...r.during))} | ${f(r.idleP50)} |`,
      ),
      '',
      `Each summary covered ${rows.map((r) => r.requests).join(' / ')} requests.`,
      '',
    ].join('\n');
    const outDir = join(ROOT, 'bench', 'results');
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, `dashboard-${day}.json`), JSON.stringify({ date, machine: { ...machine, loadBefore, loadAfter }, records, probeMs, rows }, null, 2) + '\n');
    writeFileSync(join(outDir, `dashboard-${day}.md`), md);
    console.log(md);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

void main().catch((e: Error) => {
  console.error(e.stack ?? e.message);
  process.exit(1);
});
