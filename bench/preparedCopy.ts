// `npm run bench -- preparedCopy [--model DIR] [--threads 2] [--rounds 5] [--label NAME]`
// A large file the runtime prepares (an onnx-community-style 4-bit file: no num_logits_to_keep, accuracy_level unset,
// plain attention; scripts/make_export_variants.py optimum) loaded prepared in memory, as every load did before, and
// from its prepared copy kept in a cache folder (prefillCopyCache.ts preparedCopy), alternating in one process: load
// time, the process's resident memory after each load, and that both give the same logits.
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { readModelConfig } from '../runtime/modelConfig';
import { fusableAttention, OrtDecoderModel } from '../runtime/ortBackend';
import { preparedCopy } from '../runtime/prefillCopyCache';
import { arg, runBench, writeResults } from './benchCli';
import { machineInfo, percentile } from './lsp/benchClient';

const ROOT = resolve(__dirname, '..');
const modelDir = resolve(arg('model', join(ROOT, 'bench', 'models', 'qwen05-optimum')));
const threads = Number(arg('threads', '2'));
const rounds = Number(arg('rounds', '5'));
const label = arg('label', '');

async function main(): Promise<void> {
  const loadBefore = loadavg()[0]!;
  const config = readModelConfig(modelDir);
  const onnxPath = join(modelDir, 'onnx', 'model_q4.onnx');
  const prepare = { logitsToKeep: true, attention: fusableAttention(config) };
  const cache = mkdtempSync(join(tmpdir(), 'locus-bench-prepared-'));
  try {
    const kept = preparedCopy(onnxPath, cache, prepare);
    if (!('file' in kept)) throw new Error(`no prepared copy of ${onnxPath}: ${kept.skipped}`);
    const ways = {
      'in memory': {},
      'kept copy': { preparedFile: { onnx: kept.file, options: prepare } },
    } as const;
    const byRound: Record<keyof typeof ways, { ms: number; rssMiB: number }[]> = { 'in memory': [], 'kept copy': [] };
    let maxDiff = 0;
    for (let r = 0; r < rounds; r++) {
      const logits: Float32Array[] = [];
      for (const [way, options] of Object.entries(ways) as [keyof typeof ways, (typeof ways)[keyof typeof ways]][]) {
        global.gc?.();
        const start = performance.now();
        const model = await OrtDecoderModel.create(onnxPath, config, threads, options);
        const ms = performance.now() - start;
        byRound[way].push({ ms, rssMiB: process.memoryUsage().rss / 2 ** 20 });
        logits.push((await model.forward([1, 2, 3, 4, 5], model.emptyKv(), 1)).logits[0]!);
        if (way === 'kept copy' && model.preparedPath !== kept.file) throw new Error('the kept copy was not loaded');
        await model.dispose();
        console.error(`round ${r + 1}, ${way}: ${ms.toFixed(0)} ms`);
      }
      for (let i = 0; i < logits[0]!.length; i++) maxDiff = Math.max(maxDiff, Math.abs(logits[0]![i]! - logits[1]![i]!));
    }
    const machine = { ...machineInfo(), loadAverage1mBefore: loadBefore, loadAverage1mAfter: loadavg()[0]! };
    const date = new Date().toISOString();
    const day = date.slice(0, 10);
    const model = relative(ROOT, modelDir) || modelDir;
    const median = (way: keyof typeof ways) => percentile(byRound[way].map((x) => x.ms), 50);
    const ratio = percentile(byRound['in memory'].map((x, i) => x.ms / byRound['kept copy'][i]!.ms), 50);
    const result = { date, machine, model, threads, rounds, keptBytes: kept.bytes, writtenMs: kept.builtMs, byRound, maxLogitDiff: maxDiff };
    const md = [
      `# A large prepared file loaded from memory and from its kept copy: ${model} (${day})`,
      '',
      `Command: \`npm run bench -- preparedCopy ${process.argv.slice(3).join(' ')}\`. Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}; 1-minute load average ${loadBefore.toFixed(1)} before, ${machine.loadAverage1mAfter.toFixed(1)} after.`,
      `${model}/onnx/model_q4.onnx loaded by \`OrtDecoderModel.create\` on ${threads} thread(s) (no 8-bit prefill file), **in memory** = prepared as it loads (runtime/preparedModel.ts, the file read and spliced in memory), **kept copy** = loaded from the prepared file written once (${Math.round(kept.bytes / 1e6)} MB, written in ${((kept.builtMs ?? 0) / 1000).toFixed(1)} s). ${rounds} rounds, each in memory then kept copy, in one process; load time from the call to a ready model; RSS = the process's resident memory right after the load (both models are disposed before the next load). Logits of a 5-token prompt: max difference ${maxDiff}.`,
      '',
      '| way | load ms (median) | rounds (load ms / RSS MiB after) |',
      '|---|---|---|',
      ...(Object.keys(ways) as (keyof typeof ways)[]).map((w) => `| ${w} | ${median(w).toFixed(0)} | ${byRound[w].map((x) => `${x.ms.toFixed(0)}/${x.rssMiB.toFixed(0)}`).join(' ')} |`),
      '',
      `Loads ${ratio.toFixed(2)}x faster from the kept copy (median of the rounds' ratios).`,
      '',
    ].join('\n');
    writeResults('prepared-copy', label, day, result, md);
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
}

runBench(main);
