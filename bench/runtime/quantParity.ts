// Checks a quantized ONNX decoder against its fp32 source in onnxruntime-node: prefill of the benchmark prompts
// with every row of logits kept, then max / mean |Δlogit| and top-1 (greedy) agreement over all positions.
//   node --import tsx bench/runtime/quantParity.ts <model dir> [onnx/model_int8.onnx onnx/model_q4.onnx]
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { emptyPast } from './emptyPast';
import { buildPrompts } from './prompts';
import type { BenchPrompt } from './types';

export interface ParityResult {
  file: string;
  positions: number;
  maxAbsErr: number;
  meanAbsErr: number;
  top1Agreement: number;
  /** Mean |logit| of the reference, to read the errors against. */
  meanAbsRef: number;
}

async function logitsFor(session: ort.InferenceSession, prompt: BenchPrompt): Promise<Float32Array[]> {
  const n = prompt.ids.length;
  const feeds: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', BigInt64Array.from(prompt.ids, BigInt), [1, n]),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]),
  };
  if (session.inputNames.includes('position_ids')) {
    feeds.position_ids = new ort.Tensor('int64', BigInt64Array.from({ length: n }, (_, i) => BigInt(i)), [1, n]);
  }
  if (session.inputNames.includes('num_logits_to_keep')) feeds.num_logits_to_keep = new ort.Tensor('int64', new BigInt64Array([0n]), []);
  Object.assign(feeds, emptyPast(session));
  const out = await session.run(feeds, ['logits']);
  const data = out.logits.data as Float32Array;
  const vocab = out.logits.dims[2];
  return Array.from({ length: n }, (_, i) => data.subarray(i * vocab, (i + 1) * vocab));
}

function argmax(xs: Float32Array): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i] > xs[best]) best = i;
  return best;
}

export async function quantParity(modelDir: string, files: string[], threads = 2): Promise<ParityResult[]> {
  const prompts = buildPrompts(modelDir);
  const options: ort.InferenceSession.SessionOptions = { intraOpNumThreads: threads, interOpNumThreads: 1 };
  const ref = await ort.InferenceSession.create(join(modelDir, 'onnx', 'model.onnx'), options);
  const refLogits: Float32Array[][] = [];
  for (const p of prompts) refLogits.push((await logitsFor(ref, p)).map((row) => row.slice()));
  await ref.release();
  const results: ParityResult[] = [];
  for (const file of files) {
    const session = await ort.InferenceSession.create(join(modelDir, file), options);
    let maxAbsErr = 0, sumAbsErr = 0, sumAbsRef = 0, count = 0, agree = 0, positions = 0;
    for (const [pi, p] of prompts.entries()) {
      const rows = await logitsFor(session, p);
      rows.forEach((row, i) => {
        const r = refLogits[pi][i];
        for (let v = 0; v < row.length; v++) {
          const e = Math.abs(row[v] - r[v]);
          if (e > maxAbsErr) maxAbsErr = e;
          sumAbsErr += e;
          sumAbsRef += Math.abs(r[v]);
        }
        count += row.length;
        positions++;
        if (argmax(row) === argmax(r)) agree++;
      });
    }
    await session.release();
    results.push({ file, positions, maxAbsErr, meanAbsErr: sumAbsErr / count, top1Agreement: agree / positions, meanAbsRef: sumAbsRef / count });
  }
  return results;
}

async function main(): Promise<void> {
  const [modelDir, ...files] = process.argv.slice(2);
  const chosen = files.length ? files : ['onnx/model_int8.onnx', 'onnx/model_q4.onnx'].filter((f) => existsSync(join(modelDir, f)));
  console.log(JSON.stringify(await quantParity(modelDir, chosen), null, 2));
}

if (require.main === module) {
  main().catch((e) => { console.error(e); process.exit(1); });
}
