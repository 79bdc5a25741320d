// `npm run bench -- runtime [--warm-ups N] [--repeats N] [--repeats-large N] [--rounds N] [--threads 1,2] [--models default,qwen05,qwen05-unset,qwen05-plain,qwen05-optimum,qwen05-optimum-tied,qwen05-float-head] [--timeout-s S] [--skip REGEX] [--all-formats]`
// Issue #9: Locus's runtime against transformers.js (same ONNX file, same token ids) and llama.cpp via
// node-llama-cpp (same weights as GGUF) on the fixed prompt set of bench/runtime/prompts.ts: prefill tok/s, decode
// tok/s, time to first token, peak RSS, and decode against the memory-bandwidth ceiling measured in the same run.
// Every runner runs in a child process of its own (bench/runtime/isolated.ts), one at a time, with a per-run
// timeout, once per round (3 rounds by default); a run that fails or times out is recorded, not retried.
//
// Models: the embedded default (models/default/target, 4-bit fused ONNX; Locus runs it from its own folder, the
// others from bench/models/locus-target, a copy with the shared tokenizer and GGUFs made from the dequantized 4-bit
// weights by scripts/gguf/dequantize_q4_onnx.py + convert.sh, created here when missing) and, when present,
// bench/models/qwen05-shaped (scripts/make_qwen05_shaped.py, then scripts/gguf/convert.sh). `qwen05-unset` (not run
// unless named): its 4-bit file with accuracy_level unset, as transformers.js's quantize script leaves 4-bit files
// (scripts/make_export_variants.py unset-accuracy; Locus prepares it at load, runtime/accuracyLevel.ts).
// `qwen05-plain` (not run unless named): the same weights exported by PyTorch's TorchScript exporter, plain attention
// and a float32 cache as Optimum exports decoders (scripts/make_export_variants.py plain-attention; Locus fuses its
// attention at load, runtime/attentionFusion.ts). `qwen05-optimum` (not run unless named): that file also without
// num_logits_to_keep and with accuracy_level unset, as an onnx-community model_q4.onnx comes
// (scripts/make_export_variants.py optimum; Locus makes all three preparations at load). `qwen05-optimum-tied` (not
// run unless named): that file with its embeddings tied and its output layer in float32, as an onnx-community export
// of Qwen2.5-Coder-0.5B comes (scripts/make_export_variants.py optimum-tied; four preparations). `qwen05-float-head` (not run
// unless named): its 4-bit file with the output layer left in float32, as 4-bit quantizers leave a tied one
// (scripts/make_export_variants.py float-head; Locus quantizes it at load, runtime/outputLayerQuantization.ts).
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { measureBandwidth, type BandwidthResult } from './runtime/bandwidth';
import { ggufWeightBytes, meanBytesPerToken, onnxWeightBytes } from './runtime/bytesPerToken';
import { runIsolated, type RunnerName } from './runtime/isolated';
import { buildPrompts } from './runtime/prompts';
import type { BenchPrompt, RunnerResult } from './runtime/types';

const ROOT = resolve(__dirname, '..');
const args = process.argv.slice(2).filter((a) => a !== 'runtime'); // bench/run.ts passes the bench name on
const arg = (name: string, fallback: string) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1] : fallback;
};
/** Untimed full-length runs of every prompt before the timed ones (bench/runtime/timing.ts's timedRuns says why). */
const warmUps = Number(arg('warm-ups', '2'));
const repeats = Number(arg('repeats', '3'));
/**
 * Every runner once per round, rounds one after another: this shared VM has slow spells of seconds to minutes
 * (the same step 1.4-2x slower), so runners measured minutes apart can land in different spells. A runner's row is
 * its round with the median decode speed; a ratio is the median over rounds of the two runners' ratio within a round.
 */
const rounds = Number(arg('rounds', '3'));
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds ${arg('rounds', '3')}: a whole number of at least 1`);
/** The 0.5B-shaped model takes about a minute per run on 2 loaded cores: fewer repeats there. */
const repeatsLarge = Number(arg('repeats-large', '1'));
const warmUpsLarge = Math.min(warmUps, 1);
const threadCounts = arg('threads', '1,2').split(',').map(Number);
const modelNames = arg('models', 'default,qwen05').split(',');
const timeoutS = Number(arg('timeout-s', '180'));
const allFormats = args.includes('--all-formats');
/**
 * Left out unless --all-formats, to keep the whole bench near 20 minutes on 2 loaded cores: the 0.5B-shaped model's
 * 2.5 GB fp32 ONNX and 1.3 GB f16 GGUF (2-6 tok/s, minutes per row), and its non-4-bit files at 2 threads.
 * Keys are `model:runner:file:threads`.
 */
const DEFAULT_SKIP = /^default:locus\+spec:onnx\/model(_int8)?\.onnx:|^qwen05-shaped:[^:]+:(onnx\/model\.onnx|gguf\/model-f16\.gguf):|^qwen05-shaped:[^:]+:(onnx\/model_int8\.onnx|gguf\/model-q8_0\.gguf|gguf\/model-q4_0\.gguf):2$|^qwen05-shaped:locus\+spec:(.*:2|onnx\/model_int8\.onnx:1)$/;
const skip = arg('skip', '') ? new RegExp(arg('skip', '')) : allFormats ? undefined : DEFAULT_SKIP;

interface ModelPlan {
  name: string;
  /** Folder Locus's runtime loads (its own layout: the default model finds the shared tokenizer in the parent). */
  locusDir: string;
  /** Folder the other runners load (tokenizer files in the folder itself, GGUFs in gguf/). */
  sharedDir: string;
  onnxFiles: string[];
  ggufFiles: string[];
  /** How the GGUFs were made (for the report). */
  ggufProvenance: string;
}

const ONNX_FILES = ['onnx/model_q4.onnx', 'onnx/model_int8.onnx', 'onnx/model.onnx'];
const GGUF_FILES = ['gguf/model-q4_0.gguf', 'gguf/model-q4_0-pure.gguf', 'gguf/model-q8_0.gguf', 'gguf/model-f16.gguf'];
const RUNNERS_FOR: Record<'onnx' | 'gguf', RunnerName[]> = { onnx: ['locus', 'locus+spec', 'transformers.js'], gguf: ['llama.cpp'] };

function sh(cmd: string, argv: string[]): string {
  return execFileSync(cmd, argv, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
}

/** The default model's llama.cpp copy: dequantized 4-bit weights (HF names) → GGUF f16, Q4_0, Q4_0 --pure, Q8_0. */
function prepareDefaultModel(): ModelPlan {
  const locusDir = join(ROOT, 'models', 'default', 'target');
  const sharedDir = join(ROOT, 'bench', 'models', 'locus-target');
  // The copy is rebuilt whenever the shipped 4-bit file changes (a new release), never compared against stale weights.
  const source = createHash('sha256').update(readFileSync(join(locusDir, 'onnx', 'model_q4.onnx'))).digest('hex');
  const stamp = join(sharedDir, 'source-sha256.txt');
  if (existsSync(sharedDir) && (!existsSync(stamp) || readFileSync(stamp, 'utf8').trim() !== source)) {
    rmSync(sharedDir, { recursive: true, force: true });
  }
  const needsWeights = !existsSync(join(sharedDir, 'model.safetensors'));
  const missing = ['f16', 'q4_0', 'q4_0-pure', 'q8_0'].filter((t) => !existsSync(join(sharedDir, 'gguf', `model-${t}.gguf`)));
  const needsVariants = !existsSync(join(sharedDir, 'onnx', 'model.onnx')) || !existsSync(join(sharedDir, 'onnx', 'model_int8.onnx'));
  // The conversions below run Debian's PyTorch and onnx; a fresh machine gets them here, not by hand.
  if (needsWeights || missing.length || needsVariants) console.error(sh('bash', ['scripts/install-python-deps.sh', 'torch']).trim());
  if (needsWeights) {
    console.error(sh('/usr/bin/python3', ['scripts/gguf/dequantize_q4_onnx.py', locusDir, sharedDir]).trim());
  }
  if (missing.length) console.error(sh('bash', ['scripts/gguf/convert.sh', sharedDir, ...missing]).trim());
  // The release ships only 4-bit; the fp32 and int8 variants are rebuilt from it to time every variant here.
  if (needsVariants) {
    console.error(sh('/usr/bin/python3', ['scripts/default_model_variants.py', join(locusDir, 'onnx', 'model_q4.onnx'), join(sharedDir, 'onnx')]).trim());
  }
  writeFileSync(stamp, source + '\n');
  return {
    name: 'default (models/default/target)',
    locusDir,
    sharedDir,
    onnxFiles: ONNX_FILES.filter((f) => existsSync(join(locusDir, f)) || existsSync(join(sharedDir, f))),
    ggufFiles: GGUF_FILES.filter((f) => existsSync(join(sharedDir, f))),
    ggufProvenance:
      'onnx/model_q4.onnx is the shipped file; onnx/model_int8.onnx and onnx/model.onnx are not shipped: scripts/default_model_variants.py rebuilt them from onnx/model_q4.onnx ' +
      '(fp32: the dequantized 4-bit weights in plain MatMul and Gather; int8: training/quantize_onnx.py from that fp32 file); ' +
      'Locus runs them from bench/models/locus-target, so without the draft model. For llama.cpp, ' +
      'scripts/gguf/dequantize_q4_onnx.py read the 4-bit weights out of onnx/model_q4.onnx (MatMulNBits, GatherBlockQuantized; ' +
      'norm gammas as stored) and wrote them as fp32 HF tensors; convert.sh made f16 from those (f16 rounding of the ' +
      'fp32 scales only) and re-quantized f16 to Q4_0 / Q4_0 --pure / Q8_0 with llama-quantize. Same information as the ONNX q4 file, not bit-identical ' +
      '(Q4_0 picks its own per-block scales; plain Q4_0 keeps output.weight at Q6_K).',
  };
}

const VARIANT_NOTES: Record<string, string> = {
  'qwen05-unset-accuracy': ' This folder: scripts/make_export_variants.py took accuracy_level out of the 4-bit file\'s MatMulNBits.',
  'qwen05-plain-attention':
    ' This folder: scripts/make_export_variants.py exported the same weights with PyTorch\'s TorchScript exporter (plain attention, float32 cache, as Optimum exports) and quantized that to 4-bit.',
  'qwen05-float-head':
    ' This folder: scripts/make_export_variants.py quantized every layer to 4-bit but the output layer, left in float32 as 4-bit quantizers leave a tied one.',
  'qwen05-optimum-tied':
    ' This folder: the qwen05-optimum file with its embeddings tied (one float32 table, the source\'s lm_head.weight, gathered from and multiplied by transposed in float32), as an onnx-community export of a tied model comes.',
  'qwen05-optimum':
    ' This folder: scripts/make_export_variants.py exported the same weights with PyTorch\'s TorchScript exporter (plain attention, float32 cache), quantized that to 4-bit, and took out num_logits_to_keep and accuracy_level, as an onnx-community model_q4.onnx comes.',
};

function qwenPlan(folder = 'qwen05-shaped'): ModelPlan | undefined {
  const dir = join(ROOT, 'bench', 'models', folder);
  if (!existsSync(join(dir, 'config.json'))) return undefined;
  return {
    name: `${folder} (bench/models/${folder})`,
    locusDir: dir,
    sharedDir: dir,
    onnxFiles: ONNX_FILES.filter((f) => existsSync(join(dir, f))),
    ggufFiles: GGUF_FILES.filter((f) => existsSync(join(dir, f))),
    ggufProvenance:
      'scripts/make_qwen05_shaped.py wrote random weights as fp32 safetensors, built the fused ONNX graph from them (training/build_fused_decoder.py: ' +
      'GroupQueryAttention, SkipSimplifiedLayerNormalization, packed QKV, as the shipped default) and quantized it (float16 KV cache in the int8 and 4-bit files); ' +
      'llama.cpp\'s GGUFs come from convert.sh on the same safetensors.' +
      (VARIANT_NOTES[folder] ?? ''),
  };
}

interface Row extends RunnerResult {
  model: string;
  modelDir: string;
  fileBytes: number;
  bytesPerToken: number;
  bytesMethod: string;
  bandwidthGBps: number;
  ceilingTokPerS: number;
  bandwidthUtilization: number;
  loadAvgBefore: number;
  wallS: number;
  /** Decode tok/s of every round, in order (the row is the median one). */
  roundsDecodeTokPerS: number[];
  /** Greedy tokens equal to Locus's plain run on the same ONNX file (or on q4 for GGUF rows), counted up to the first difference. */
  sameTokensAsLocus?: { matched: number; total: number; against: string };
  speculation?: string;
  draft?: string;
  drafted?: number;
  accepted?: number;
  prefillOn?: string;
}

interface Failure { model: string; runner: RunnerName; file: string; threads: number; loadAvgBefore: number; error: string }

const fmt = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '-');
const short = (m: string) => m.split(' ')[0];

function lscpu(): { model: string; cpus: string; threadsPerCore: string } {
  try {
    const out = sh('lscpu', []);
    const field = (k: string) => out.match(new RegExp(`^${k}:\\s*(.+)$`, 'm'))?.[1]?.trim() ?? '?';
    return { model: field('Model name'), cpus: field('CPU\\(s\\)'), threadsPerCore: field('Thread\\(s\\) per core') };
  } catch {
    return { model: cpus()[0]?.model ?? '?', cpus: String(cpus().length), threadsPerCore: '?' };
  }
}

function greedyPrefix(a: number[], b: number[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

/** Greedy agreement of the default model's GGUF (f16) with ORT's q4 (bench/runtime/ggufParity.ts), in this run. */
function ggufParity(plan: ModelPlan, file: string): unknown {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, 'runtime', 'ggufParity.ts'), plan.sharedDir, file, '16', 'onnx/model_q4.onnx'], {
    cwd: ROOT, encoding: 'utf8', timeout: 300_000,
  });
  const lines = (r.stdout ?? '').trim().split('\n');
  try {
    return { ...JSON.parse(lines[lines.length - 1]), cases: lines.filter((l) => l.includes('greedy')) };
  } catch {
    return { error: `${r.status} ${(r.stderr ?? '').slice(-500)}` };
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const cpu = lscpu();
  const machine = {
    cpu: cpu.model,
    cpus: cpu.cpus,
    threadsPerCore: cpu.threadsPerCore,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    loadAvgAtStart: loadavg().map((x) => Math.round(x * 100) / 100),
  };
  console.error(`machine: ${machine.cpu}, ${machine.cpus} CPUs, ${machine.memoryGiB} GiB; load ${machine.loadAvgAtStart.join(' ')}`);
  const plans: ModelPlan[] = [];
  if (modelNames.includes('default')) plans.push(prepareDefaultModel());
  const qwen = modelNames.includes('qwen05') ? qwenPlan() : undefined;
  if (qwen) plans.push(qwen);
  const unset = modelNames.includes('qwen05-unset') ? qwenPlan('qwen05-unset-accuracy') : undefined;
  if (unset) plans.push(unset);
  const plain = modelNames.includes('qwen05-plain') ? qwenPlan('qwen05-plain-attention') : undefined;
  if (plain) plans.push(plain);
  const optimum = modelNames.includes('qwen05-optimum') ? qwenPlan('qwen05-optimum') : undefined;
  if (optimum) plans.push(optimum);
  const tied = modelNames.includes('qwen05-optimum-tied') ? qwenPlan('qwen05-optimum-tied') : undefined;
  if (tied) plans.push(tied);
  const floatHead = modelNames.includes('qwen05-float-head') ? qwenPlan('qwen05-float-head') : undefined;
  if (floatHead) plans.push(floatHead);

  const bandwidthLoadAvg = loadavg()[0];
  const bandwidth: BandwidthResult = await measureBandwidth({ threads: Math.max(...threadCounts), mibPerThread: 512, runs: 5 });
  console.error(`bandwidth: 1 thread ${fmt(bandwidth.singleThreadGBps)} GB/s, ${bandwidth.threads} threads ${fmt(bandwidth.multiThreadGBps)} GB/s (load ${fmt(bandwidthLoadAvg, 2)})`);

  const parity: Record<string, unknown> = {};
  if (plans[0]?.name.startsWith('default')) {
    for (const f of ['gguf/model-f16.gguf', 'gguf/model-q4_0.gguf']) {
      if (existsSync(join(plans[0].sharedDir, f))) parity[f] = ggufParity(plans[0], f);
    }
  }

  const rows: Row[] = [];
  const failures: Failure[] = [];
  const skipped: string[] = [];
  const promptsByModel: Record<string, BenchPrompt[]> = {};
  type Job = { plan: ModelPlan; runner: RunnerName; file: string; dir: string; threads: number; prompts: BenchPrompt[]; large: boolean };
  const jobs: Job[] = [];
  for (const plan of plans) {
    const prompts = buildPrompts(plan.sharedDir);
    promptsByModel[plan.name] = prompts;
    const folder = plan.sharedDir.split('/').pop()!;
    const large = folder.startsWith('qwen05');
    for (const threads of threadCounts) {
      const planJobs = [
        ...plan.onnxFiles.flatMap((file) => RUNNERS_FOR.onnx.map((runner) => ({
          runner,
          file,
          dir: runner.startsWith('locus') && existsSync(join(plan.locusDir, file)) ? plan.locusDir : plan.sharedDir,
        }))),
        ...plan.ggufFiles.map((file) => ({ runner: 'llama.cpp' as RunnerName, file, dir: plan.sharedDir })),
      ];
      for (const { runner, file, dir } of planJobs) {
        const key = `${large ? folder : 'default'}:${runner}:${file}:${threads}`;
        if (skip?.test(key)) skipped.push(key);
        else jobs.push({ plan, runner, file, dir, threads, prompts, large });
      }
    }
  }
  const measured = new Map<Job, Row[]>();
  /** Each reported row's runs, one per round (a runner that failed once has no row). */
  const byRound = new Map<Row, Row[]>();
  const failed = new Set<Job>();
  for (let round = 1; round <= rounds; round++) {
    for (const job of jobs) {
      if (failed.has(job)) continue;
      const { plan, runner, file, dir, threads, prompts } = job;
      const loadAvgBefore = loadavg()[0];
      const t0 = Date.now();
      try {
        const result = await runIsolated(runner, { modelDir: dir, file, prompts, threads, warmUps: job.large ? warmUpsLarge : warmUps, repeats: job.large ? repeatsLarge : repeats }, timeoutS * 1000);
        const w = file.endsWith('.gguf') ? await ggufWeightBytes(dir, file) : onnxWeightBytes(dir, file, runner.startsWith('locus'));
        const bytesPerToken = meanBytesPerToken(w, prompts);
        const gbps = threads === 1 ? bandwidth.singleThreadGBps : bandwidth.multiThreadGBps;
        const ceilingTokPerS = (gbps * 1e9) / bytesPerToken;
        const row: Row = {
          ...result, model: plan.name, modelDir: relative(ROOT, dir), fileBytes: sizeOf(join(dir, file)), bytesPerToken, bytesMethod: w.method,
          bandwidthGBps: gbps, ceilingTokPerS, bandwidthUtilization: result.decodeTokPerS / ceilingTokPerS, loadAvgBefore, wallS: (Date.now() - t0) / 1000,
          roundsDecodeTokPerS: [],
        };
        measured.set(job, [...(measured.get(job) ?? []), row]);
        console.error(`round ${round}/${rounds} ${short(plan.name)} ${runner} ${file} ${threads}t: prefill ${fmt(row.prefillTokPerS)} tok/s, decode ${fmt(row.decodeTokPerS)} tok/s ` +
          `(${fmt(100 * row.bandwidthUtilization, 0)}% of ${fmt(ceilingTokPerS)}), TTFT ${fmt(row.ttftMs, 0)} ms, peak ${fmt(row.peakRssMiB, 0)} MiB, ` +
          `load ${fmt(loadAvgBefore, 2)}, ${fmt(row.wallS, 0)} s`);
      } catch (e) {
        const timedOut = Date.now() - t0 >= timeoutS * 1000 - 1000;
        const error = `round ${round}: ${timedOut ? `timed out after ${timeoutS} s (killed)` : String(e).slice(0, 1500)}`;
        // A runner that fails (or times out) once is not run again: its row is the failure, its earlier rounds dropped.
        failed.add(job);
        failures.push({ model: plan.name, runner, file, threads, loadAvgBefore, error });
        console.error(`${short(plan.name)} ${runner} ${file} ${threads}t: FAILED ${error.slice(0, 300)}`);
      }
    }
  }
  for (const job of jobs) {
    const runs = measured.get(job);
    if (!runs || failed.has(job)) continue;
    const byDecode = [...runs].sort((a, b) => a.decodeTokPerS - b.decodeTokPerS);
    const row: Row = { ...byDecode[(byDecode.length - 1) >> 1]!, roundsDecodeTokPerS: runs.map((r) => r.decodeTokPerS) };
    rows.push(row);
    byRound.set(row, runs);
  }

  for (const r of rows) {
    const ref = rows.find((x) => x.model === r.model && x.threads === r.threads && x.runner === 'locus' &&
      (r.file.endsWith('.onnx') ? x.file === r.file : x.file === 'onnx/model_q4.onnx'));
    if (!ref || ref === r) continue;
    let matched = 0, total = 0;
    r.perPrompt.forEach((p, i) => {
      const q = ref.perPrompt[i];
      if (!q) return;
      matched += greedyPrefix(p.generated, q.generated);
      total += Math.min(p.generated.length, q.generated.length);
    });
    r.sameTokensAsLocus = { matched, total, against: `locus ${ref.file}` };
  }

  type Ratio = { model: string; threads: number; what: string; decode: number; prefill: number; ttft: number; aim?: string; met?: boolean };
  const ratios: Ratio[] = [];
  const find = (model: string, threads: number, runner: string, file: string) => rows.find((r) => r.model === model && r.threads === threads && r.runner === runner && r.file === file);
  /** Median over rounds of a's figure / b's figure within the round. */
  const perRound = (a: Row, b: Row, figure: (r: Row) => number) => {
    const ra = byRound.get(a)!;
    const rb = byRound.get(b)!;
    const each = ra.map((r, i) => figure(r) / figure(rb[i]!)).sort((x, y) => x - y);
    return each[(each.length - 1) >> 1]!;
  };
  const speed = {
    decode: (r: Row) => r.decodeTokPerS,
    prefill: (r: Row) => r.prefillTokPerS,
    ttftSpeed: (r: Row) => 1 / r.ttftMs,
  };
  for (const plan of plans) for (const threads of threadCounts) {
    for (const file of plan.onnxFiles) {
      const l = find(plan.name, threads, 'locus', file), t = find(plan.name, threads, 'transformers.js', file);
      if (l && t) {
        const decode = perRound(l, t, speed.decode);
        ratios.push({ model: plan.name, threads, what: `Locus vs transformers.js, ${file}`, decode, prefill: perRound(l, t, speed.prefill), ttft: perRound(l, t, speed.ttftSpeed), aim: '≥ 1.5x decode', met: decode >= 1.5 });
      }
      const s = find(plan.name, threads, 'locus+spec', file);
      if (l && s) ratios.push({ model: plan.name, threads, what: `Locus+spec vs Locus, ${file}`, decode: perRound(s, l, speed.decode), prefill: perRound(s, l, speed.prefill), ttft: perRound(s, l, speed.ttftSpeed) });
      // Speculation is how Locus decodes by default, with the same greedy tokens: its speed per generated token
      // against the others is the aim's figure too.
      if (s && t) {
        const decode = perRound(s, t, speed.decode);
        ratios.push({ model: plan.name, threads, what: `Locus+spec vs transformers.js, ${file}`, decode, prefill: perRound(s, t, speed.prefill), ttft: perRound(s, t, speed.ttftSpeed), aim: '≥ 1.5x decode', met: decode >= 1.5 });
      }
    }
    for (const runner of ['locus', 'locus+spec']) {
      const l = find(plan.name, threads, runner, 'onnx/model_q4.onnx');
      for (const g of ['gguf/model-q4_0.gguf', 'gguf/model-q4_0-pure.gguf']) {
        const c = find(plan.name, threads, 'llama.cpp', g);
        if (l && c) {
          const decode = perRound(l, c, speed.decode);
          ratios.push({ model: plan.name, threads, what: `${runner === 'locus' ? 'Locus' : 'Locus+spec'} q4 vs llama.cpp ${g.includes('pure') ? 'Q4_0 --pure' : 'Q4_0'}`, decode, prefill: perRound(l, c, speed.prefill), ttft: perRound(l, c, speed.ttftSpeed), aim: '≥ 1.0x decode', met: decode >= 1.0 });
        }
      }
    }
  }

  const report = {
    date: new Date().toISOString(),
    command: `npm run bench -- runtime ${args.join(' ')}`.trim(),
    machine,
    settings: { warmUps, warmUpsLarge, repeats, repeatsLarge, rounds, threads: threadCounts, timeoutS, skip: skip?.source ?? null },
    bandwidth: { ...bandwidth, loadAvgBefore: bandwidthLoadAvg },
    models: plans.map((p) => ({ ...p, locusDir: relative(ROOT, p.locusDir), sharedDir: relative(ROOT, p.sharedDir), prompts: promptsByModel[p.name]?.map(({ ids, ...rest }) => ({ ...rest, firstIds: ids.slice(0, 8) })) })),
    ggufParity: parity,
    rows,
    ratios,
    failures,
    skipped,
    wallSeconds: (Date.now() - started) / 1000,
  };
  const day = report.date.slice(0, 10);
  const outDir = join(ROOT, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, `runtime-${day}.json`), JSON.stringify(report, null, 2) + '\n');
  const md = markdown(report, day);
  writeFileSync(join(outDir, `runtime-${day}.md`), md);
  console.log(md);
}

function sizeOf(path: string): number {
  return statSync(path).size + (existsSync(path + '_data') ? statSync(path + '_data').size : 0);
}

/** Mean over the prompts of their reported runs' page faults ('-' in reports from before they were counted). */
function pageFaults(r: Row): string {
  const counts = r.perPrompt.map((p) => p.pageFaults).filter((n): n is number => n !== undefined);
  return counts.length === 0 ? '-' : fmt(counts.reduce((a, b) => a + b, 0) / counts.length, 0);
}

function markdown(report: any, day: string): string {
  const rows: Row[] = report.rows;
  const lines: string[] = [
    `# Runtime benchmark: Locus vs transformers.js vs llama.cpp (${day})`,
    '',
    `Command: \`${report.command}\` (${fmt(report.wallSeconds / 60)} min wall).`,
    '',
    `Machine: \`lscpu\` model name **${report.machine.cpu}**, ${report.machine.cpus} CPUs (${report.machine.threadsPerCore} thread per core), ` +
      `${report.machine.memoryGiB} GiB RAM, Node ${report.machine.node}. Load average at start ${report.machine.loadAvgAtStart.join(' / ')} ` +
      '(1/5/15 min): the machine is shared with other engineers, so every row carries the 1-minute load average taken just before it; ' +
      'read the figures as runner vs runner measured minutes apart, not as absolute speeds.',
    '',
    `Memory bandwidth, measured in this run (bench/runtime/bandwidth.ts, memcmp of two ${report.bandwidth.bytesPerThread / 2 ** 20} MiB halves per thread, ` +
      `median of ${report.bandwidth.runs}; load ${fmt(report.bandwidth.loadAvgBefore, 2)}): **${fmt(report.bandwidth.singleThreadGBps)} GB/s with 1 thread, ` +
      `${fmt(report.bandwidth.multiThreadGBps)} GB/s with ${report.bandwidth.threads} threads**. Ceiling = that bandwidth (1- or 2-thread figure, as the row's ` +
      'threads) / bytes read per decoded token (all weights but the embedding table, plus the KV cache at the mean decode context: as the ONNX file declares it, f16 in llama.cpp).',
    '',
    `Prompts (bench/runtime/prompts.ts), the same token ids for every runner: ${report.models[0]?.prompts?.map((p: BenchPrompt) => `\`${p.name}\` (${p.source}: ${p.promptTokens} prompt tokens, ${p.newTokens} greedy tokens)`).join(', ')}. ` +
      `Each runner in its own child process, one at a time (peak RSS = that process's maxRSS, Node included, which counts the pages of mapped model files; private = its RssAnon when the runner returned, what a second process loading the same files adds), ${report.settings.warmUps ?? 'one short'} untimed full-length warm-up run(s) of every prompt (${report.settings.warmUpsLarge ?? 'one short'} on the 0.5B-shaped model), then ${report.settings.repeats} timed runs per prompt (${report.settings.repeatsLarge} on the 0.5B-shaped model), ` +
      `median by decode speed; ${report.settings.rounds ?? 1} round(s), every runner once per round in the same order, the row being the round with the median decode speed (every round's decode speed in the last column); EOS cannot stop a run. Per-run timeout ${report.settings.timeoutS} s. Locus rows clear the prefix cache before every run (cold prefill); at N threads Locus prefills on N and, for a 4-bit file with an 8-bit prefill copy, runs decode steps on one (its runtime's rule, runtime/ortBackend.ts); a large 4-bit file prefills prompts of 32 tokens or more on its folder's 8-bit file, or without one on the 8-bit copy it builds once (runtime/prefillCopyCache.ts), where the runtime can (rows marked "prefills on": their TTFT is not the 4-bit kernel's) and steps on N. ` +
      'Aggregates: prefill = Σ prompt tokens / Σ TTFT; decode = Σ (new − 1) tokens / Σ their time; TTFT = mean over the two prompts.',
    '',
  ];
  for (const m of report.models) {
    lines.push(`## ${m.name}`, '');
    lines.push(`Where the files come from: ${m.ggufProvenance}`, '');
    lines.push('| runner | file | size MB | threads | prefill tok/s | decode tok/s | TTFT ms | peak RSS MiB | private MiB at end | MB read/token | ceiling tok/s | % of BW limit | same greedy tokens as Locus | page faults (median run, mean over prompts) | load avg before | decode tok/s by round |');
    lines.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
    for (const r of rows.filter((x) => x.model === m.name)) {
      const spec =
        (r.runner === 'locus+spec' ? ` (${r.draft ? 'draft + lookup' : 'lookup only'}; accepted ${r.accepted}/${r.drafted})` : '') +
        (r.prefillOn ? ` (prefills on ${r.prefillOn})` : '');
      lines.push(`| ${r.runner}${spec} | ${r.file} | ${fmt(r.fileBytes / 1e6)} | ${r.threads} | ${fmt(r.prefillTokPerS)} | ${fmt(r.decodeTokPerS)} | ${fmt(r.ttftMs, 0)} | ` +
        `${fmt(r.peakRssMiB, 0)} | ${r.privateMiB === undefined ? '-' : fmt(r.privateMiB, 0)} | ${fmt(r.bytesPerToken / 1e6, 2)} | ${fmt(r.ceilingTokPerS)} | ${fmt(100 * r.bandwidthUtilization, 0)}% | ` +
        `${r.sameTokensAsLocus ? `${r.sameTokensAsLocus.matched}/${r.sameTokensAsLocus.total}` : r.runner === 'locus' ? '(reference)' : '-'} | ${pageFaults(r)} | ${fmt(r.loadAvgBefore)} | ${(r.roundsDecodeTokPerS ?? []).map((x) => fmt(x)).join(' / ')} |`);
    }
    for (const f of report.failures.filter((x: Failure) => x.model === m.name)) {
      lines.push(`| ${f.runner} | ${f.file} | | ${f.threads} | **failed**: ${f.error.split('\n')[0].slice(0, 120)} | | | | | | | | | | ${fmt(f.loadAvgBefore)} | |`);
    }
    lines.push('');
  }
  lines.push('## Ratios, measured side by side in this run', '');
  if ((report.settings.rounds ?? 1) > 1) lines.push('Each ratio is the median over rounds of the ratio within a round (runners measured minutes, not a whole run, apart).', '');
  lines.push('| model | threads | comparison | decode | prefill | TTFT (speed-up) | aim | met |', '|---|---|---|---|---|---|---|---|');
  for (const r of report.ratios) {
    lines.push(`| ${short(r.model)} | ${r.threads} | ${r.what} | ${fmt(r.decode, 2)}x | ${fmt(r.prefill, 2)}x | ${fmt(r.ttft, 2)}x | ${r.aim ?? ''} | ${r.met === undefined ? '' : r.met ? 'yes' : 'no'} |`);
  }
  lines.push('');
  const bw = rows.filter((r) => r.runner === 'locus');
  if (bw.length) {
    lines.push('Decode within 70 % of the bandwidth limit (Locus, plain decoding): ' +
      bw.map((r) => `${short(r.model)} ${r.file} ${r.threads}t ${fmt(100 * r.bandwidthUtilization, 0)}% ${r.bandwidthUtilization >= 0.7 ? '(met)' : '(not met)'}`).join('; ') + '.', '');
  }
  if (Object.keys(report.ggufParity).length) {
    lines.push('## Dequantized weights check (default model)', '');
    lines.push('Greedy continuations, llama.cpp on the GGUF vs onnxruntime-node on onnx/model_q4.onnx, 16 tokens from the first 32, 64 and 128 tokens of each prompt ' +
      '(bench/runtime/ggufParity.ts, run by this bench), counted up to the first difference:', '');
    for (const [file, p] of Object.entries(report.ggufParity as Record<string, { greedyPrefixMatched?: number; greedyTotal?: number; tokenizerMatches?: number; tokenizerCases?: number; error?: string }>)) {
      lines.push(p.error ? `- ${file}: check failed (${p.error})` : `- ${file}: ${p.greedyPrefixMatched}/${p.greedyTotal} greedy tokens identical; llama.cpp's tokenizer gives our ids on ${p.tokenizerMatches}/${p.tokenizerCases} prompt texts.`);
    }
    lines.push('');
  }
  if (report.skipped.length) lines.push(`Skipped to stay within the time budget (\`--all-formats\` runs them): ${report.skipped.map((s: string) => `\`${s}\``).join(', ')}.`, '');
  return lines.join('\n');
}

void main().catch((e: Error) => {
  console.error(e.stack ?? e.message);
  process.exit(1);
});
