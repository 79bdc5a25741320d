// `npm run bench -- responsiveness [--model DIR] [--max-new-tokens N] [--runs N] [--cancels N] [--probe-ms MS] [--no-contrast]`
// Whether the language server keeps answering while the model decodes (inference runs in a worker thread because
// onnxruntime-node's session.run blocks the thread it runs on). While a long completion decodes for document A,
// the client sends, every `probe-ms`:
// - a completion for document B answered from the completion cache (B's suggestion, its first character typed);
// - a cheap request: a completion for a plaintext document (inline completions are off for plaintext);
// and separately cancels long completions part-way (`$/cancelRequest`) and times how long until the cancelled
// request resolves. Round trips are compared with the time of one decode step, and with the same server running
// inference on its own thread (bench/lsp/inProcessServer.ts; `--no-contrast` skips it).
// The model: bench/models/qwen05-shaped (Qwen2.5-Coder-0.5B-shaped random weights, made by
// scripts/make_qwen05_shaped.py) when present, else the default model with a long maxNewTokens.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { CancellationTokenSource } from 'vscode-languageserver-protocol';
import type { CompletionTimings } from '../lsp-server/protocol';
import { BenchClient, machineInfo, percentile, sleep, type Answer } from './lsp/benchClient';

const ROOT = resolve(__dirname, '..');
const arg = (name: string, fallback: string) => {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1]! : fallback;
};
const QWEN05 = join(ROOT, 'bench', 'models', 'qwen05-shaped');
const modelDir = resolve(arg('model', existsSync(join(QWEN05, 'config.json')) ? QWEN05 : join(ROOT, 'models', 'default', 'target')));
const maxNewTokens = Number(arg('max-new-tokens', modelDir === QWEN05 ? '96' : '400'));
const runs = Number(arg('runs', '6'));
const cancels = Number(arg('cancels', '20'));
const probeMs = Number(arg('probe-ms', '50'));

/** Long-running documents: multi-line positions, so no stop string ends the decode early. */
const LONG_TEXTS = ['def main(argv):\n    ', 'function handle(request) {\n  ', 'class Store:\n    def load(self, path):\n        '];

interface Probe {
  kind: 'cache-hit' | 'cheap';
  ms: number;
  /** Whether the long completion was still decoding when the answer came. */
  duringDecode: boolean;
  cacheHit: boolean;
}

/** One server: long completions with probes, then cancellations. */
async function measure(inProcess: boolean) {
  const client = await BenchClient.start({ model: { path: modelDir }, completion: { maxNewTokens, speculation: 'off', timeLimitMs: 0 } }, { inProcess });
  const ready = client.ready;
  const started = Date.now();

  // Document B: a suggestion, then its first character typed; completions there are cache hits from now on.
  let cached: { uri: string; position: { line: number; character: number } } | undefined;
  for (const [i, text] of ['x = compute(', 'result = ', 'import ', 'def f(a, b):\n    return '].entries()) {
    const uri = `file:///locus-bench/responsiveness/cached-${i}.py`;
    await client.open(uri, 'python', text);
    const lines = text.split('\n');
    const at = { line: lines.length - 1, character: lines[lines.length - 1]!.length };
    const shown = await client.complete(uri, at);
    const first = [...shown.text][0];
    if (first === undefined || first === '\n' || [...shown.text].length < 2) continue;
    await client.insert(uri, at, first);
    const position = { line: at.line, character: at.character + first.length };
    const check = await client.complete(uri, position);
    if (check.timing?.cacheHit === true) {
      cached = { uri, position };
      break;
    }
  }
  if (cached === undefined) throw new Error('no completion of two or more characters showed to type into');
  const cheapUri = 'file:///locus-bench/responsiveness/notes.txt';
  await client.open(cheapUri, 'plaintext', 'Some notes\n');

  // Long completions with probes sent while they decode.
  const probes: Probe[] = [];
  const longTimings: CompletionTimings[] = [];
  const longMs: number[] = [];
  for (let run = 0; run < runs; run++) {
    const uri = `file:///locus-bench/responsiveness/long-${run}.py`;
    const text = LONG_TEXTS[run % LONG_TEXTS.length]!;
    await client.open(uri, text.includes('function') ? 'javascript' : 'python', text);
    const lines = text.split('\n');
    let decoding = true;
    const long = client.complete(uri, { line: lines.length - 1, character: lines[lines.length - 1]!.length }).finally(() => (decoding = false));
    let turn = 0;
    while (decoding) {
      await sleep(probeMs);
      if (!decoding) break;
      const kind: Probe['kind'] = turn++ % 2 === 0 ? 'cache-hit' : 'cheap';
      const answer: Answer = kind === 'cache-hit' ? await client.complete(cached.uri, cached.position) : await client.complete(cheapUri, { line: 1, character: 0 });
      probes.push({ kind, ms: answer.ms, duringDecode: decoding, cacheHit: answer.timing?.cacheHit === true });
    }
    const answer = await long;
    longMs.push(answer.ms);
    if (answer.timing !== undefined) longTimings.push(answer.timing);
  }

  // Decode step: engine time after the first token per generated token, from the uncancelled long runs.
  const steps = longTimings.filter((t) => t.generatedTokens > 1).map((t) => (t.totalMs - t.firstTokenMs) / (t.generatedTokens - 1));
  const stepMs = percentile(steps, 50);
  const firstTokenMs = percentile(longTimings.map((t) => t.firstTokenMs), 50);

  // Cancellations part-way through decoding: from sending $/cancelRequest to the request resolving.
  const cancelMs: number[] = [];
  const cancelOutcomes: string[] = [];
  const decodeMs = percentile(longTimings.map((t) => t.totalMs - t.firstTokenMs), 50);
  for (let i = 0; i < cancels; i++) {
    const uri = `file:///locus-bench/responsiveness/cancel-${i}.py`;
    await client.open(uri, 'python', LONG_TEXTS[0]!);
    const cancel = new CancellationTokenSource();
    const request = client.complete(uri, { line: 1, character: 4 }, cancel);
    // Somewhere inside the decode: after the first token, before the end.
    await sleep(firstTokenMs + ((i + 0.5) / cancels) * decodeMs * 0.8);
    const t0 = performance.now();
    cancel.cancel();
    const answer = await request;
    cancelMs.push(performance.now() - t0);
    cancelOutcomes.push(answer.cancelled ? 'cancelled' : 'answered');
  }
  const wallSeconds = (Date.now() - started) / 1000;
  await client.server.stop();

  const during = probes.filter((p) => p.duringDecode);
  const row = (name: string, ms: number[]) => ({
    request: name,
    count: ms.length,
    p50Ms: percentile(ms, 50),
    p95Ms: percentile(ms, 95),
    maxMs: Math.max(...ms),
    p50InDecodeSteps: percentile(ms, 50) / stepMs,
    p95InDecodeSteps: percentile(ms, 95) / stepMs,
  });
  const rows = [
    row('inlineCompletion, other document, cache hit', during.filter((p) => p.kind === 'cache-hit').map((p) => p.ms)),
    row('inlineCompletion, plaintext document (no model)', during.filter((p) => p.kind === 'cheap').map((p) => p.ms)),
    row('$/cancelRequest → cancelled request resolves', cancelMs),
  ];
  return {
    server: inProcess ? 'inference on the server thread (contrast: LocalEngine in the server process)' : 'dist/server.js, inference in its worker thread',
    model: { name: ready.model, dir: relative(ROOT, ready.modelDir), onnx: ready.onnxFile, quantization: ready.quantization },
    longRuns: longTimings.map((t, i) => ({ clientMs: longMs[i], generatedTokens: t.generatedTokens, firstTokenMs: t.firstTokenMs, totalMs: t.totalMs })),
    decodeStepMsP50: stepMs,
    firstTokenMsP50: firstTokenMs,
    completionMsP50: percentile(longMs, 50),
    generatedTokensP50: percentile(longTimings.map((t) => t.generatedTokens), 50),
    decodeStepMs: steps,
    probesDuringDecode: during.length,
    probesAfterDecode: probes.length - during.length,
    cacheHitsDuringDecode: during.filter((p) => p.kind === 'cache-hit' && p.cacheHit).length,
    cancelOutcomes: { cancelled: cancelOutcomes.filter((o) => o === 'cancelled').length, answered: cancelOutcomes.filter((o) => o === 'answered').length },
    wallSeconds,
    rows,
  };
}

type Measured = Awaited<ReturnType<typeof measure>>;

async function main(): Promise<void> {
  const loadBefore = loadavg();
  const worker = await measure(false);
  const contrast = process.argv.includes('--no-contrast') ? undefined : await measure(true);
  const loadAfter = loadavg();

  const machine = { ...machineInfo(), loadAverage1mBefore: loadBefore[0], loadAverage1mAfter: loadAfter[0] };
  const date = new Date().toISOString();
  const result = { date, machine, settings: { maxNewTokens, speculation: 'off', threads: 'default (0: from the core count)' }, probeEveryMs: probeMs, worker, contrast };
  const day = date.slice(0, 10);
  // The default choice's results are responsiveness-<date>; another model's carry its name.
  const tag = process.argv.includes('--model') ? `${worker.model.name}-`.replace(/[^A-Za-z0-9_.-]/g, '_') : '';
  const outDir = join(ROOT, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, `responsiveness-${tag}${day}.json`), JSON.stringify(result, null, 2) + '\n');
  const f = (x: number) => x.toFixed(1);
  const section = (m: Measured) => [
    `## ${m.server}`,
    '',
    `${m.longRuns.length} long completions: median ${f(m.generatedTokensP50)} tokens, first token after ${f(m.firstTokenMsP50)} ms, ${f(m.completionMsP50)} ms per completion at the client; **one decode step ${f(m.decodeStepMsP50)} ms** (median).`,
    `While they decoded, a request every ${probeMs} ms (${m.probesDuringDecode} answered during decoding; ${m.cacheHitsDuringDecode} cache hits). Then ${cancels} long completions cancelled part-way (${m.cancelOutcomes.cancelled} resolved as cancelled, ${m.cancelOutcomes.answered} had finished first). ${m.wallSeconds.toFixed(0)} s.`,
    '',
    '| request sent while decoding | count | p50 ms | p95 ms | max ms | p50 / decode step | p95 / decode step |',
    '|---|---|---|---|---|---|---|',
    ...m.rows.map((r) => `| ${r.request} | ${r.count} | ${f(r.p50Ms)} | ${f(r.p95Ms)} | ${f(r.maxMs)} | ${r.p50InDecodeSteps.toFixed(2)} | ${r.p95InDecodeSteps.toFixed(2)} |`),
    '',
  ];
  const md = [
    `# Server responsiveness while the model decodes (${day})`,
    '',
    `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}; shared with other work (1-minute load average ${loadBefore[0]!.toFixed(1)} before, ${loadAfter[0]!.toFixed(1)} after).`,
    `Model: ${worker.model.name} (${worker.model.dir}/${worker.model.onnx}, ${worker.model.quantization}), maxNewTokens ${maxNewTokens}, speculation off, ORT threads from the core count; the server over stdio.`,
    '',
    'In the worker build (what ships), requests are answered by the server thread while the worker decodes, so their round trip does not wait',
    'for a decode step. A cancelled request resolves once the worker sees the abort, which it checks between steps: it waits for the rest of',
    'the current step. The contrast runs the same server with inference on its own thread, where every message waits for the step in progress.',
    '',
    ...section(worker),
    ...(contrast === undefined ? [] : section(contrast)),
  ].join('\n');
  writeFileSync(join(outDir, `responsiveness-${tag}${day}.md`), md);
  console.log(md);
}

void main().catch((e: Error) => {
  console.error(e.stack ?? e.message);
  process.exit(1);
});
