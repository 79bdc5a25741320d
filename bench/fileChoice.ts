// `npm run bench -- fileChoice [--model DIR] [--prompt 256] [--threads 1,2] [--steps 24] [--rounds 5] [--label NAME]`
// Which of a folder's files `auto` decodes on, and whether that is the faster one: the 4-bit and 8-bit files loaded
// as the runtime loads each choice (the 4-bit one with the 8-bit file for long prefills, runtime/prefillFile.ts), in
// one process, alternating within every round. Per file: weight bytes read per token as the runtime runs it
// (runtime/stepWeightBytes.ts, with a 4-bit file's float32 output layer made 4-bit: outputLayerQuantization.ts),
// cold prefill of the first N tokens of training/llama.py, then greedy decode steps from that cache.
// bench/models/qwen05-float-head (scripts/make_export_variants.py float-head) is the case `auto` exists for: a 4-bit file
// whose output layer stayed fp32, as a tied-embedding export's does.
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, relative, resolve } from 'node:path';
import type { ForwardResult } from '../runtime/decoderModel';
import { readModelConfig } from '../runtime/modelConfig';
import { fileStepWeights, locateModelFiles, type ModelFiles } from '../runtime/modelFiles';
import { OrtDecoderModel } from '../runtime/ortBackend';
import { argmax } from '../runtime/sampler';
import { TextTokenizer } from '../runtime/tokenizer';
import { yieldToEventLoop } from '../runtime/tokenStepper';
import { arg, runBench, writeResults } from './benchCli';
import { machineInfo, percentile } from './lsp/benchClient';

const ROOT = resolve(__dirname, '..');
const modelDir = resolve(arg('model', join(ROOT, 'bench', 'models', 'qwen05-float-head')));
const promptTokens = Number(arg('prompt', '256'));
const threadCounts = arg('threads', '1,2').split(',').map(Number);
const steps = Number(arg('steps', '24'));
const rounds = Number(arg('rounds', '5'));
const label = arg('label', '');

const CHOICES = ['q4', 'int8'] as const;

interface Row {
  threads: number;
  /** Median cold prefill ms and ms per decode step, per file, with each round's figures. */
  prefillMs: Record<(typeof CHOICES)[number], number>;
  stepMs: Record<(typeof CHOICES)[number], number>;
  /** Median of the rounds' q4 / int8 step-time ratios: above 1, the 8-bit file decodes faster. */
  stepRatio: number;
  byRound: { q4: { prefill: number; step: number }; int8: { prefill: number; step: number } }[];
}

async function run(model: OrtDecoderModel, prompt: number[]): Promise<{ prefill: number; step: number }> {
  const start = performance.now();
  let out: ForwardResult = await model.forward(prompt, model.emptyKv(), 1);
  const prefill = performance.now() - start;
  let id = argmax(out.logits[0]!);
  const stepsStart = performance.now();
  for (let i = 0; i < steps; i++) {
    out = await model.forward([id], out.kv, 1);
    id = argmax(out.logits[0]!);
    await yieldToEventLoop();
  }
  return { prefill, step: (performance.now() - stepsStart) / steps };
}

/** Weight bytes per token as the runtime runs the file (a 4-bit file's float32 output layer made 4-bit). */
function weightMB(files: ModelFiles): number {
  const bytes = fileStepWeights(files.onnx)?.bytes;
  if (bytes === undefined) throw new Error(`${files.onnx}: its weights could not be read`);
  return bytes / 1e6;
}

async function main(): Promise<void> {
  const files = { q4: locateModelFiles(modelDir, 'q4'), int8: locateModelFiles(modelDir, 'int8') };
  const auto = locateModelFiles(modelDir, 'auto');
  const config = readModelConfig(modelDir);
  const prompt = TextTokenizer.fromDirectory(modelDir).encode(readFileSync(join(ROOT, 'training', 'llama.py'), 'utf8')).slice(0, promptTokens);
  if (prompt.length < promptTokens) throw new Error(`training/llama.py gives only ${prompt.length} tokens`);
  const mb = { q4: weightMB(files.q4), int8: weightMB(files.int8) };
  const loadBefore = loadavg()[0]!;
  const rows: Row[] = [];
  for (const threads of threadCounts) {
    const q4 = await OrtDecoderModel.create(files.q4.onnx, config, threads, { prefillFile: files.q4.prefill });
    const int8 = await OrtDecoderModel.create(files.int8.onnx, config, threads);
    await run(q4, prompt);
    await run(int8, prompt);
    const byRound: Row['byRound'] = [];
    for (let r = 0; r < rounds; r++) byRound.push({ q4: await run(q4, prompt), int8: await run(int8, prompt) });
    const median = (pick: (x: Row['byRound'][number]) => number) => percentile(byRound.map(pick), 50);
    const row: Row = {
      threads,
      prefillMs: { q4: median((x) => x.q4.prefill), int8: median((x) => x.int8.prefill) },
      stepMs: { q4: median((x) => x.q4.step), int8: median((x) => x.int8.step) },
      stepRatio: median((x) => x.q4.step / x.int8.step),
      byRound,
    };
    rows.push(row);
    console.error(`threads ${threads}: step q4 ${row.stepMs.q4.toFixed(1)} ms, int8 ${row.stepMs.int8.toFixed(1)} ms (q4/int8 ${row.stepRatio.toFixed(2)})`);
    await Promise.all([q4.dispose(), int8.dispose()]);
  }
  const machine = { ...machineInfo(), loadAverage1mBefore: loadBefore, loadAverage1mAfter: loadavg()[0]! };
  const date = new Date().toISOString();
  const day = date.slice(0, 10);
  const model = relative(ROOT, modelDir) || modelDir;
  const result = { date, machine, model, promptTokens, steps, rounds, weightMBPerToken: mb, auto: { file: auto.onnxFile, reason: auto.autoChoice }, rows };
  const fixed = (x: number) => x.toFixed(1);
  const md = [
    `# Which file \`auto\` decodes on: ${model} (${day})`,
    '',
    `Command: \`npm run bench -- fileChoice ${process.argv.slice(3).join(' ')}\`. Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}; 1-minute load average ${loadBefore.toFixed(1)} before, ${machine.loadAverage1mAfter.toFixed(1)} after.`,
    `Both files loaded as the runtime loads each choice, in one process: ${files.q4.onnxFile}${files.q4.prefill ? ` (long prefills on ${relative(modelDir, files.q4.prefill.onnx)})` : ''} and ${files.int8.onnxFile}. Per round, each file prefills the first ${promptTokens} tokens of training/llama.py cold, then decodes ${steps} greedy steps; ${rounds} rounds alternating the files after one untimed run of each. Medians over rounds; the step ratio is the median of the rounds' ratios.`,
    '',
    `Weights read per token: ${files.q4.onnxFile} ${mb.q4.toFixed(0)} MB, ${files.int8.onnxFile} ${mb.int8.toFixed(0)} MB. **auto** takes ${auto.onnxFile}${auto.autoChoice ? `: ${auto.autoChoice}` : ''}.`,
    '',
    '| threads | prefill ms q4 / int8 | step ms q4 / int8 | step q4 ÷ int8 | rounds: step ms q4 / int8 |',
    '|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.threads} | ${r.prefillMs.q4.toFixed(0)} / ${r.prefillMs.int8.toFixed(0)} | ${fixed(r.stepMs.q4)} / ${fixed(r.stepMs.int8)} | ${r.stepRatio.toFixed(2)} | ${r.byRound.map((x) => `${fixed(x.q4.step)}/${fixed(x.int8.step)}`).join(' ')} |`,
    ),
    '',
  ].join('\n');
  writeResults('file-choice', label, day, result, md);
}

runBench(main);
