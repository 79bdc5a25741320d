// `npm run bench -- optimizedCopy [--model DIR] [--threads 2] [--rounds 3] [--label NAME]`
// A large 4-bit model loaded as the runtime loads it (its folder's 8-bit file for long prefills, its kept decode-step
// file for steps), its sessions made from the files themselves and from onnxruntime's optimized copies of them
// (runtime/optimizedSession.ts), each load in a process of its own, alternating: load time, private (anonymous) and
// file-backed resident memory after the load and after a prompt and a decode, prefill and decode speed, and that both
// give the same greedy tokens. Then two processes of each way at once, as two editor windows loading the same model:
// their proportional memory (Pss), which splits pages shared between them.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { readModelConfig } from '../runtime/modelConfig';
import { OrtDecoderModel } from '../runtime/ortBackend';
import { arg, runBench, writeResults } from './benchCli';
import { processMemoryMiB, type ProcessMemory } from './processMemory';
import { machineInfo, percentile, sideBySide } from './lsp/benchClient';
import { largeFileStepFiles } from './runtime/largeFileSteps';
import { promptThenDecode, type PromptThenDecode } from './runtime/promptThenDecode';

const ROOT = resolve(__dirname, '..');
const modelDir = resolve(arg('model', join(ROOT, 'bench', 'models', 'qwen05-shaped')));
const threads = Number(arg('threads', '2'));
const rounds = Number(arg('rounds', '3'));
const label = arg('label', '');
const PROMPT_TOKENS = 512;
const DECODE_TOKENS = 64;

const WAYS = ['files', 'optimized copies'] as const;
type Way = (typeof WAYS)[number];

/** What one process measured (memory in MiB). */
interface ChildResult extends PromptThenDecode {
  loadMs: number;
  afterLoad: ProcessMemory;
  afterRun: ProcessMemory;
  copies: string[];
}

/** One load, prompt and decode in this process (the parent runs it with `--child`). */
async function child(way: Way, cache: string, holdMs: number): Promise<void> {
  const path = join(modelDir, 'onnx', 'model_q4.onnx');
  const config = readModelConfig(modelDir);
  const { prefillFile, stepFile } = largeFileStepFiles(modelDir, path);
  const started = performance.now();
  const model = await OrtDecoderModel.create(path, config, threads, { prefillFile, stepFile, ...(way === 'optimized copies' && { keptCopies: { folder: cache } }) });
  const loadMs = performance.now() - started;
  const afterLoad = processMemoryMiB();
  if (model.stepPath === undefined || model.prefillFile === undefined) throw new Error(`${way}: the model did not load with its decode-step and 8-bit files`);
  const { prefillMs, decodeTokensPerSecond, tokens } = await promptThenDecode(model, config.vocabSize, PROMPT_TOKENS, DECODE_TOKENS);
  // Held so that a second process loads and runs while this one's pages are still mapped.
  await new Promise((r) => setTimeout(r, holdMs));
  const result: ChildResult = { loadMs, prefillMs, decodeTokensPerSecond, afterLoad, afterRun: processMemoryMiB(), tokens, copies: model.optimizedCopies };
  await model.dispose();
  process.stdout.write(JSON.stringify(result));
}

async function spawnChild(way: Way, cache: string, holdMs = 0): Promise<ChildResult> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', __filename, '--child', way, '--cache', cache, '--hold', String(holdMs), '--model', modelDir, '--threads', String(threads)],
    { maxBuffer: 1 << 24 },
  );
  return JSON.parse(stdout) as ChildResult;
}

async function main(): Promise<void> {
  const loadBefore = loadavg()[0]!;
  const cache = mkdtempSync(join(tmpdir(), 'locus-bench-optimized-'));
  try {
    // The first load with copies writes them.
    const first = await spawnChild('optimized copies', cache);
    if (first.copies.length === 0) throw new Error('no optimized copy was written');
    console.error(`first load (writes the copies): ${first.loadMs.toFixed(0)} ms`);
    const byRound: Record<Way, ChildResult[]> = { files: [], 'optimized copies': [] };
    for (let r = 0; r < rounds; r++) {
      for (const way of WAYS) {
        const result = await spawnChild(way, cache);
        byRound[way].push(result);
        console.error(`round ${r + 1}, ${way}: load ${result.loadMs.toFixed(0)} ms, prefill ${result.prefillMs.toFixed(0)} ms, decode ${result.decodeTokensPerSecond.toFixed(1)} tok/s`);
      }
    }
    // Two processes at once per way; each holds its pages 3 s after its run so that the other's run overlaps it.
    const pairs: Record<Way, ChildResult[]> = { files: [], 'optimized copies': [] };
    for (const way of WAYS) pairs[way] = await Promise.all([spawnChild(way, cache, 3000), spawnChild(way, cache, 3000)]);
    const sameTokens = byRound.files.every((f, i) => JSON.stringify(f.tokens) === JSON.stringify(byRound['optimized copies'][i]!.tokens));
    const copies = byRound['optimized copies'][0]!.copies;
    const copyBytes = copies.map((file) => {
      const dir = resolve(file, '..');
      return { folder: relative(cache, dir), mb: Math.round((statBytes(file) + statBytes(join(dir, 'model.onnx.data'))) / 1e6) };
    });

    const machine = { ...machineInfo(), loadAverage1mBefore: loadBefore, loadAverage1mAfter: loadavg()[0]! };
    const date = new Date().toISOString();
    const day = date.slice(0, 10);
    const model = relative(ROOT, modelDir) || modelDir;
    const rows = [...Array(rounds).keys()];
    const load = sideBySide(rows, (i) => byRound.files[i]!.loadMs, (i) => byRound['optimized copies'][i]!.loadMs);
    const prefill = sideBySide(rows, (i) => byRound.files[i]!.prefillMs, (i) => byRound['optimized copies'][i]!.prefillMs);
    const decode = sideBySide(rows, (i) => 1 / byRound.files[i]!.decodeTokensPerSecond, (i) => 1 / byRound['optimized copies'][i]!.decodeTokensPerSecond);
    const med = (way: Way, pick: (r: ChildResult) => number) => percentile(byRound[way].map(pick), 50);
    const mib = (x: number) => x.toFixed(0);
    const result = { date, machine, model, threads, rounds, promptTokens: PROMPT_TOKENS, decodeTokens: DECODE_TOKENS, firstLoadMs: first.loadMs, copyBytes, byRound, pairs, sameTokens, load, prefill, decode };
    const md = [
      `# Large-file sessions from the files and from onnxruntime's optimized copies: ${model} (${day})`,
      '',
      `Command: \`npm run bench -- optimizedCopy ${process.argv.slice(3).join(' ')}\`. Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}; 1-minute load average ${loadBefore.toFixed(1)} before, ${machine.loadAverage1mAfter.toFixed(1)} after.`,
      '',
      `${model}/onnx/model_q4.onnx loaded by \`OrtDecoderModel.create\` on ${threads} thread(s) as the runtime loads it: the folder's 8-bit file for long prefills and the kept decode-step file for steps. **files** = their sessions made from those files, as before; **optimized copies** = made from onnxruntime's optimized copies of them (runtime/optimizedSession.ts: ${copyBytes.map((c) => `${c.mb} MB`).join(' and ')} on disk, written by a first load that took ${(first.loadMs / 1000).toFixed(1)} s). Every load in a process of its own, ${rounds} rounds, each files then optimized copies. Load = from the call to a ready model (its load checks included); then a ${PROMPT_TOKENS}-token prompt (cold) and ${DECODE_TOKENS} greedy steps. Memory from /proc/self/status: anon = private resident memory (RssAnon), file = resident pages of mapped files (RssFile: the page cache's, shared by every process mapping them). Same greedy tokens in every round: ${sameTokens ? 'yes' : 'NO'}.`,
      '',
      '| way | load ms | prefill ms | decode tok/s | anon MiB after load | file MiB after load | anon MiB after run | file MiB after run |',
      '|---|---|---|---|---|---|---|---|',
      ...WAYS.map((w) => `| ${w} | ${med(w, (r) => r.loadMs).toFixed(0)} | ${med(w, (r) => r.prefillMs).toFixed(0)} | ${med(w, (r) => r.decodeTokensPerSecond).toFixed(1)} | ${mib(med(w, (r) => r.afterLoad.anon))} | ${mib(med(w, (r) => r.afterLoad.file))} | ${mib(med(w, (r) => r.afterRun.anon))} | ${mib(med(w, (r) => r.afterRun.file))} |`),
      '',
      `Side by side (median of the rounds' ratios, files / optimized copies): load ${load.speedUp.toFixed(2)}x faster, prefill ${prefill.speedUp.toFixed(2)}x, decode ${decode.speedUp.toFixed(2)}x.`,
      '',
      'Rounds (load ms / prefill ms / decode tok/s):',
      '',
      ...WAYS.map((w) => `- ${w}: ${byRound[w].map((r) => `${r.loadMs.toFixed(0)} / ${r.prefillMs.toFixed(0)} / ${r.decodeTokensPerSecond.toFixed(1)}`).join(', ')}`),
      '',
      `Two processes at once (as two editor windows), each after its run: proportional memory (Pss) in MiB, pages shared between the two counted half in each.`,
      '',
      '| way | Pss process 1 | Pss process 2 | both | anon, both |',
      '|---|---|---|---|---|',
      ...WAYS.map((w) => {
        const [a, b] = pairs[w] as [ChildResult, ChildResult];
        return `| ${w} | ${mib(a.afterRun.pss)} | ${mib(b.afterRun.pss)} | ${mib(a.afterRun.pss + b.afterRun.pss)} | ${mib(a.afterRun.anon + b.afterRun.anon)} |`;
      }),
      '',
    ].join('\n');
    writeResults('optimized-copy', label, day, result, md);
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
}

function statBytes(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

if (process.argv.includes('--child')) runBench(() => child(arg('child', 'files') as Way, arg('cache', ''), Number(arg('hold', '0'))));
else runBench(main);
