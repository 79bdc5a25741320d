// Checks a graph rewrite of a model file (training/slim_onnx.py's packed QKV and rotary tables,
// training/kv_cache_fp16.py's float16 KV cache): the same prompt through the file before and after, comparing logits
// and greedy tokens, and timing decode steps alternately. Prompts of INT8_PREFILL_MIN_TOKENS or more prefill through
// the runtime's 8-bit copy (int8PrefillModel.ts), whose activation quantization moves the logits more than any of
// these rewrites does.
//   node --import tsx bench/runtime/rewriteParity.ts <model dir> <rewritten model dir> [onnx file] [prompt tokens] [threads]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readModelConfig } from '../../runtime/modelConfig';
import { OrtDecoderModel } from '../../runtime/ortBackend';
import { argmax } from '../../runtime/sampler';
import { TextTokenizer } from '../../runtime/tokenizer';

const [dirA, dirB, file = 'onnx/model_q4.onnx', promptTokens = '400', threadsArg = '1'] = process.argv.slice(2);
const threads = Number(threadsArg);
const STEPS = 48;

async function main(): Promise<void> {
  if (!dirA || !dirB) throw new Error('usage: rewriteParity.ts <model dir> <rewritten model dir> [onnx file] [prompt tokens] [threads]');
  const config = readModelConfig(dirA);
  const tokenizer = TextTokenizer.fromDirectory(dirA);
  const text = readFileSync(join(__dirname, '..', '..', 'training', 'llama.py'), 'utf8');
  const prompt = tokenizer.encode(text).slice(0, Number(promptTokens));
  const a = await OrtDecoderModel.create(join(dirA, file), config, threads);
  const b = await OrtDecoderModel.create(join(dirB, file), readModelConfig(dirB), threads);
  let ra = await a.forward(prompt, a.emptyKv(), 1);
  let rb = await b.forward(prompt, b.emptyKv(), 1);
  let maxDiff = 0;
  let same = 0;
  let diverged = false;
  const stepA: number[] = [];
  const stepB: number[] = [];
  for (let i = 0; i < STEPS; i++) {
    const la = ra.logits[0]!;
    const lb = rb.logits[0]!;
    for (let j = 0; j < la.length; j++) maxDiff = Math.max(maxDiff, Math.abs(la[j]! - lb[j]!));
    const ta = argmax(la);
    if (!diverged && ta === argmax(lb)) same++;
    else diverged = true;
    let t = performance.now();
    ra = await a.forward([ta], ra.kv, 1);
    stepA.push(performance.now() - t);
    t = performance.now();
    rb = await b.forward([ta], rb.kv, 1);
    stepB.push(performance.now() - t);
  }
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[xs.length >> 1]!;
  console.log(JSON.stringify({
    file,
    promptTokens: prompt.length,
    threads,
    greedyTokensIdentical: `${same}/${STEPS}`,
    maxAbsLogitDiff: Number(maxDiff.toExponential(2)),
    stepMsMedian: { before: Number(median(stepA).toFixed(2)), rewritten: Number(median(stepB).toFixed(2)) },
  }));
  await a.dispose();
  await b.dispose();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
