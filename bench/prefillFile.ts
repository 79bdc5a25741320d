// `npm run bench -- prefillFile [--model DIR] [--copy yes] [--prompts 128,512,1024] [--threads 1,2] [--steps 16] [--rounds 5] [--label NAME]`
// A large 4-bit model with and without its folder's 8-bit file for long prefills (runtime/ortBackend.ts,
// usablePrefillFile), both loaded as the runtime loads the folder (runtime/modelFiles.ts finds the file), or with
// `--copy yes` (and always for a folder without an 8-bit file) the 8-bit copy the runtime builds for the 4-bit
// file instead (runtime/prefillCopyCache.ts; built into a temporary cache folder, timed, then reused), in one
// process: cold prefill time per prompt length, then decode steps from the cache it left (which stay on the 4-bit
// file), and what each load costs in time and resident memory. The two alternate within every round, so slow spells
// of this shared machine fall on both. The model is the 0.5B-shaped one by default (scripts/make_qwen05_shaped.py
// writes its int8 and 4-bit files); small files (the default pair) build an 8-bit copy in memory instead.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import type { ForwardResult } from '../runtime/decoderModel';
import { readModelConfig } from '../runtime/modelConfig';
import { locateModelFiles, type PrefillFile } from '../runtime/modelFiles';
import { OrtDecoderModel } from '../runtime/ortBackend';
import { prefillCopy } from '../runtime/prefillCopyCache';
import { argmax } from '../runtime/sampler';
import { TextTokenizer } from '../runtime/tokenizer';
import { yieldToEventLoop } from '../runtime/tokenStepper';
import { arg, runBench, writeResults } from './benchCli';
import { machineInfo, percentile, sideBySide } from './lsp/benchClient';

const ROOT = resolve(__dirname, '..');
const modelDir = resolve(arg('model', join(ROOT, 'bench', 'models', 'qwen05-shaped')));
const promptLengths = arg('prompts', '128,512,1024').split(',').map(Number);
const threadCounts = arg('threads', '1,2').split(',').map(Number);
const steps = Number(arg('steps', '16'));
const rounds = Number(arg('rounds', '5'));
const label = arg('label', '');
const copyRequested = arg('copy', 'no') === 'yes';

interface Load {
  ms: number;
  /**
   * Growth of this process's resident memory across the load: for the first thread count only, since later loads
   * reuse what the disposed models freed.
   */
  rssMiB?: number;
}

interface Row {
  threads: number;
  promptTokens: number;
  /** Median cold prefill ms without / with the 8-bit file, and the median of the rounds' ratios. */
  without: number;
  with: number;
  speedUp: number;
  /** Median ms per decode step after the prefill, without / with. */
  stepWithout: number;
  stepWith: number;
  /** Rounds whose first greedy token (from the prefill's logits) agrees. */
  sameFirstToken: number;
  byRound: { without: number; with: number }[];
}

async function timedLoad(create: () => Promise<OrtDecoderModel>, measureMemory: boolean): Promise<{ model: OrtDecoderModel; load: Load }> {
  const rss = process.memoryUsage().rss;
  const start = performance.now();
  const model = await create();
  const ms = performance.now() - start;
  return { model, load: { ms, rssMiB: measureMemory ? (process.memoryUsage().rss - rss) / 2 ** 20 : undefined } };
}

async function run(model: OrtDecoderModel, prompt: number[]): Promise<{ prefillMs: number; stepMs: number; first: number }> {
  const start = performance.now();
  let out: ForwardResult = await model.forward(prompt, model.emptyKv(), 1);
  const prefillMs = performance.now() - start;
  const first = argmax(out.logits[0]!);
  let id = first;
  const stepsStart = performance.now();
  for (let i = 0; i < steps; i++) {
    out = await model.forward([id], out.kv, 1);
    id = argmax(out.logits[0]!);
    await yieldToEventLoop();
  }
  return { prefillMs, stepMs: (performance.now() - stepsStart) / steps, first };
}

async function main(): Promise<void> {
  const files = locateModelFiles(modelDir, 'q4');
  const useCopy = copyRequested || files.prefill === undefined;
  const copy = useCopy ? builtCopy(files.onnx) : undefined;
  const prefillFile = copy?.file ?? files.prefill!;
  const config = readModelConfig(modelDir);
  const text = TextTokenizer.fromDirectory(modelDir).encode(readFileSync(join(ROOT, 'training', 'llama.py'), 'utf8'));
  if (text.length < Math.max(...promptLengths)) throw new Error(`training/llama.py gives only ${text.length} tokens`);
  const loadBefore = loadavg()[0]!;
  const rows: Row[] = [];
  const loads: { threads: number; without: Load; with: Load; kvCache: string }[] = [];
  for (const threads of threadCounts) {
    const first = loads.length === 0;
    const a = await timedLoad(() => OrtDecoderModel.create(files.onnx, config, threads), first);
    const b = await timedLoad(() => OrtDecoderModel.create(files.onnx, config, threads, { prefillFile }), first);
    if (!b.model.int8Prefill) throw new Error(`${files.onnx}: the runtime does not prefill on ${prefillFile.onnx} (see usablePrefillFile in runtime/ortBackend.ts)`);
    loads.push({ threads, without: a.load, with: b.load, kvCache: b.model.kvCache });
    for (const promptTokens of promptLengths) {
      const prompt = text.slice(0, promptTokens);
      await run(a.model, prompt);
      await run(b.model, prompt);
      const byRound: Row['byRound'] = [];
      const stepsBy: { without: number; with: number }[] = [];
      let sameFirstToken = 0;
      for (let r = 0; r < rounds; r++) {
        const x = await run(a.model, prompt);
        const y = await run(b.model, prompt);
        byRound.push({ without: x.prefillMs, with: y.prefillMs });
        stepsBy.push({ without: x.stepMs, with: y.stepMs });
        if (x.first === y.first) sameFirstToken++;
      }
      const prefill = sideBySide(byRound, (r) => r.without, (r) => r.with);
      const row: Row = {
        threads,
        promptTokens,
        without: prefill.before,
        with: prefill.after,
        speedUp: prefill.speedUp,
        stepWithout: percentile(stepsBy.map((r) => r.without), 50),
        stepWith: percentile(stepsBy.map((r) => r.with), 50),
        sameFirstToken,
        byRound,
      };
      rows.push(row);
      console.error(`threads ${threads}, ${promptTokens} tokens: prefill ${row.without.toFixed(0)} -> ${row.with.toFixed(0)} ms (${row.speedUp.toFixed(2)}x), steps ${row.stepWithout.toFixed(1)} / ${row.stepWith.toFixed(1)} ms`);
    }
    await Promise.all([a.model.dispose(), b.model.dispose()]);
  }
  const machine = { ...machineInfo(), loadAverage1mBefore: loadBefore, loadAverage1mAfter: loadavg()[0]! };
  const date = new Date().toISOString();
  const day = date.slice(0, 10);
  const model = relative(ROOT, modelDir) || modelDir;
  const shownPrefill = copy ? `the 8-bit copy of ${files.onnxFile} (runtime/prefillCopyCache.ts)` : relative(modelDir, prefillFile.onnx);
  const result = { date, machine, model, file: files.onnxFile, prefillFile: shownPrefill, prefillFileBytes: prefillFile.bytes, copy: copy && { buildMs: copy.buildMs, reuseMs: copy.reuseMs }, steps, rounds, loads, rows };
  const md = [
    copy
      ? `# Prefill on the 8-bit copy built for a large 4-bit model: with and without it (${day})`
      : `# Prefill on the folder's 8-bit file: a large 4-bit model with and without it (${day})`,
    '',
    `Command: \`npm run bench -- prefillFile ${process.argv.slice(3).join(' ')}\`. Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}; 1-minute load average ${loadBefore.toFixed(1)} before, ${machine.loadAverage1mAfter.toFixed(1)} after.`,
    `Model: ${model}/${files.onnxFile}, through OrtDecoderModel as the runtime loads the folder; **with** = long prefills (32 tokens or more) on ${shownPrefill} (${(prefillFile.bytes / 1e6).toFixed(0)} MB), **without** = on the 4-bit file. Decode steps run on the 4-bit file either way. Per prompt length: the first N tokens of training/llama.py prefilled cold, then ${steps} greedy steps; ${rounds} rounds, each running without then with (one untimed run of each first). Prefill and step times are medians over rounds; speed-up = median of the rounds' ratios. Same first token: rounds whose first greedy token (from the prefill's logits) agrees${model.includes('qwen05') ? ' (random weights give near-tied logits, so this says little about a trained model)' : ''}.`,
    '',
    ...(copy ? [`The copy: built in ${copy.buildMs.toFixed(0)} ms into an empty cache folder (once per 4-bit file), found again in ${copy.reuseMs.toFixed(1)} ms at the next load.`, ''] : []),
    'Loads: without first, then with (the 4-bit file then in the page cache for both); resident memory measured for the first thread count only (later loads reuse what the disposed models freed).',
    '',
    '| threads | load ms without / with | resident memory of the load, MiB, without / with | cache kept |',
    '|---|---|---|---|',
    ...loads.map((l) => `| ${l.threads} | ${l.without.ms.toFixed(0)} / ${l.with.ms.toFixed(0)} | ${l.without.rssMiB === undefined ? '—' : `${l.without.rssMiB.toFixed(0)} / ${l.with.rssMiB!.toFixed(0)}`} | ${l.kvCache} |`),
    '',
    '| threads | prompt tokens | prefill ms without | prefill ms with | speed-up | step ms without / with | same first token | rounds (without / with ms) |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.threads} | ${r.promptTokens} | ${r.without.toFixed(0)} | ${r.with.toFixed(0)} | ${r.speedUp.toFixed(2)}x | ${r.stepWithout.toFixed(1)} / ${r.stepWith.toFixed(1)} | ${r.sameFirstToken}/${rounds} | ${r.byRound.map((x) => `${x.without.toFixed(0)}/${x.with.toFixed(0)}`).join(' ')} |`,
    ),
    '',
  ].join('\n');
  writeResults('prefill-file', label, day, result, md);
}

/** The runtime's copy of `q4Path`, built into a fresh cache folder (timed), then found again as the next load would (timed). */
function builtCopy(q4Path: string): { file: PrefillFile; buildMs: number; reuseMs: number } {
  const folder = mkdtempSync(join(tmpdir(), 'locus-bench-copy-'));
  process.on('exit', () => rmSync(folder, { recursive: true, force: true }));
  let start = performance.now();
  const built = prefillCopy(q4Path, folder);
  const buildMs = performance.now() - start;
  if ('skipped' in built) throw new Error(`no 8-bit copy of ${q4Path}: ${built.skipped}`);
  start = performance.now();
  const again = prefillCopy(q4Path, folder);
  const reuseMs = performance.now() - start;
  if ('skipped' in again || again.builtMs !== undefined) throw new Error('the copy was not found again');
  return { file: built.file, buildMs, reuseMs };
}

runBench(main);
