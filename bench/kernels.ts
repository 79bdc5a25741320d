// `npm run bench -- kernels [--model DIR] [--file onnx/model_q4.onnx] [--contexts 64,512] [--threads 1,2] [--rows 1] [--steps N] [--attention runtime|fused] [--label NAME]`
// Where a one-token decode step's time goes, for issue #9's bandwidth aim: onnxruntime's own profile of the
// model's kernels (per operator type) against the step as Locus's runtime sees it (session.run from JS, the Node
// binding's conversions included), at a short and a long context, with the session options the runtime uses.
// The 4-bit MatMul kernels read every weight once per step, so their time alone bounds how close a step can get
// to the memory-bandwidth limit (measured in the same run). `--rows N` makes each step a batch of N rows, one token
// each: a step of beam search (runtime/kvBatch.ts), whose weights are read once for all the rows.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { createSession, decodeStepGraph } from '../runtime/ortBackend';
import { arg, runBench, writeResults } from './benchCli';
import { machineInfo, percentile } from './lsp/benchClient';
import { measureBandwidth } from './runtime/bandwidth';
import { onnxWeightBytes, readShape } from './runtime/bytesPerToken';

const ROOT = resolve(__dirname, '..');
const modelDir = resolve(arg('model', join(ROOT, 'models', 'default', 'target')));
const file = arg('file', 'onnx/model_q4.onnx');
const contexts = arg('contexts', '64,512').split(',').map(Number);
const threadCounts = arg('threads', '1,2').split(',').map(Number);
const steps = Number(arg('steps', '60'));
const batchRows = Number(arg('rows', '1'));
if (!Number.isInteger(batchRows) || batchRows < 1) throw new Error(`--rows ${arg('rows', '1')}: a whole number of at least 1`);
const label = arg('label', '');
/**
 * The graph decode steps run: the runtime's (attention decomposed, for files with an 8-bit prefill copy, which the
 * runtime steps on one thread whatever --threads says), or the file's own; either at every --threads count.
 */
const attention = arg('attention', 'runtime');
if (attention !== 'runtime' && attention !== 'fused') throw new Error(`--attention ${attention}: runtime or fused`);
// Built once: each build re-quantizes the whole model for the 8-bit copy it depends on.
const stepGraph = attention === 'fused' ? undefined : decodeStepGraph(join(modelDir, file));
const decodeSession = (threads: number, extra: ort.InferenceSession.SessionOptions = {}) => createSession(stepGraph?.bytes ?? join(modelDir, file), threads, extra);
/** Kernel bucket of runtime/decomposedAttention.ts's nodes (standard ops standing in for GroupQueryAttention). */
const DECOMPOSED_ATTENTION = 'attention (decomposed)';
/** The first steps of a session allocate its arenas: left out of every figure. */
const WARM_UP = 10;

interface ProfileEvent {
  cat: string;
  name: string;
  ts: number;
  dur: number;
  args?: { op_name?: string };
}

interface Row {
  threads: number;
  context: number;
  /** session.run as the runtime calls it, unprofiled, median. */
  stepMs: number;
  /** onnxruntime's model_run events (profiled session), median. */
  modelRunMs: number;
  /** Mean kernel time per step by operator type (profiled session). */
  kernelsMs: Record<string, number>;
  matMulGBps: number;
  /** The MatMul kernels' read rate as a share of the measured bandwidth for this thread count. */
  matMulShareOfBandwidth: number;
  /** Bytes a step must read (weights + KV at this context) over the step time, as a share of the bandwidth. */
  stepShareOfBandwidth: number;
}

const kvShape = () => {
  const s = readShape(modelDir);
  return { layers: s.layers, kvHeads: s.kvHeads, headDim: s.headDim };
};

/** IEEE 754 half bits of x (|x| < 65504; below the normal range, zero): enough for a random cache. */
function toHalf(x: number): number {
  const sign = x < 0 ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a < 2 ** -14) return sign;
  const e = Math.floor(Math.log2(a));
  // A mantissa that rounds up to 1024 carries into the exponent, as it should.
  return sign | (((e + 15) << 10) + Math.round((a / 2 ** e - 1) * 1024));
}

/** Runs `steps` one-token steps from a random cache of `context` positions; returns each step's session.run time. */
async function decodeSteps(session: ort.InferenceSession, context: number): Promise<number[]> {
  const { layers, kvHeads, headDim } = kvShape();
  const half = session.inputMetadata.some((m) => m.isTensor && m.name.startsWith('past_key_values.') && m.type === 'float16');
  let past: Record<string, ort.Tensor> = {};
  for (let l = 0; l < layers; l++) {
    for (const kind of ['key', 'value']) {
      const data = Float32Array.from({ length: batchRows * kvHeads * context * headDim }, () => Math.random() - 0.5);
      const dims = [batchRows, kvHeads, context, headDim];
      past[`past_key_values.${l}.${kind}`] = half ? new ort.Tensor('float16', Uint16Array.from(data, toHalf), dims) : new ort.Tensor('float32', data, dims);
    }
  }
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const length = context + i;
    const feeds: Record<string, ort.Tensor> = { ...past, input_ids: new ort.Tensor('int64', BigInt64Array.from({ length: batchRows }, (_, r) => BigInt(100 + i + r)), [batchRows, 1]) };
    if (session.inputNames.includes('attention_mask')) feeds.attention_mask = new ort.Tensor('int64', new BigInt64Array(batchRows * (length + 1)).fill(1n), [batchRows, length + 1]);
    if (session.inputNames.includes('position_ids')) feeds.position_ids = new ort.Tensor('int64', new BigInt64Array(batchRows).fill(BigInt(length)), [batchRows, 1]);
    if (session.inputNames.includes('num_logits_to_keep')) feeds.num_logits_to_keep = new ort.Tensor('int64', BigInt64Array.of(1n), []);
    const t0 = performance.now();
    const out = await session.run(feeds);
    times.push(performance.now() - t0);
    past = {};
    for (let l = 0; l < layers; l++) for (const kind of ['key', 'value']) past[`past_key_values.${l}.${kind}`] = out[`present.${l}.${kind}`]!;
  }
  return times.slice(WARM_UP);
}

async function profiled(threads: number, context: number): Promise<{ modelRunMs: number; kernelsMs: Record<string, number> }> {
  const dir = mkdtempSync(join(tmpdir(), 'locus-kernels-'));
  try {
    const session = await decodeSession(threads, { enableProfiling: true, profileFilePrefix: join(dir, 'profile') });
    await decodeSteps(session, context);
    session.endProfiling();
    await session.release();
    const name = readdirSync(dir).find((f) => f.endsWith('.json'));
    if (name === undefined) throw new Error('onnxruntime wrote no profile');
    const events = JSON.parse(readFileSync(join(dir, name), 'utf8')) as ProfileEvent[];
    const runs = events.filter((e) => e.name === 'model_run').slice(WARM_UP);
    const kernelsMs: Record<string, number> = {};
    for (const e of events) {
      if (e.cat !== 'Node' || e.ts < runs[0]!.ts || !e.name.endsWith('_kernel_time')) continue;
      // runtime/decomposedAttention.ts names its nodes after the attention they replace: one bucket for all of them.
      const op = /_decomposed\/|^decomposed_attention\//.test(e.name) ? DECOMPOSED_ATTENTION : e.args?.op_name ?? 'unknown';
      kernelsMs[op] = (kernelsMs[op] ?? 0) + e.dur / 1000 / runs.length;
    }
    return { modelRunMs: percentile(runs.map((e) => e.dur / 1000), 50), kernelsMs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const weights = onnxWeightBytes(modelDir, file);
  const loadBefore = loadavg()[0]!;
  const bandwidth = new Map<number, number>();
  for (const threads of threadCounts) {
    const b = await measureBandwidth({ threads, mibPerThread: 256, runs: 5 });
    bandwidth.set(threads, threads === 1 ? b.singleThreadGBps : b.multiThreadGBps);
  }
  const rows: Row[] = [];
  for (const threads of threadCounts) {
    for (const context of contexts) {
      const session = await decodeSession(threads);
      const stepMs = percentile(await decodeSteps(session, context), 50);
      await session.release();
      const { modelRunMs, kernelsMs } = await profiled(threads, context);
      const matMulMs = kernelsMs.MatMulNBits ?? kernelsMs.MatMul ?? kernelsMs.MatMulInteger ?? 0;
      const gbps = bandwidth.get(threads)!;
      const matMulGBps = matMulMs > 0 ? weights.weights / (matMulMs / 1000) / 1e9 : NaN;
      const stepBytes = weights.weights + weights.kvPerPosition * context * batchRows;
      rows.push({
        threads,
        context,
        stepMs,
        modelRunMs,
        kernelsMs,
        matMulGBps,
        matMulShareOfBandwidth: matMulGBps / gbps,
        stepShareOfBandwidth: stepBytes / (stepMs / 1000) / 1e9 / gbps,
      });
      console.error(`threads ${threads}, context ${context}: step ${stepMs.toFixed(2)} ms`);
    }
  }
  const machine = { ...machineInfo(), loadAverage1mBefore: loadBefore, loadAverage1mAfter: loadavg()[0]! };
  const date = new Date().toISOString();
  const day = date.slice(0, 10);
  const result = { date, machine, model: relative(ROOT, modelDir) || modelDir, file, attention, decomposed: stepGraph !== undefined, batchRows, weightBytes: weights, bandwidthGBps: Object.fromEntries(bandwidth), steps, warmUp: WARM_UP, rows };

  const ms = (x: number | undefined) => (x === undefined ? '-' : x.toFixed(3));
  const pct = (x: number) => `${(x * 100).toFixed(0)}%`;
  const md = [
    `# Where a decode step's time goes (${day})`,
    '',
    `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}; 1-minute load average ${loadBefore.toFixed(1)} before, ${machine.loadAverage1mAfter.toFixed(1)} after.`,
    `Model: ${result.model}/${file}; ${(weights.weights / 1e6).toFixed(1)} MB of weights read per step (${weights.method}), KV ${(weights.kvPerPosition / 1024).toFixed(0)} KiB per position; ` +
      (stepGraph !== undefined ? 'the runtime\'s decode-step graph, attention decomposed (runtime/decomposedAttention.ts).' : 'the graph as the file holds it.'),
    `Bandwidth measured in this run: ${threadCounts.map((t) => `${bandwidth.get(t)!.toFixed(1)} GB/s at ${t} thread${t > 1 ? 's' : ''}`).join(', ')}.`,
    `${steps} one-token steps from a cache of each context (the first ${WARM_UP} left out)${batchRows > 1 ? `, each a batch of ${batchRows} rows (one token and one cache per row, as a beam-search step)` : ''}, the runtime's session options (\`sessionOptions\` in runtime/ortBackend.ts).`,
    '**step** = session.run as the runtime calls it (unprofiled session, median); **model_run** = onnxruntime\'s own time for the run (profiled session, median): the difference is the Node binding turning tensors into and out of JS (the KV cache comes back as new JS buffers each step).',
    'Kernel columns: mean time per step by operator type in the profiled session (profiling adds a little per kernel).',
    '',
    '| threads | context | step ms | model_run ms | MatMulNBits ms | attention ms (GroupQueryAttention or decomposed) | other kernels ms | MatMul read rate | MatMul share of bandwidth | step share of bandwidth |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => {
      const matMul = r.kernelsMs.MatMulNBits ?? 0;
      const gqa = (r.kernelsMs.GroupQueryAttention ?? 0) + (r.kernelsMs[DECOMPOSED_ATTENTION] ?? 0);
      const other = Object.values(r.kernelsMs).reduce((s, x) => s + x, 0) - matMul - gqa;
      return `| ${r.threads} | ${r.context} | ${r.stepMs.toFixed(2)} | ${r.modelRunMs.toFixed(2)} | ${ms(matMul)} | ${ms(gqa)} | ${ms(other)} | ${r.matMulGBps.toFixed(1)} GB/s | ${pct(r.matMulShareOfBandwidth)} | ${pct(r.stepShareOfBandwidth)} |`;
    }),
    '',
  ].join('\n');
  writeResults('kernels', label, day, result, md);
}

runBench(main);
