// What Locus's decode loop adds to onnxruntime's own run: a bare loop of `session.run` calls that feeds each
// present back as the next past (greedy argmax, nothing else) alternated with `Generator.generate` (plain decoding)
// on the runtime bench's prompts (same text, length and new tokens) and the same 4-bit file; medians of ms per
// decoded token.
//   node --import tsx bench/runtime/loopOverhead.ts [model dir] [threads] [runs]
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { GREEDY_SAMPLING } from '../../runtime/engine';
import { Generator } from '../../runtime/generator';
import { readModelConfig } from '../../runtime/modelConfig';
import { loadDecoder } from '../../runtime/modelLoader';
import { sessionOptions } from '../../runtime/ortBackend';
import { argmax } from '../../runtime/sampler';
import { TextTokenizer } from '../../runtime/tokenizer';
import { PROMPT_SPECS, promptSourceText } from './prompts';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

async function main(): Promise<void> {
  const [dir = 'models/default/target', threadsArg = '1', runsArg = '7'] = process.argv.slice(2);
  const threads = Number(threadsArg);
  const config = readModelConfig(dir);
  const tokenizer = TextTokenizer.fromDirectory(dir);
  const session = await ort.InferenceSession.create(join(dir, 'onnx', 'model_q4.onnx'), sessionOptions(threads));
  const target = await loadDecoder(dir, 'q4', threads, tokenizer.vocabSize);
  const generator = new Generator({ model: target.model, tokenizer, eosTokenIds: [], maxContext: config.maxPositionEmbeddings });
  const pastMeta = session.inputMetadata.filter(
    (m): m is ort.InferenceSession.TensorValueMetadata => m.isTensor && m.name.startsWith('past_key_values.'),
  );

  const bare = async (ids: readonly number[], newTokens: number): Promise<number> => {
    let past: Record<string, ort.Tensor> = {};
    for (const m of pastMeta) {
      const dims = m.shape.map((d, i) => (i === 0 ? 1 : typeof d === 'number' ? d : 0));
      past[m.name] = m.type === 'float16' ? new ort.Tensor('float16', new Uint16Array(0), dims) : new ort.Tensor('float32', new Float32Array(0), dims);
    }
    let step: readonly number[] = ids;
    let length = 0;
    let firstTokenAt = 0;
    for (let n = 0; n < newTokens; n++) {
      const total = length + step.length;
      const out = await session.run({
        ...past,
        input_ids: new ort.Tensor('int64', BigInt64Array.from(step, BigInt), [1, step.length]),
        attention_mask: new ort.Tensor('int64', new BigInt64Array(total).fill(1n), [1, total]),
        position_ids: new ort.Tensor('int64', BigInt64Array.from(step, (_, i) => BigInt(length + i)), [1, step.length]),
        num_logits_to_keep: new ort.Tensor('int64', BigInt64Array.of(1n), []),
      });
      if (n === 0) firstTokenAt = performance.now();
      const next = argmax(out.logits.data as Float32Array);
      past = Object.fromEntries(pastMeta.map((m) => [m.name, out[m.name.replace('past_key_values.', 'present.')]]));
      length = total;
      step = [next];
    }
    return (performance.now() - firstTokenAt) / (newTokens - 1);
  };
  const throughRuntime = async (ids: number[], newTokens: number): Promise<number> => {
    generator.clearPrefixCache();
    const r = await generator.generate({ promptIds: ids, maxNewTokens: newTokens, sampling: GREEDY_SAMPLING, stopStrings: [], speculation: 'off' });
    return (r.timings.totalMs - r.timings.firstTokenMs) / (r.tokenIds.length - 1);
  };

  for (const spec of PROMPT_SPECS) {
    const text = promptSourceText(spec);
    // The runtime bench's prompts (prompts.ts's buildPrompts, through the runtime's tokenizer, which finds a shared one).
    const start = spec.offset === 0 ? 0 : text.indexOf('\n', spec.offset) + 1;
    const ids = tokenizer.encode(text.slice(start, start + spec.promptTokens * 8)).slice(0, spec.promptTokens);
    await bare(ids, spec.newTokens);
    await throughRuntime(ids, spec.newTokens);
    const a: number[] = [];
    const b: number[] = [];
    for (let r = 0; r < Number(runsArg); r++) {
      a.push(await bare(ids, spec.newTokens));
      b.push(await throughRuntime(ids, spec.newTokens));
    }
    console.log(`${spec.name} (${ids.length} prompt tokens, ${threads} thread(s)): bare session.run ${median(a).toFixed(3)} ms/token, Locus's runtime ${median(b).toFixed(3)} ms/token`);
  }
  await session.release();
  await target.model.dispose();
}

void main();
