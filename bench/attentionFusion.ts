// `npm run bench -- attentionFusion [--models DIR,DIR] [--contexts 64,512] [--prompt 512] [--threads 1,2] [--rounds 5] [--label NAME]`
// Plain attention as PyTorch's TorchScript exporter (Optimum) writes it, loaded by the runtime as exported
// (`fuseAttention: false`) and as it loads it by default, fused into GroupQueryAttention (runtime/attentionFusion.ts):
// load time, one-token decode steps from a cache of each context length, a cold prefill, and the greedy tokens
// both give. Both models in one process, the runtime's whole path (cache mode, 8-bit copy for small files),
// alternating within every round. Models: the 0.5B-shaped one and the trained default target exported so
// (scripts/make_export_variants.py plain-attention, and with --src bench/models/locus-target).
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, relative, resolve } from 'node:path';
import type { KvState } from '../runtime/decoderModel';
import { readModelConfig } from '../runtime/modelConfig';
import { OrtDecoderModel } from '../runtime/ortBackend';
import { describePreparation } from '../runtime/preparedModel';
import { argmax } from '../runtime/sampler';
import { TextTokenizer } from '../runtime/tokenizer';
import { arg, runBench, writeResults } from './benchCli';
import { machineInfo, percentile, sideBySide } from './lsp/benchClient';

const ROOT = resolve(__dirname, '..');
const modelDirs = arg('models', ['qwen05-plain-attention', 'locus-target-plain-attention'].map((m) => join(ROOT, 'bench', 'models', m)).join(','))
  .split(',')
  .map((d) => resolve(d));
const contexts = arg('contexts', '64,512').split(',').map(Number);
const promptTokens = Number(arg('prompt', '512'));
const threadCounts = arg('threads', '1,2').split(',').map(Number);
const rounds = Number(arg('rounds', '5'));
const label = arg('label', '');
const STEPS = 12;
const SOURCES = ['runtime/sampler.ts', 'training/llama.py', 'lsp-server/postProcess.ts'];
const GREEDY_TOKENS = 32;
/** Prompt passes this short run on the 4-bit file's own graph, not on an 8-bit copy (INT8_PREFILL_MIN_TOKENS). */
const SHORT_PASS = 16;

type Model = OrtDecoderModel;

/** Median ms of STEPS one-token steps after prefilling `prompt` (untimed). */
async function steps(model: Model, prompt: number[]): Promise<number> {
  let { logits, kv } = await model.forward(prompt, model.emptyKv(), 1);
  const times: number[] = [];
  for (let i = 0; i < STEPS; i++) {
    const start = performance.now();
    ({ logits, kv } = await model.forward([argmax(logits[0]!)], kv, 1));
    times.push(performance.now() - start);
  }
  return percentile(times, 50);
}

async function prefillMs(model: Model, prompt: number[]): Promise<number> {
  const start = performance.now();
  await model.forward(prompt, model.emptyKv(), 1);
  return performance.now() - start;
}

/** Greedy tokens after `prompt`, fed in one pass or in passes of `chunk` tokens. */
async function greedy(model: Model, prompt: number[], chunk = prompt.length): Promise<number[]> {
  let kv: KvState = model.emptyKv();
  let logits: Float32Array[] = [];
  for (let at = 0; at < prompt.length; at += chunk) ({ logits, kv } = await model.forward(prompt.slice(at, at + chunk), kv, 1));
  const tokens: number[] = [];
  while (tokens.length < GREEDY_TOKENS) {
    tokens.push(argmax(logits[0]!));
    ({ logits, kv } = await model.forward([tokens.at(-1)!], kv, 1));
  }
  return tokens;
}

interface Row {
  model: string;
  threads: number;
  pass: string;
  plain: number;
  fused: number;
  speedUp: number;
  byRound: { plain: number; fused: number }[];
}

interface Loaded {
  model: string;
  threads: number;
  plain: { loadMs: number; kvCache: string };
  fused: { loadMs: number; kvCache: string; preparation?: string };
}

async function timedLoad(path: string, dir: string, threads: number, fuseAttention: boolean): Promise<{ model: Model; ms: number }> {
  const start = performance.now();
  const model = await OrtDecoderModel.create(path, readModelConfig(dir), threads, { fuseAttention });
  return { model, ms: performance.now() - start };
}

async function main(): Promise<void> {
  const loadBefore = loadavg()[0]!;
  const rows: Row[] = [];
  const loads: Loaded[] = [];
  const agreement: { model: string; source: string; cut: number; chunk: number; same: number; of: number }[] = [];
  for (const dir of modelDirs) {
    const name = relative(ROOT, dir) || dir;
    const path = join(dir, 'onnx', 'model_q4.onnx');
    const text = TextTokenizer.fromDirectory(dir).encode(readFileSync(join(ROOT, 'training', 'llama.py'), 'utf8'));
    for (const threads of threadCounts) {
      const plain = await timedLoad(path, dir, threads, false);
      const fused = await timedLoad(path, dir, threads, true);
      if (!fused.model.preparation?.fusedAttention) throw new Error(`${path}: its attention was not fused (scripts/make_export_variants.py plain-attention makes a file with plain attention)`);
      loads.push({
        model: name,
        threads,
        plain: { loadMs: plain.ms, kvCache: plain.model.kvCache },
        fused: { loadMs: fused.ms, kvCache: fused.model.kvCache, preparation: describePreparation(fused.model.preparation, 'onnx/model_q4.onnx') },
      });
      console.error(`${name}, ${threads} threads: loaded in ${plain.ms.toFixed(0)} ms (${plain.model.kvCache}) / ${fused.ms.toFixed(0)} ms fused (${fused.model.kvCache})`);
      const passes: [string, (m: Model) => Promise<number>][] = [
        ...contexts.map((c) => [`step at ${c} positions`, (m: Model) => steps(m, text.slice(0, c))] as [string, (m: Model) => Promise<number>]),
        [`prefill of ${promptTokens} tokens`, (m) => prefillMs(m, text.slice(0, promptTokens))],
      ];
      for (const [pass, run] of passes) {
        await run(plain.model);
        await run(fused.model);
        const byRound: Row['byRound'] = [];
        for (let r = 0; r < rounds; r++) byRound.push({ plain: await run(plain.model), fused: await run(fused.model) });
        const { before, after, speedUp } = sideBySide(byRound, (r) => r.plain, (r) => r.fused);
        const row: Row = { model: name, threads, pass, plain: before, fused: after, speedUp, byRound };
        rows.push(row);
        console.error(`${name}, ${threads} threads, ${pass}: ${row.plain.toFixed(1)} -> ${row.fused.toFixed(1)} ms (${row.speedUp.toFixed(2)}x)`);
      }
      if (threads === threadCounts[0]) {
        const tokenizer = TextTokenizer.fromDirectory(dir);
        for (const source of SOURCES) {
          const ids = tokenizer.encode(readFileSync(join(ROOT, source), 'utf8'));
          for (const cut of [64, 192, 320]) {
            for (const chunk of [cut, SHORT_PASS]) {
              const [a, b] = [await greedy(plain.model, ids.slice(0, cut), chunk), await greedy(fused.model, ids.slice(0, cut), chunk)];
              const first = a.findIndex((t, i) => t !== b[i]);
              agreement.push({ model: name, source, cut, chunk, same: first < 0 ? a.length : first, of: a.length });
            }
          }
        }
      }
      await Promise.all([plain.model.dispose(), fused.model.dispose()]);
    }
  }

  const machine = { ...machineInfo(), loadAverage1mBefore: loadBefore, loadAverage1mAfter: loadavg()[0]! };
  const date = new Date().toISOString();
  const day = date.slice(0, 10);
  const result = { date, machine, rounds, steps: STEPS, loads, rows, agreement };
  const sameOf = (model: string, chunked: boolean) => {
    const mine = agreement.filter((a) => a.model === model && (a.chunk === SHORT_PASS) === chunked);
    return `${mine.reduce((n, a) => n + a.same, 0)}/${mine.reduce((n, a) => n + a.of, 0)}`;
  };
  const md = [
    `# Plain attention (TorchScript/Optimum exports) as exported and fused at load (${day})`,
    '',
    `Command: \`npm run bench -- attentionFusion ${process.argv.slice(3).join(' ')}\`. Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}; 1-minute load average ${loadBefore.toFixed(1)} before, ${machine.loadAverage1mAfter.toFixed(1)} after.`,
    `Each model's onnx/model_q4.onnx loaded by the runtime twice in one process: **plain** = \`OrtDecoderModel.create(..., { fuseAttention: false })\` (the attention as exported), **fused** = as the runtime loads it (runtime/attentionFusion.ts: one GroupQueryAttention per layer). Everything else is the runtime's own path for the file (its cache mode, preparation, and a small file's in-memory 8-bit copy). Steps: the median of ${STEPS} one-token steps after an untimed prefill of the first N tokens of training/llama.py; prefill: cold, logits of the last position. ${rounds} rounds, each plain then fused (one untimed run of each first); medians over rounds, speed-up = median of the rounds' ratios.`,
    '',
    '| model | threads | load ms plain | load ms fused | cache plain | cache fused |',
    '|---|---|---|---|---|---|',
    ...loads.map((l) => `| ${l.model} | ${l.threads} | ${l.plain.loadMs.toFixed(0)} | ${l.fused.loadMs.toFixed(0)} | ${l.plain.kvCache} | ${l.fused.kvCache} |`),
    '',
    '| model | threads | pass | plain ms | fused ms | speed-up | rounds (plain / fused ms) |',
    '|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.model} | ${r.threads} | ${r.pass} | ${r.plain.toFixed(1)} | ${r.fused.toFixed(1)} | ${r.speedUp.toFixed(2)}x | ${r.byRound.map((x) => `${x.plain.toFixed(1)}/${x.fused.toFixed(1)}`).join(' ')} |`),
    '',
    `Greedy continuations (${GREEDY_TOKENS} tokens) of real code from the first 64, 192 and 320 tokens of ${SOURCES.join(', ')}, plain and fused, on ${threadCounts[0]} thread(s), counted up to the first difference. The prompt in one pass, as completions run (a small file prefills it on its 8-bit copy, whose activations are quantized per pass, so near-ties can part): ${modelDirs.map((d) => `${relative(ROOT, d)} **${sameOf(relative(ROOT, d) || d, false)}**`).join(', ')}; in passes of ${SHORT_PASS} tokens (every pass on the 4-bit graph): ${modelDirs.map((d) => `**${sameOf(relative(ROOT, d) || d, true)}**`).join(', ')} tokens the same.`,
    '',
    '| model | source | prompt tokens | prompt passes of | same tokens before the first difference |',
    '|---|---|---|---|---|',
    ...agreement.map((a) => `| ${a.model} | ${a.source} | ${a.cut} | ${a.chunk} | ${a.same}/${a.of} |`),
    '',
    `Load line of the fused model: ${loads[0]?.fused.preparation ?? '(none)'}`,
    '',
  ].join('\n');
  writeResults('attention-fusion', label, day, result, md);
}

runBench(main);
