// `npm run bench -- logitsToKeep [--model DIR] [--prompts 128,512,1024] [--threads 1,2] [--rounds 3] [--label NAME]`
// A decoder exported without num_logits_to_keep (as Optimum exports are) as the file is and as the runtime loads it
// (runtime/logitsToKeepModel.ts adds the input, so a prefill computes only the last row of logits): load time and cold
// prefill time of each of the folder's 4-bit and 8-bit files, both sessions in one process, alternating within every
// round. The model is the 0.5B-shaped one exported that way by default (scripts/make_export_variants.py
// no-logits-to-keep).
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { LOGITS_TO_KEEP_INPUT } from '../runtime/logitsToKeepModel';
import { createSession } from '../runtime/ortBackend';
import { filePreparedModel } from '../runtime/preparedModel';
import { argmax } from '../runtime/sampler';
import { TextTokenizer } from '../runtime/tokenizer';
import { arg, runBench, writeResults } from './benchCli';
import { machineInfo, sideBySide } from './lsp/benchClient';
import { emptyPast } from './runtime/emptyPast';

const ROOT = resolve(__dirname, '..');
const modelDir = resolve(arg('model', join(ROOT, 'bench', 'models', 'qwen05-no-logits-to-keep')));
const promptLengths = arg('prompts', '128,512,1024').split(',').map(Number);
const threadCounts = arg('threads', '1,2').split(',').map(Number);
const rounds = Number(arg('rounds', '3'));
const label = arg('label', '');

interface Row {
  file: string;
  threads: number;
  promptTokens: number;
  /** Median cold prefill ms as exported / with the input, and the median of the rounds' ratios. */
  exported: number;
  withInput: number;
  speedUp: number;
  /** Rounds whose greedy next token (the last row's argmax) agrees. */
  sameToken: number;
  byRound: { exported: number; withInput: number }[];
}

async function prefill(session: ort.InferenceSession, prompt: number[], keep: boolean): Promise<{ ms: number; token: number }> {
  const n = prompt.length;
  const feeds: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', BigInt64Array.from(prompt, BigInt), [1, n]),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]),
    position_ids: new ort.Tensor('int64', BigInt64Array.from(prompt, (_, i) => BigInt(i)), [1, n]),
    ...emptyPast(session),
  };
  if (keep) feeds[LOGITS_TO_KEEP_INPUT] = new ort.Tensor('int64', BigInt64Array.of(1n), []);
  const start = performance.now();
  const logits = (await session.run(feeds)).logits!;
  const ms = performance.now() - start;
  const [, rows, width] = logits.dims as number[];
  return { ms, token: argmax((logits.data as Float32Array).subarray((rows! - 1) * width!, rows! * width!)) };
}

async function timed<T>(make: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await make();
  return { value, ms: performance.now() - start };
}

async function main(): Promise<void> {
  const files = ['onnx/model_q4.onnx', 'onnx/model_int8.onnx'].filter((f) => existsSync(join(modelDir, f)));
  if (files.length === 0) throw new Error(`${modelDir} has no onnx/model_q4.onnx or onnx/model_int8.onnx`);
  const text = TextTokenizer.fromDirectory(modelDir).encode(readFileSync(join(ROOT, 'training', 'llama.py'), 'utf8'));
  if (text.length < Math.max(...promptLengths)) throw new Error(`training/llama.py gives only ${text.length} tokens`);
  const loadBefore = loadavg()[0]!;
  const rows: Row[] = [];
  const loads: { file: string; threads: number; exportedMs: number; withInputMs: number }[] = [];
  for (const file of files) {
    for (const threads of threadCounts) {
      const path = join(modelDir, file);
      const exported = await timed(() => createSession(path, threads));
      const withInput = await timed(async () => {
        const bytes = filePreparedModel(path);
        if (!bytes) throw new Error(`${file}: the runtime does not add ${LOGITS_TO_KEEP_INPUT} (it has one, or its output layer does not qualify)`);
        return createSession(bytes, threads, {}, dirname(path));
      });
      loads.push({ file, threads, exportedMs: exported.ms, withInputMs: withInput.ms });
      for (const promptTokens of promptLengths) {
        const prompt = text.slice(0, promptTokens);
        await prefill(exported.value, prompt, false);
        await prefill(withInput.value, prompt, true);
        const byRound: Row['byRound'] = [];
        let sameToken = 0;
        for (let r = 0; r < rounds; r++) {
          const a = await prefill(exported.value, prompt, false);
          const b = await prefill(withInput.value, prompt, true);
          byRound.push({ exported: a.ms, withInput: b.ms });
          if (a.token === b.token) sameToken++;
        }
        const { before, after, speedUp } = sideBySide(byRound, (r) => r.exported, (r) => r.withInput);
        const row: Row = { file, threads, promptTokens, exported: before, withInput: after, speedUp, sameToken, byRound };
        rows.push(row);
        console.error(`${file}, ${threads} threads, ${promptTokens} tokens: ${row.exported.toFixed(0)} -> ${row.withInput.toFixed(0)} ms (${row.speedUp.toFixed(2)}x)`);
      }
      await Promise.all([exported.value.release(), withInput.value.release()]);
    }
  }
  const machine = { ...machineInfo(), loadAverage1mBefore: loadBefore, loadAverage1mAfter: loadavg()[0]! };
  const date = new Date().toISOString();
  const day = date.slice(0, 10);
  const model = relative(ROOT, modelDir) || modelDir;
  const result = { date, machine, model, rounds, loads, rows };
  const md = [
    `# Prefill without and with ${LOGITS_TO_KEEP_INPUT}: ${model} (${day})`,
    '',
    `Command: \`npm run bench -- logitsToKeep ${process.argv.slice(3).join(' ')}\`. Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}; 1-minute load average ${loadBefore.toFixed(1)} before, ${machine.loadAverage1mAfter.toFixed(1)} after.`,
    `Per file: an onnxruntime session of the file as exported (logits for every prompt position), and one of the file with the input added as the runtime loads it (runtime/logitsToKeepModel.ts; the last row only), with the runtime's session options. Per prompt length: the first N tokens of training/llama.py prefilled cold; ${rounds} rounds, each running exported then with the input (one untimed run of each first). Times are medians over rounds; speed-up = median of the rounds' ratios. Same token: rounds whose last-row argmax agrees${model.includes('qwen05') ? ' (random weights: near-tied logits)' : ''}.`,
    '',
    '| file | threads | load ms exported / with the input |',
    '|---|---|---|',
    ...loads.map((l) => `| ${l.file} | ${l.threads} | ${l.exportedMs.toFixed(0)} / ${l.withInputMs.toFixed(0)} |`),
    '',
    '| file | threads | prompt tokens | prefill ms exported | prefill ms with the input | speed-up | same token | rounds (exported / with ms) |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.file} | ${r.threads} | ${r.promptTokens} | ${r.exported.toFixed(0)} | ${r.withInput.toFixed(0)} | ${r.speedUp.toFixed(2)}x | ${r.sameToken}/${rounds} | ${r.byRound.map((x) => `${x.exported.toFixed(0)}/${x.withInput.toFixed(0)}`).join(' ')} |`,
    ),
    '',
  ].join('\n');
  writeResults('logits-to-keep', label, day, result, md);
}

runBench(main);
