// `npm run bench -- kvCache [--model DIR] [--file onnx/model_q4.onnx] [--contexts 128,512,768] [--threads 1,2] [--tokens 64] [--rounds 7] [--label NAME]`
// Decoding with the KV cache kept in the runtime's own buffers (runtime/kvArena.ts: each pass fetches only its new
// rows, or, for a file loaded as it is, the buffers are each layer's past and preallocated present) against the cache
// as the tensors each pass returns (the whole cache copied out of onnxruntime every step),
// same file, same sessions otherwise, through OrtDecoderModel as the runtime loads it. Per context and thread count:
// a real prompt (training/llama.py) prefilled, then `tokens` greedy steps, yielding to the event loop between steps as
// the generator does; the two alternate within every round, so slow spells of this shared machine fall on both.
// Runs in a process with the inference server's V8 flags (lsp-server/serverProcessFlags.ts): garbage collection is
// part of what the returned tensors cost.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { SERVER_EXEC_ARGV } from '../lsp-server/serverProcessFlags';
import type { ForwardResult } from '../runtime/decoderModel';
import { readModelConfig } from '../runtime/modelConfig';
import { OrtDecoderModel } from '../runtime/ortBackend';
import { argmax } from '../runtime/sampler';
import { TextTokenizer } from '../runtime/tokenizer';
import { yieldToEventLoop } from '../runtime/tokenStepper';
import { arg, runBench, writeResults } from './benchCli';
import { machineInfo, sideBySide } from './lsp/benchClient';

const ROOT = resolve(__dirname, '..');
const modelDir = resolve(arg('model', join(ROOT, 'models', 'default', 'target')));
const file = arg('file', 'onnx/model_q4.onnx');
const contexts = arg('contexts', '128,512,768').split(',').map(Number);
const threadCounts = arg('threads', '1,2').split(',').map(Number);
const tokens = Number(arg('tokens', '64'));
const rounds = Number(arg('rounds', '7'));
const label = arg('label', '');

interface Row {
  threads: number;
  context: number;
  returnedMs: number;
  keptMs: number;
  speedUp: number;
  /** Runs whose greedy tokens were the same with both caches. */
  sameTokens: number;
  byRound: { returned: number; kept: number }[];
}

/** Milliseconds per token after the first, and the tokens. */
async function decode(model: OrtDecoderModel, prompt: number[]): Promise<{ msPerToken: number; ids: number[] }> {
  let out: ForwardResult = await model.forward(prompt, model.emptyKv(), 1);
  const ids: number[] = [];
  const start = performance.now();
  for (let i = 0; i < tokens; i++) {
    ids.push(argmax(out.logits[0]!));
    out = await model.forward([ids[i]!], out.kv, 1);
    await yieldToEventLoop();
  }
  return { msPerToken: (performance.now() - start) / tokens, ids };
}

async function main(): Promise<void> {
  const config = readModelConfig(modelDir);
  const tokenizer = TextTokenizer.fromDirectory(modelDir);
  const text = tokenizer.encode(readFileSync(join(ROOT, 'training', 'llama.py'), 'utf8'));
  const loadBefore = loadavg()[0]!;
  const rows: Row[] = [];
  const keptModes = new Set<string>();
  const path = join(modelDir, file);
  for (const threads of threadCounts) {
    const returned = await OrtDecoderModel.create(path, config, threads, { kvCache: 'returned' });
    const kept = await OrtDecoderModel.create(path, config, threads);
    if (!kept.keepsCache) throw new Error(`${path}: the runtime does not keep this model's cache (attention that reads the past otherwise)`);
    keptModes.add(kept.kvCache);
    for (const context of contexts) {
      const prompt = text.slice(0, context);
      await decode(returned, prompt);
      await decode(kept, prompt);
      const byRound: Row['byRound'] = [];
      let sameTokens = 0;
      for (let r = 0; r < rounds; r++) {
        const a = await decode(returned, prompt);
        const b = await decode(kept, prompt);
        byRound.push({ returned: a.msPerToken, kept: b.msPerToken });
        if (a.ids.join() === b.ids.join()) sameTokens++;
      }
      const { before: returnedMs, after: keptMs, speedUp } = sideBySide(byRound, (x) => x.returned, (x) => x.kept);
      rows.push({ threads, context, returnedMs, keptMs, speedUp, sameTokens, byRound });
      console.error(`threads ${threads}, context ${context}: returned ${returnedMs.toFixed(3)} ms, kept ${keptMs.toFixed(3)} ms (${speedUp.toFixed(2)}x), same tokens ${sameTokens}/${rounds}`);
    }
    await Promise.all([returned.dispose(), kept.dispose()]);
  }
  const machine = { ...machineInfo(), loadAverage1mBefore: loadBefore, loadAverage1mAfter: loadavg()[0]! };
  const date = new Date().toISOString();
  const day = date.slice(0, 10);
  const result = { date, machine, model: relative(ROOT, modelDir) || modelDir, file, keptMode: [...keptModes].join(', '), tokens, rounds, execArgv: process.execArgv, rows };
  const md = [
    `# Decoding with the KV cache kept in the runtime's buffers against the tensors each pass returns (${day})`,
    '',
    `Command: \`npm run bench -- kvCache ${process.argv.slice(3).join(' ')}\`. Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node} (${process.execArgv.filter((a) => a.startsWith('--no')).join(' ')}); 1-minute load average ${loadBefore.toFixed(1)} before, ${machine.loadAverage1mAfter.toFixed(1)} after.`,
    `Model: ${result.model}/${file}, through OrtDecoderModel as the runtime loads it (decode steps on one thread for a small 4-bit file with its 8-bit prefill copy, on the decomposed graph); the kept cache's mode: \`${result.keptMode}\` (runtime/ortBackend.ts, KvCacheMode). Per context: the first N tokens of training/llama.py prefilled, then ${tokens} greedy steps, timed from the first step to the last; ${rounds} rounds, each running the returned-tensor cache then the kept one (one untimed run of each first). ms/token = median over rounds; speed-up = median of the rounds' ratios. Same tokens: rounds whose ${tokens} greedy tokens agree.`,
    '',
    '| threads | context | returned tensors ms/token | kept cache ms/token | speed-up | same tokens | rounds (returned / kept ms) |',
    '|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.threads} | ${r.context} | ${r.returnedMs.toFixed(3)} | ${r.keptMs.toFixed(3)} | ${r.speedUp.toFixed(2)}x | ${r.sameTokens}/${rounds} | ${r.byRound.map((x) => `${x.returned.toFixed(2)}/${x.kept.toFixed(2)}`).join(' ')} |`),
    '',
  ].join('\n');
  writeResults('kv-cache', label, day, result, md);
}

if (SERVER_EXEC_ARGV.every((flag) => process.execArgv.includes(flag))) {
  runBench(main);
} else {
  const child = spawnSync(process.execPath, [...SERVER_EXEC_ARGV, ...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit' });
  process.exit(child.status ?? 1);
}
