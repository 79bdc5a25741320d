// `npm run bench -- attention [--model DIR] [--contexts 24,128,256,512,768] [--threads 1,2] [--rounds 12] [--label NAME]`
// Decode steps with the attention as the file holds it (GroupQueryAttention) against the runtime's decomposed graph
// (runtime/decomposedAttention.ts; the runtime uses it on one thread for small files and at every thread count for
// large ones with an 8-bit prefill file, this bench at every thread count it is given), same file, same session
// options, through OrtDecoderModel. Per context: a real
// prompt (training/llama.py) prefilled on each, then chunks of steps alternating between the two, so slow spells of
// this shared machine fall on both; median of the chunk medians. Both are fed the fused graph's greedy token, which
// counts how often the decomposed graph would pick the same one and the largest logit difference.
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, relative, resolve } from 'node:path';
import type { ForwardResult } from '../runtime/decoderModel';
import { readModelConfig } from '../runtime/modelConfig';
import { isLargeModelFile, OrtDecoderModel } from '../runtime/ortBackend';
import { argmax } from '../runtime/sampler';
import { TextTokenizer } from '../runtime/tokenizer';
import { arg, runBench, writeResults } from './benchCli';
import { machineInfo, percentile } from './lsp/benchClient';
import { largeFileStepFiles } from './runtime/largeFileSteps';

const ROOT = resolve(__dirname, '..');
const modelDir = resolve(arg('model', join(ROOT, 'models', 'default', 'target')));
const file = arg('file', 'onnx/model_q4.onnx');
const contexts = arg('contexts', '24,128,256,512,768').split(',').map(Number);
const threadCounts = arg('threads', '1,2').split(',').map(Number);
const rounds = Number(arg('rounds', '12'));
const label = arg('label', '');
const CHUNK = 16;

interface Row {
  threads: number;
  context: number;
  fusedMs: number;
  decomposedMs: number;
  speedUp: number;
  sameGreedy: number;
  steps: number;
  maxLogitDiff: number;
}

async function main(): Promise<void> {
  const config = readModelConfig(modelDir);
  const tokenizer = TextTokenizer.fromDirectory(modelDir);
  const text = tokenizer.encode(readFileSync(join(ROOT, 'training', 'llama.py'), 'utf8'));
  const maxContext = config.maxPositionEmbeddings - rounds * CHUNK - 1;
  const tooLong = contexts.filter((c) => !(c > 0) || c > maxContext || c > text.length);
  if (tooLong.length > 0) throw new Error(`contexts ${tooLong.join(', ')}: each must be 1-${Math.min(maxContext, text.length)} for this model, text and --rounds`);
  const loadBefore = loadavg()[0]!;
  const rows: Row[] = [];
  let decomposedNodes = 0;
  let kvModes = { fused: '', decomposed: '' };
  for (const threads of threadCounts) {
    const path = join(modelDir, file);
    // Steps on `threads` threads and decomposed at every thread count here, though the runtime steps small files on
    // one thread, where it decomposes (ortBackend.ts).
    // A large file's steps run on its kept decode-step file where it prefills on its folder's 8-bit file, as the
    // runtime loads it (runtime/modelLoader.ts); the fused side keeps its cache in shared buffers, as before.
    const large: Partial<ReturnType<typeof largeFileStepFiles>> = isLargeModelFile(path) ? largeFileStepFiles(modelDir, path) : {};
    const fused = await OrtDecoderModel.create(path, config, threads, { stepThreads: threads, decomposeAttention: false, prefillFile: large.prefillFile });
    const decomposed = await OrtDecoderModel.create(path, config, threads, { stepThreads: threads, decomposeAttention: true, ...large });
    decomposedNodes = decomposed.decomposedAttention;
    kvModes = { fused: fused.kvCache, decomposed: decomposed.kvCache };
    if (decomposedNodes === 0) throw new Error(`${path}: no attention the runtime decomposes`);
    for (const context of contexts) {
      const prompt = text.slice(0, context);
      let a: ForwardResult = await fused.forward(prompt, fused.emptyKv(), 1);
      let b: ForwardResult = await decomposed.forward(prompt, decomposed.emptyKv(), 1);
      const chunksA: number[] = [];
      const chunksB: number[] = [];
      let same = 0;
      let steps = 0;
      let maxDiff = 0;
      for (let r = 0; r < rounds; r++) {
        const tokens: number[] = [];
        const timesA: number[] = [];
        for (let i = 0; i < CHUNK; i++) {
          const next = argmax(a.logits[0]!);
          tokens.push(next);
          const t0 = performance.now();
          a = await fused.forward([next], a.kv, 1);
          timesA.push(performance.now() - t0);
        }
        const timesB: number[] = [];
        for (const next of tokens) {
          if (argmax(b.logits[0]!) === next) same++;
          steps++;
          const t0 = performance.now();
          b = await decomposed.forward([next], b.kv, 1);
          timesB.push(performance.now() - t0);
          if (b.kv.length === a.kv.length) {
            const la = a.logits[0]!;
            const lb = b.logits[0]!;
            for (let j = 0; j < la.length; j++) maxDiff = Math.max(maxDiff, Math.abs(la[j]! - lb[j]!));
          }
        }
        chunksA.push(percentile(timesA, 50));
        chunksB.push(percentile(timesB, 50));
      }
      const fusedMs = percentile(chunksA, 50);
      const decomposedMs = percentile(chunksB, 50);
      rows.push({ threads, context, fusedMs, decomposedMs, speedUp: fusedMs / decomposedMs, sameGreedy: same, steps, maxLogitDiff: maxDiff });
      console.error(`threads ${threads}, context ${context}: fused ${fusedMs.toFixed(3)} ms, decomposed ${decomposedMs.toFixed(3)} ms (${(fusedMs / decomposedMs).toFixed(2)}x), greedy ${same}/${steps}, max logit diff ${maxDiff.toFixed(3)}`);
    }
    await fused.dispose();
    await decomposed.dispose();
  }
  const machine = { ...machineInfo(), loadAverage1mBefore: loadBefore, loadAverage1mAfter: loadavg()[0]! };
  const date = new Date().toISOString();
  const day = date.slice(0, 10);
  const result = { date, machine, model: relative(ROOT, modelDir) || modelDir, file, decomposedAttention: decomposedNodes, rounds, chunk: CHUNK, rows };
  const md = [
    `# Decode steps: fused GroupQueryAttention against the runtime's decomposed attention (${day})`,
    '',
    `Command: \`npm run bench -- attention ${process.argv.slice(3).join(' ')}\`. Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}; 1-minute load average ${loadBefore.toFixed(1)} before, ${machine.loadAverage1mAfter.toFixed(1)} after.`,
    `Model: ${result.model}/${file} (${decomposedNodes} GroupQueryAttention nodes). Both through OrtDecoderModel with the runtime's session options; the prompt (the first N tokens of training/llama.py) prefills on the fused 8-bit copy (a large file: its folder's 8-bit file) from 32 tokens on, as in use. Cache kept as: fused ${kvModes.fused}, decomposed ${kvModes.decomposed}.`,
    `Per context, ${rounds} rounds of ${CHUNK} steps on the fused graph, then the same ${CHUNK} tokens on the decomposed one; step time = median over rounds of each chunk's median. Greedy = how often the decomposed graph's top token equals the fused graph's (both fed the fused graph's choice); logit difference at the end of every chunk.`,
    '',
    '| threads | context | fused step ms | decomposed step ms | speed-up | same greedy token | largest logit difference |',
    '|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.threads} | ${r.context} | ${r.fusedMs.toFixed(3)} | ${r.decomposedMs.toFixed(3)} | ${r.speedUp.toFixed(2)}x | ${r.sameGreedy}/${r.steps} | ${r.maxLogitDiff.toFixed(3)} |`),
    '',
  ].join('\n');
  writeResults('attention', label, day, result, md);
}

runBench(main);
