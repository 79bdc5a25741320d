// `npm run bench -- accuracyLevel [--model DIR] [--contexts 64,512] [--prompt 512] [--threads 1,2] [--rounds 5] [--label NAME]`
// A 4-bit file whose MatMulNBits leave accuracy_level unset (as transformers.js's quantize script leaves them) as
// exported and as the runtime prepares it (runtime/accuracyLevel.ts: int8 compute): one-token decode steps from a
// cache of each context length, and a cold prefill, both sessions in one process with the runtime's session options,
// alternating within every round. The model is the 0.5B-shaped one made that way by default
// (scripts/make_export_variants.py unset-accuracy). Then what int8 compute does to a trained model's output: the
// shipped default target with the attribute taken out, greedy continuations of real code as exported and prepared.
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { unsetAccuracyNodes } from '../runtime/accuracyLevel';
import { bytesSource, fileGraphSkeleton } from '../runtime/onnxSkeleton';
import { createSession } from '../runtime/ortBackend';
import { filePreparedModel, preparedModel } from '../runtime/preparedModel';
import { argmax } from '../runtime/sampler';
import { TextTokenizer } from '../runtime/tokenizer';
import { arg, runBench, writeResults } from './benchCli';
import { machineInfo, percentile, sideBySide } from './lsp/benchClient';
import { emptyPast } from './runtime/emptyPast';

const ROOT = resolve(__dirname, '..');
const modelDir = resolve(arg('model', join(ROOT, 'bench', 'models', 'qwen05-unset-accuracy')));
const contexts = arg('contexts', '64,512').split(',').map(Number);
const promptTokens = Number(arg('prompt', '512'));
const threadCounts = arg('threads', '1,2').split(',').map(Number);
const rounds = Number(arg('rounds', '5'));
const label = arg('label', '');
const STEPS = 12;

type Feeds = Record<string, ort.Tensor>;

function passFeeds(session: ort.InferenceSession, ids: number[], past: Feeds, pastLength: number): Feeds {
  const feeds: Feeds = {
    ...past,
    input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(pastLength + ids.length).fill(1n), [1, pastLength + ids.length]),
    position_ids: new ort.Tensor('int64', BigInt64Array.from(ids, (_, i) => BigInt(pastLength + i)), [1, ids.length]),
  };
  if (session.inputNames.includes('num_logits_to_keep')) feeds.num_logits_to_keep = new ort.Tensor('int64', BigInt64Array.of(1n), []);
  return feeds;
}

function presents(out: ort.InferenceSession.OnnxValueMapType): Feeds {
  const past: Feeds = {};
  for (const [name, value] of Object.entries(out)) if (name.startsWith('present.')) past[name.replace('present.', 'past_key_values.')] = value as ort.Tensor;
  return past;
}

function lastToken(out: ort.InferenceSession.OnnxValueMapType): number {
  const logits = out.logits as ort.Tensor;
  const [, rows, width] = logits.dims as number[];
  return argmax((logits.data as Float32Array).subarray((rows! - 1) * width!, rows! * width!));
}

/** Median ms of STEPS one-token steps after prefilling `prompt` (untimed). */
async function steps(session: ort.InferenceSession, prompt: number[]): Promise<number> {
  let out = await session.run(passFeeds(session, prompt, emptyPast(session), 0));
  let token = lastToken(out);
  const times: number[] = [];
  for (let i = 0; i < STEPS; i++) {
    const start = performance.now();
    out = await session.run(passFeeds(session, [token], presents(out), prompt.length + i));
    times.push(performance.now() - start);
    token = lastToken(out);
  }
  return percentile(times, 50);
}

async function prefillMs(session: ort.InferenceSession, prompt: number[]): Promise<number> {
  const start = performance.now();
  await session.run(passFeeds(session, prompt, emptyPast(session), 0));
  return performance.now() - start;
}

/** Greedy tokens after `prompt`. */
async function greedy(session: ort.InferenceSession, prompt: number[], count: number): Promise<number[]> {
  let out = await session.run(passFeeds(session, prompt, emptyPast(session), 0));
  const tokens = [lastToken(out)];
  while (tokens.length < count) {
    out = await session.run(passFeeds(session, [tokens.at(-1)!], presents(out), prompt.length + tokens.length - 1));
    tokens.push(lastToken(out));
  }
  return tokens;
}

interface Row {
  threads: number;
  pass: string;
  /** Median ms as exported / prepared, and the median of the rounds' ratios. */
  exported: number;
  prepared: number;
  speedUp: number;
  byRound: { exported: number; prepared: number }[];
}

/** The shipped target with accuracy_level taken out of its MatMulNBits. */
function shippedWithoutLevel(): Uint8Array {
  const model = onnx.ModelProto.decode(readFileSync(join(ROOT, 'models', 'default', 'target', 'onnx', 'model_q4.onnx')));
  for (const node of model.graph!.node!) if (node.opType === 'MatMulNBits') node.attribute = node.attribute!.filter((a) => a.name !== 'accuracy_level');
  return onnx.ModelProto.encode(model).finish();
}

async function main(): Promise<void> {
  const path = join(modelDir, 'onnx', 'model_q4.onnx');
  const unset = unsetAccuracyNodes(fileGraphSkeleton(path) ?? (() => { throw new Error(`${path} cannot be read`); })()).length;
  if (unset === 0) throw new Error(`${path}: every MatMulNBits sets accuracy_level (scripts/make_export_variants.py unset-accuracy makes a file without)`);
  const text = TextTokenizer.fromDirectory(modelDir).encode(readFileSync(join(ROOT, 'training', 'llama.py'), 'utf8'));
  const loadBefore = loadavg()[0]!;
  const rows: Row[] = [];
  for (const threads of threadCounts) {
    const exported = await createSession(path, threads);
    // Only the accuracy rewrite, whether or not the file has num_logits_to_keep.
    const prepared = await createSession(filePreparedModel(path, undefined, { logitsToKeep: false })!, threads, {}, dirname(path));
    const passes: [string, (s: ort.InferenceSession) => Promise<number>][] = [
      ...contexts.map((c) => [`step at ${c} positions`, (s: ort.InferenceSession) => steps(s, text.slice(0, c))] as [string, (s: ort.InferenceSession) => Promise<number>]),
      [`prefill of ${promptTokens} tokens`, (s) => prefillMs(s, text.slice(0, promptTokens))],
    ];
    for (const [pass, run] of passes) {
      await run(exported);
      await run(prepared);
      const byRound: Row['byRound'] = [];
      for (let r = 0; r < rounds; r++) byRound.push({ exported: await run(exported), prepared: await run(prepared) });
      const { before, after, speedUp } = sideBySide(byRound, (r) => r.exported, (r) => r.prepared);
      const row: Row = { threads, pass, exported: before, prepared: after, speedUp, byRound };
      rows.push(row);
      console.error(`${threads} threads, ${pass}: ${row.exported.toFixed(1)} -> ${row.prepared.toFixed(1)} ms (${row.speedUp.toFixed(2)}x)`);
    }
    await Promise.all([exported.release(), prepared.release()]);
  }

  // What int8 compute changes in a trained model's output: greedy continuations of real code.
  const trained = shippedWithoutLevel();
  const [asExported, asPrepared] = await Promise.all([createSession(trained, 1), createSession(preparedModel(bytesSource(trained), undefined, { logitsToKeep: false })!, 1)]);
  const tokenizer = TextTokenizer.fromDirectory(join(ROOT, 'models', 'default'));
  const sources = ['runtime/sampler.ts', 'training/llama.py', 'lsp-server/postProcess.ts'];
  const agreement: { source: string; cut: number; same: number; of: number }[] = [];
  for (const source of sources) {
    const ids = tokenizer.encode(readFileSync(join(ROOT, source), 'utf8'));
    for (const cut of [64, 192, 320]) {
      const [a, b] = await Promise.all([greedy(asExported, ids.slice(0, cut), 32), greedy(asPrepared, ids.slice(0, cut), 32)]);
      const same = a.findIndex((t, i) => t !== b[i]);
      agreement.push({ source, cut, same: same < 0 ? a.length : same, of: a.length });
    }
  }
  await Promise.all([asExported.release(), asPrepared.release()]);

  const machine = { ...machineInfo(), loadAverage1mBefore: loadBefore, loadAverage1mAfter: loadavg()[0]! };
  const date = new Date().toISOString();
  const day = date.slice(0, 10);
  const model = relative(ROOT, modelDir) || modelDir;
  const sameTotal = agreement.reduce((n, a) => n + a.same, 0);
  const ofTotal = agreement.reduce((n, a) => n + a.of, 0);
  const result = { date, machine, model, unsetNodes: unset, rounds, steps: STEPS, rows, agreement };
  const md = [
    `# 4-bit products left at float32 compute, as exported and as the runtime prepares them: ${model} (${day})`,
    '',
    `Command: \`npm run bench -- accuracyLevel ${process.argv.slice(3).join(' ')}\`. Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}; 1-minute load average ${loadBefore.toFixed(1)} before, ${machine.loadAverage1mAfter.toFixed(1)} after.`,
    `${model}/onnx/model_q4.onnx: ${unset} MatMulNBits without accuracy_level. **exported** = an onnxruntime session of the file as it is (float32 compute), **prepared** = one of the file as the runtime loads it (runtime/preparedModel.ts: accuracy_level 4, int8 compute of the activations), both with the runtime's session options and the file's own graph (no other rewrite). Steps: the median of ${STEPS} one-token steps after an untimed prefill of the first N tokens of training/llama.py; prefill: cold. ${rounds} rounds, each exported then prepared (one untimed run of each first); medians over rounds, speed-up = median of the rounds' ratios.`,
    '',
    '| threads | pass | exported ms | prepared ms | speed-up | rounds (exported / prepared ms) |',
    '|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.threads} | ${r.pass} | ${r.exported.toFixed(1)} | ${r.prepared.toFixed(1)} | ${r.speedUp.toFixed(2)}x | ${r.byRound.map((x) => `${x.exported.toFixed(1)}/${x.prepared.toFixed(1)}`).join(' ')} |`),
    '',
    `What it changes in a trained model's output: the shipped default target with accuracy_level taken out, greedy continuations (32 tokens) of real code from the first 64, 192 and 320 tokens of ${sources.join(', ')}, as exported and as prepared, counted up to the first difference: **${sameTotal}/${ofTotal}** tokens the same.`,
    '',
    '| source | prompt tokens | same tokens before the first difference |',
    '|---|---|---|',
    ...agreement.map((a) => `| ${a.source} | ${a.cut} | ${a.same}/${a.of} |`),
    '',
  ].join('\n');
  writeResults('accuracy-level', label, day, result, md);
}

runBench(main);
