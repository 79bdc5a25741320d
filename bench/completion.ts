// `npm run bench -- completion [--model DIR] [--max-new-tokens N] [--budget TOKENS] [--speculation MODE] [--beam-width N] [--time-limit-ms MS] [--fixture-workspace retrieval|none] [--label NAME] [--single N] [--multi N] [--keystroke-ms MS] [--seed N]`
// End-to-end inline-completion latency through the real language server (dist/server.js over LSP, as VS Code
// runs it), measured at the client, on deterministic cursor positions in real code from this repo's dependencies
// and training scripts. Single-line positions (cursor mid-line or after the indentation of a non-empty line) and
// multi-line positions (cursor on a new empty line after a block opener, as after pressing Enter), each:
// - cold: a fresh document, one request;
// - typing: a fresh document, one request, then 1-5 characters of the real source typed one at a time at a
//   fixed keystroke interval, a request after each, the previous one cancelled if still unanswered (request
//   churn, the completion cache, prefix KV reuse);
// - typing the suggestion: the first characters of the completion that showed are typed (completion cache hits).
// --fixture-workspace takes the positions from the context bench's multi-file packages instead, opened under their
// real paths: `retrieval` gives the server their folder as its workspace (retrieval and compression in every
// prompt), `none` does not (the same positions without retrieval).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CancellationTokenSource } from 'vscode-languageserver-protocol';
import { type CompletionMode } from '../lsp-server/completionMode';
import { DEFAULTS } from '../lsp-server/config';
import { type LocusSettingsInput, type SpeculationSetting } from '../lsp-server/protocol';
import { BenchClient, machineInfo, percentile, sleep, type Answer } from './lsp/benchClient';
import { buildCases, collectSources, fixtureSources, positionAt, waitForIndex, type Case } from './lsp/realCodeCases';
import { mulberry32 } from '../runtime/sampler';

const ROOT = resolve(__dirname, '..');
const arg = (name: string, fallback: string) => {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1]! : fallback;
};
/** Empty: the embedded default model, exactly as users get it. */
const modelDir = arg('model', '');
const maxNewTokens = arg('max-new-tokens', '');
const budget = arg('budget', '');
const speculation = arg('speculation', '') as SpeculationSetting | '';
const beamWidth = arg('beam-width', '');
const timeLimitMs = arg('time-limit-ms', '');
/** Names a run of the default settings so it does not replace that day's default result. */
const label = arg('label', '');
const fixture = arg('fixture-workspace', '') as '' | 'retrieval' | 'none';
const singleCount = Number(arg('single', '150'));
const multiCount = Number(arg('multi', '100'));
const keystrokeMs = Number(arg('keystroke-ms', '80'));
const seed = Number(arg('seed', '2026'));
interface Sample {
  case: string;
  kind: CompletionMode;
  scenario: 'cold' | 'typing' | 'typing-suggestion';
  /** The request after the last keystroke: what shows when the user pauses. */
  lastKeystroke: boolean;
  ms: number;
  cancelled: boolean;
  cacheHit: boolean;
  shownChars: number;
  serverMs?: number;
  /** Generation in the engine (0 for a cache hit). */
  engineMs?: number;
  promptTokens?: number;
  generatedTokens?: number;
  /** Cut at `locus.completion.timeLimitMs`. */
  timeLimited: boolean;
}

function sampleOf(c: Case, scenario: Sample['scenario'], a: Answer, lastKeystroke = false): Sample {
  return {
    case: c.id,
    kind: c.kind,
    scenario,
    lastKeystroke,
    ms: a.ms,
    cancelled: a.cancelled,
    cacheHit: a.timing?.cacheHit === true,
    shownChars: a.text.length,
    serverMs: a.timing?.requestMs,
    engineMs: a.timing?.totalMs,
    promptTokens: a.timing?.promptTokens,
    generatedTokens: a.timing?.generatedTokens,
    timeLimited: a.timing?.timeLimited === true,
  };
}

/**
 * Types `typed` one character at a time from the cursor, every `keystrokeMs`, as an editor does: each keystroke
 * is a change then a request, and an unanswered earlier request is cancelled.
 */
async function typeAndRequest(client: BenchClient, c: Case, uri: string, typed: string, scenario: Sample['scenario']): Promise<Sample[]> {
  const start = positionAt(c.text, c.offset);
  const pending: Array<Promise<Sample>> = [];
  let previous: CancellationTokenSource | undefined;
  let line = start.line;
  let character = start.character;
  for (const [i, ch] of [...typed].entries()) {
    previous?.cancel();
    await client.insert(uri, { line, character }, ch);
    if (ch === '\n') {
      line++;
      character = 0;
    } else character += ch.length;
    const cancel = new CancellationTokenSource();
    previous = cancel;
    const last = i === typed.length - 1;
    pending.push(client.complete(uri, { line, character }, cancel).then((a) => sampleOf(c, scenario, a, last)));
    if (!last) await sleep(keystrokeMs);
  }
  return Promise.all(pending);
}

function summarize(samples: Sample[]) {
  const rows: Array<Record<string, number | string>> = [];
  for (const kind of ['single-line', 'multi-line'] as const) {
    for (const scenario of ['cold', 'typing', 'typing-last', 'typing-suggestion'] as const) {
      const all = samples.filter((s) => s.kind === kind && (scenario === 'typing-last' ? s.scenario === 'typing' && s.lastKeystroke : s.scenario === scenario));
      if (all.length === 0) continue;
      const answered = all.filter((s) => !s.cancelled);
      const ms = answered.map((s) => s.ms);
      rows.push({
        kind,
        scenario,
        requests: all.length,
        answered: answered.length,
        cancelled: all.length - answered.length,
        p50Ms: percentile(ms, 50),
        p95Ms: percentile(ms, 95),
        meanMs: ms.reduce((a, b) => a + b, 0) / Math.max(1, ms.length),
        serverP50Ms: percentile(answered.flatMap((s) => (s.serverMs === undefined ? [] : [s.serverMs])), 50),
        engineP50Ms: percentile(answered.flatMap((s) => (s.engineMs === undefined ? [] : [s.engineMs])), 50),
        generatedTokensP50: percentile(answered.flatMap((s) => (s.generatedTokens === undefined ? [] : [s.generatedTokens])), 50),
        cacheHits: answered.filter((s) => s.cacheHit).length,
        shown: answered.filter((s) => s.shownChars > 0).length,
        timeLimited: answered.filter((s) => s.timeLimited).length,
      });
    }
  }
  return rows;
}

async function main(): Promise<void> {
  const random = mulberry32(seed);
  if (!['', 'retrieval', 'none'].includes(fixture)) throw new Error(`--fixture-workspace takes retrieval or none, not ${fixture}`);
  const workspace = fixture === '' ? undefined : mkdtempSync(join(tmpdir(), 'locus-completion-bench-'));
  // The server's on-disk index of the temporary workspace goes with it.
  const indexCacheDir = fixture === 'retrieval' ? mkdtempSync(join(tmpdir(), 'locus-completion-bench-index-')) : undefined;
  const groups = workspace === undefined ? collectSources() : fixtureSources(workspace);
  // In the fixture workspace a document is opened under its own path (retrieval skips the current file by path).
  const uriFor = (c: Case, scenario: string, i: number) =>
    workspace === undefined ? `file:///locus-bench/${scenario}/${i}/${c.source}` : pathToFileURL(join(workspace, c.source)).href;
  const cases = [...buildCases(groups, 'single-line', singleCount, random), ...buildCases(groups, 'multi-line', multiCount, random)];
  const settings: LocusSettingsInput = {
    ...(modelDir !== '' && { model: { path: resolve(modelDir) } }),
    completion: {
      ...(maxNewTokens !== '' && { maxNewTokens: Number(maxNewTokens) }),
      ...(budget !== '' && { promptTokenBudget: Number(budget) }),
      ...(speculation !== '' && { speculation }),
      ...(beamWidth !== '' && { beamWidth: Number(beamWidth) }),
      ...(timeLimitMs !== '' && { timeLimitMs: Number(timeLimitMs) }),
    },
    ...(indexCacheDir !== undefined && { context: { cacheDir: indexCacheDir } }),
  };
  let client: BenchClient | undefined;
  try {
    client = await BenchClient.start(settings, { workspaceFolder: fixture === 'retrieval' ? workspace : undefined });
    const index = fixture === 'retrieval' ? await waitForIndex(client, uriFor(cases[0]!, 'cold', 0), cases[0]!) : undefined;
    const ready = client.ready;
    const loadBefore = loadavg();
    const startedAt = Date.now();

    // Warm-up: the first runs of a session allocate ORT's arenas.
    for (const [i, c] of cases.slice(0, 3).entries()) {
      const uri = `file:///locus-bench/warmup/${i}/${c.source}`;
      await client.open(uri, c.languageId, c.text);
      await client.complete(uri, positionAt(c.text, c.offset));
      await client.close(uri);
    }

    const samples: Sample[] = [];
    for (const [i, c] of cases.entries()) {
      const position = positionAt(c.text, c.offset);
      // Cold: a fresh document.
      const coldUri = uriFor(c, 'cold', i);
      await client.open(coldUri, c.languageId, c.text);
      const cold = await client.complete(coldUri, position);
      samples.push(sampleOf(c, 'cold', cold));
      // Then its first characters typed (accepting it character by character): completion-cache hits.
      const shown = [...cold.text];
      if (shown.length >= 2) {
        await sleep(keystrokeMs);
        samples.push(...(await typeAndRequest(client, c, coldUri, shown.slice(0, Math.min(c.typed.length, shown.length - 1)).join(''), 'typing-suggestion')));
      }
      await client.close(coldUri);

      // Typing the real source after a first request (its latency is the cold one's twin and is not counted).
      const typingUri = uriFor(c, 'typing', i);
      await client.open(typingUri, c.languageId, c.text);
      await client.complete(typingUri, position);
      await sleep(keystrokeMs);
      samples.push(...(await typeAndRequest(client, c, typingUri, c.typed, 'typing')));
      await client.close(typingUri);

      if ((i + 1) % 25 === 0) console.error(`${i + 1}/${cases.length} positions`);
    }
    const wallSeconds = (Date.now() - startedAt) / 1000;
    const loadAfter = loadavg();

    const rows = summarize(samples);
    const machine = {
      ...machineInfo(),
      loadAverage1mBefore: loadBefore[0],
      loadAverage1mAfter: loadAfter[0],
    };
    // Absent when the run measured no single-line position (`--single 0`): the aim is then not judged.
    const singleCold = rows.find((r) => r.kind === 'single-line' && r.scenario === 'cold');
    const aim = { singleLineP50Ms: 150, singleLineP95Ms: 400 };
    const meetsAim = singleCold === undefined ? null : (singleCold.p50Ms as number) < aim.singleLineP50Ms && (singleCold.p95Ms as number) < aim.singleLineP95Ms;
    const date = new Date().toISOString();
    const result = {
      date,
      machine,
      model: { name: ready.model, dir: ready.modelDir, onnx: ready.onnxFile, quantization: ready.quantization, draft: ready.draft ?? null },
      settings: { ...settings, defaults: { model: 'the embedded one', ...DEFAULTS } },
      keystrokeMs,
      seed,
      positions: { 'single-line': cases.filter((c) => c.kind === 'single-line').length, 'multi-line': cases.filter((c) => c.kind === 'multi-line').length },
      sources: [...new Set(cases.map((c) => c.source))].sort(),
      wallSeconds,
      fixtureWorkspace: fixture === '' ? null : { mode: fixture, index: index ?? null },
      aim,
      meetsAim,
      rows,
      samples,
    };
    const day = date.slice(0, 10);
    // The default model's results are completion-<date>; another model's or setting's carry its name.
    const variant = `${maxNewTokens === '' ? '' : `-max${maxNewTokens}`}${budget === '' ? '' : `-budget${budget}`}${speculation === '' ? '' : `-speculation-${speculation}`}${beamWidth === '' ? '' : `-beam${beamWidth}`}${timeLimitMs === '' ? '' : `-limit${timeLimitMs}`}${fixture === '' ? '' : `-fixture-${fixture}`}${label === '' ? '' : `-${label}`}`;
    const tag = modelDir === '' && variant === '' ? '' : `${ready.model}${variant}-`.replace(/[^A-Za-z0-9_.-]/g, '_');
    const outDir = join(ROOT, 'bench', 'results');
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, `completion-${tag}${day}.json`), JSON.stringify(result, null, 2) + '\n');
    const fmt = (x: number | string) => (typeof x === 'number' ? (Number.isNaN(x) ? '-' : x.toFixed(1)) : x);
    const md = [
      `# Inline-completion latency through the language server (${day})`,
      '',
      `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}; shared with other work (1-minute load average ${loadBefore[0]!.toFixed(1)} before, ${loadAfter[0]!.toFixed(1)} after).`,
      `Model: ${ready.model} (${relative(ROOT, ready.modelDir) || ready.modelDir}/${ready.onnxFile}, ${ready.quantization}${ready.draft ? `, draft ${ready.draft}` : ''}), ${variant === '' ? 'default settings' : `${JSON.stringify(settings.completion)}, other settings at their defaults`}.`,
      `${cases.length} cursor positions (${result.positions['single-line']} single-line, ${result.positions['multi-line']} multi-line) in ${result.sources.length} real source files (${workspace === undefined ? "TypeScript's lib, vscode-languageserver's lib, training/*.py" : "the context bench's multi-file packages"}), seed ${seed}; dist/server.js over stdio; latency measured at the client from request to response. ${wallSeconds.toFixed(0)} s in all.`,
      ...(fixture === '' ? [] : [fixture === 'retrieval' ? `Workspace: those packages, indexed by the server (${index!.files} files, ${index!.chunks} chunks): every prompt carries retrieved, compressed snippets.` : 'No workspace: the same documents, no retrieval.']),
      '',
      'Scenarios: **cold** = a fresh document, one request. **typing** = every request while 1-5 characters of the real source are typed one at a time',
      `every ${keystrokeMs} ms after a first request (an unanswered request is cancelled by the next keystroke; latency counts answered requests); **typing-last** = of those, the request`,
      'after the last keystroke (what shows when the user pauses). **typing-suggestion** = typing the first characters of the completion that showed (completion cache).',
      '',
      '| kind | scenario | requests | answered | cancelled | p50 ms | p95 ms | mean ms | server p50 ms | engine p50 ms | tokens p50 | cache hits | non-empty | cut at the time limit |',
      '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
      ...rows.map(
        (r) =>
          `| ${r.kind} | ${r.scenario} | ${r.requests} | ${r.answered} | ${r.cancelled} | ${fmt(r.p50Ms!)} | ${fmt(r.p95Ms!)} | ${fmt(r.meanMs!)} | ${fmt(r.serverP50Ms!)} | ${fmt(r.engineP50Ms!)} | ${fmt(r.generatedTokensP50!)} | ${r.cacheHits} | ${r.shown} | ${r.timeLimited} |`,
      ),
      '',
      singleCold === undefined
        ? 'Aim (issue #9): not judged, no single-line position was measured.'
        : `Aim (issue #9): single-line p50 < ${aim.singleLineP50Ms} ms and p95 < ${aim.singleLineP95Ms} ms (cold): **${meetsAim ? 'met' : 'not met'}** (p50 ${fmt(singleCold.p50Ms!)} ms, p95 ${fmt(singleCold.p95Ms!)} ms).`,
      '',
    ].join('\n');
    writeFileSync(join(outDir, `completion-${tag}${day}.md`), md);
    console.log(md);
  } finally {
    await client?.server.stop();
    for (const dir of [workspace, indexCacheDir]) if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  }
}

void main().catch((e: Error) => {
  console.error(e.stack ?? e.message);
  process.exit(1);
});
