// Checks a GGUF conversion against the ONNX model it came from: llama.cpp's tokenizer vs ours on the benchmark
// prompts' text, and greedy continuations (llama.cpp on the GGUF vs onnxruntime-node on the ONNX file, onnx/model.onnx
// unless a fourth argument names another, e.g. onnx/model_q4.onnx for GGUFs from scripts/gguf/dequantize_q4_onnx.py),
// from the first 32, 64 and 128 tokens of each benchmark prompt.
//   node --import tsx bench/runtime/ggufParity.ts <model dir> gguf/model-f32.gguf [tokens] [onnx file]
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { emptyPast } from './emptyPast';
import { PROMPT_SPECS, buildPrompts, loadTokenizer, promptSourceText } from './prompts';

async function onnxGreedy(modelDir: string, onnxFile: string, ids: number[], n: number): Promise<number[]> {
  const session = await ort.InferenceSession.create(join(modelDir, onnxFile), { intraOpNumThreads: 2 });
  const seq = [...ids];
  const out: number[] = [];
  for (let step = 0; step < n; step++) {
    const len = seq.length;
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from(seq, BigInt), [1, len]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(len).fill(1n), [1, len]),
      position_ids: new ort.Tensor('int64', BigInt64Array.from({ length: len }, (_, i) => BigInt(i)), [1, len]),
      num_logits_to_keep: new ort.Tensor('int64', new BigInt64Array([1n]), []),
    };
    Object.assign(feeds, emptyPast(session));
    const logits = (await session.run(feeds, ['logits'])).logits.data as Float32Array;
    let best = 0;
    for (let v = 1; v < logits.length; v++) if (logits[v] > logits[best]) best = v;
    out.push(best);
    seq.push(best);
  }
  await session.release();
  return out;
}

async function main(): Promise<void> {
  const [modelDir, file, count, onnxFile = 'onnx/model.onnx'] = process.argv.slice(2);
  const n = Number(count ?? 8);
  const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
  const llama = await getLlama({ gpu: false, build: 'never', progressLogs: false, logLevel: LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath: join(modelDir, file) });
  const tokenizer = loadTokenizer(modelDir);
  let tokenizerMatches = 0;
  for (const spec of PROMPT_SPECS) {
    const text = promptSourceText(spec).slice(spec.offset, spec.offset + 4000);
    const ours = tokenizer.encode(text, { add_special_tokens: false }).ids;
    const theirs = Array.from(model.tokenize(text, false) as number[]);
    const same = JSON.stringify(ours) === JSON.stringify(theirs);
    tokenizerMatches += same ? 1 : 0;
    console.log(`tokenizer ${spec.path}: ours ${ours.length} ids, llama.cpp ${theirs.length}, ${same ? 'identical' : 'DIFFERENT'}`);
  }
  const context = await model.createContext({ contextSize: 1024, threads: 2 });
  const sequence = context.getSequence();
  const prompts = buildPrompts(modelDir);
  let agree = 0, total = 0;
  for (const p of prompts) for (const cut of [32, 64, 128]) {
    const ids = p.ids.slice(0, cut);
    await sequence.clearHistory();
    const theirs: number[] = [];
    for await (const t of sequence.evaluate(ids as never[], { temperature: 0, yieldEogToken: true })) {
      theirs.push(t as number);
      if (theirs.length >= n) break;
    }
    const ours = await onnxGreedy(modelDir, onnxFile, ids, n);
    const prefix = ours.findIndex((t, i) => t !== theirs[i]);
    const matched = prefix < 0 ? n : prefix;
    agree += matched;
    total += n;
    console.log(`${p.name}[:${cut}]: greedy ONNX ${JSON.stringify(ours)} llama.cpp ${JSON.stringify(theirs)} -> first ${matched}/${n} identical`);
  }
  console.log(JSON.stringify({ file, onnxFile, tokenizerMatches, tokenizerCases: PROMPT_SPECS.length, greedyPrefixMatched: agree, greedyTotal: total }));
  await llama.dispose();
}

main().catch((e) => { console.error(e); process.exit(1); });
