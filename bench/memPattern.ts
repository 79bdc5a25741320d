// `npm run bench -- memPattern [--model DIR] [--threads 1,2] [--rounds 8] [--label NAME]`
// onnxruntime's memory pattern (`enableMemPattern`) on against off, for the two kinds of pass the runtime runs: decode
// steps on the graph its steps run on (the decode-step file of a large file, or the decomposed graph with room built
// in memory for a small one), each step one position longer than the last as in use, the cache kept in a buffer with
// room and each step's rows written back to it; and prompt prefills of several lengths from an empty cache on the
// 8-bit graph long prompts run on. Two sessions of the same graph and the runtime's other options, alternating in
// chunks in one process, so slow spells of this shared machine fall on both.
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, relative, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { decomposedAttentionModel } from '../runtime/decomposedAttention';
import { int8PrefillModel } from '../runtime/int8PrefillModel';
import { readModelConfig } from '../runtime/modelConfig';
import { createSession, isLargeModelFile } from '../runtime/ortBackend';
import { presentRowsName, presentKeyName, presentValueName } from '../runtime/signature';
import { arg, runBench, writeResults } from './benchCli';
import { machineInfo, percentile } from './lsp/benchClient';
import { emptyPast } from './runtime/emptyPast';
import { largeFileStepFiles } from './runtime/largeFileSteps';

const ROOT = resolve(__dirname, '..');
const modelDir = resolve(arg('model', join(ROOT, 'models', 'default', 'target')));
const threadCounts = arg('threads', '1,2').split(',').map(Number);
const rounds = Number(arg('rounds', '8'));
const label = arg('label', '');
const CHUNK = 16;
/** Decode steps start from this many positions and restart there after STEP_SPAN steps. */
const STEP_FROM = 300;
const STEP_SPAN = 180;
const PREFILL_LENGTHS = [200, 350, 480, 512];

interface Row {
  threads: number;
  pass: 'decode step' | 'prefill';
  /** Median ms per step, or per prompt token for prefills. */
  onMs: number;
  offMs: number;
  speedUp: number;
}

const config = readModelConfig(modelDir);
const file = join(modelDir, 'onnx', 'model_q4.onnx');
const heads = config.numKeyValueHeads;
const headDim = config.headDim;

/** The graphs the runtime runs this 4-bit file's steps and long prefills on. */
function graphs(): { steps: string | Uint8Array; prefill: string | Uint8Array } {
  if (isLargeModelFile(file)) {
    const { prefillFile, stepFile } = largeFileStepFiles(modelDir, file);
    return { steps: stepFile.onnx, prefill: prefillFile.onnx };
  }
  const bytes = readFileSync(file);
  const steps = decomposedAttentionModel(bytes, true);
  const prefill = int8PrefillModel(bytes);
  if (!steps || !prefill) throw new Error(`${file}: the runtime builds no decode-step graph or 8-bit copy for it`);
  return { steps: steps.bytes, prefill: prefill.bytes };
}

const int64 = (values: number[], dims: number[]) => new ort.Tensor('int64', BigInt64Array.from(values, BigInt), dims);

function passFeeds(session: ort.InferenceSession, ids: number[], past: number, pasts: Record<string, ort.Tensor>): Record<string, ort.Tensor> {
  const total = past + ids.length;
  const feeds: Record<string, ort.Tensor> = {
    ...pasts,
    input_ids: int64(ids, [1, ids.length]),
    attention_mask: int64(new Array<number>(total).fill(1), [1, total]),
    position_ids: int64(ids.map((_, i) => past + i), [1, ids.length]),
    num_logits_to_keep: int64([1], []),
  };
  for (const name of Object.keys(feeds)) if (!session.inputNames.includes(name)) delete feeds[name];
  return feeds;
}

/** Times one step per call, each one position longer than the last; its rows are written back into `arena`. */
function stepper(session: ort.InferenceSession) {
  const capacity = STEP_FROM + STEP_SPAN + 1;
  // The cache in the type the graph declares, filled with small values (float16 bits of 0.125-0.25, or those numbers).
  const half = session.inputMetadata.some((m) => m.isTensor && m.name.startsWith('past_key_values.') && m.type === 'float16');
  const size = heads * capacity * headDim;
  const arena = Array.from({ length: 2 * config.numLayers }, () =>
    half ? Uint16Array.from({ length: size }, () => 0x3000 + Math.floor(Math.random() * 0x800)) : Float32Array.from({ length: size }, () => 0.125 + Math.random() / 8),
  );
  const pasts: Record<string, ort.Tensor> = {};
  arena.forEach((data, b) => (pasts[`past_key_values.${b >> 1}.${b % 2 === 0 ? 'key' : 'value'}`] = new ort.Tensor(half ? 'float16' : 'float32', data, [1, heads, capacity, headDim])));
  const rows = Array.from({ length: config.numLayers }, (_, i) => [presentRowsName(presentKeyName(i)), presentRowsName(presentValueName(i))]).flat();
  let length = STEP_FROM;
  return async (): Promise<number> => {
    const feeds = passFeeds(session, [100 + (length % 1000)], length, pasts);
    const t0 = performance.now();
    const out = await session.run(feeds, ['logits', ...rows]);
    rows.forEach((name, b) => {
      const data = out[name]!.data as Uint16Array | Float32Array;
      for (let h = 0; h < heads; h++) arena[b]!.set(data.subarray(h * headDim, (h + 1) * headDim), (h * capacity + length) * headDim);
    });
    const ms = performance.now() - t0;
    length = length + 1 >= STEP_FROM + STEP_SPAN ? STEP_FROM : length + 1;
    return ms;
  };
}

/** Times a prefill of `tokens` tokens from an empty cache, per token. */
async function prefill(session: ort.InferenceSession, tokens: number): Promise<number> {
  const ids = Array.from({ length: tokens }, (_, i) => (i * 7919) % Math.min(5000, config.vocabSize - 1));
  const feeds = passFeeds(session, ids, 0, emptyPast(session));
  const t0 = performance.now();
  await session.run(feeds);
  return (performance.now() - t0) / tokens;
}

async function main(): Promise<void> {
  const loadBefore = loadavg()[0]!;
  const g = graphs();
  const rows: Row[] = [];
  for (const threads of threadCounts) {
    const open = (model: string | Uint8Array) =>
      Promise.all([createSession(model, threads, { enableMemPattern: true }), createSession(model, threads, { enableMemPattern: false })]);
    const [stepOn, stepOff] = await open(g.steps);
    const steps = { on: stepper(stepOn), off: stepper(stepOff) };
    const stepTimes = { on: [] as number[], off: [] as number[] };
    for (let r = 0; r < rounds; r++) {
      for (const k of r % 2 === 0 ? (['on', 'off'] as const) : (['off', 'on'] as const)) {
        // The first steps of a chunk after the other session ran are left out: caches are the other's.
        for (let i = 0; i < CHUNK; i++) {
          const ms = await steps[k]();
          if (i >= 2) stepTimes[k].push(ms);
        }
      }
    }
    await Promise.all([stepOn.release(), stepOff.release()]);
    rows.push(row(threads, 'decode step', stepTimes));

    const [preOn, preOff] = await open(g.prefill);
    const preTimes = { on: [] as number[], off: [] as number[] };
    for (let r = 0; r < rounds; r++) {
      for (const k of r % 2 === 0 ? (['on', 'off'] as const) : (['off', 'on'] as const)) {
        for (const n of PREFILL_LENGTHS) {
          const ms = await prefill(k === 'on' ? preOn : preOff, n + r);
          if (r > 0) preTimes[k].push(ms);
        }
      }
    }
    await Promise.all([preOn.release(), preOff.release()]);
    rows.push(row(threads, 'prefill', preTimes));
    for (const x of rows.slice(-2)) console.error(`threads ${threads}, ${x.pass}: on ${x.onMs.toFixed(3)} ms, off ${x.offMs.toFixed(3)} ms (${x.speedUp.toFixed(3)}x)`);
  }
  const machine = { ...machineInfo(), loadAverage1mBefore: loadBefore, loadAverage1mAfter: loadavg()[0]! };
  const date = new Date().toISOString();
  const day = date.slice(0, 10);
  const result = { date, machine, model: relative(ROOT, modelDir) || modelDir, rounds, chunk: CHUNK, stepFrom: STEP_FROM, stepSpan: STEP_SPAN, prefillLengths: PREFILL_LENGTHS, rows };
  const md = [
    `# onnxruntime's memory pattern on and off (${day})`,
    '',
    `Command: \`npm run bench -- memPattern ${process.argv.slice(3).join(' ')}\`. Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}; 1-minute load average ${loadBefore.toFixed(1)} before, ${machine.loadAverage1mAfter.toFixed(1)} after.`,
    `Model: ${result.model}/onnx/model_q4.onnx. Decode steps on the graph the runtime steps it on (${isLargeModelFile(file) ? 'its decode-step file' : 'the decomposed graph with room, built in memory'}), from ${STEP_FROM} positions, each step one longer (back to ${STEP_FROM} after ${STEP_SPAN}), the rows each returns written into a buffer with room; ${rounds} rounds of ${CHUNK} steps per session, alternating, the first 2 of each chunk left out. Prefills of ${PREFILL_LENGTHS.map((n) => `${n}+round`).join(', ')} tokens from an empty cache on ${isLargeModelFile(file) ? "the folder's 8-bit file" : 'the 8-bit copy built in memory'}, ${rounds} rounds alternating (the first left out), per prompt token. Both sessions with the runtime's other options (runtime/ortBackend.ts sessionOptions); medians.`,
    '',
    '| threads | pass | memory pattern on, ms | off, ms | off against on |',
    '|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.threads} | ${r.pass}${r.pass === 'prefill' ? ' (per token)' : ''} | ${r.onMs.toFixed(3)} | ${r.offMs.toFixed(3)} | ${r.speedUp.toFixed(3)}x |`),
    '',
  ].join('\n');
  writeResults('mem-pattern', label, day, result, md);
}

function row(threads: number, pass: Row['pass'], times: { on: number[]; off: number[] }): Row {
  const onMs = percentile(times.on, 50);
  const offMs = percentile(times.off, 50);
  return { threads, pass, onMs, offMs, speedUp: onMs / offMs };
}

runBench(main);
