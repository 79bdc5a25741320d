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
import { tokenizerDirectory } from '../../runtime/tokenizerFiles';
import { loadDecoder } from '../../runtime/modelLoader';
import { createSession, decodeStepGraph } from '../../runtime/ortBackend';
import { argmax } from '../../runtime/sampler';
import { TextTokenizer } from '../../runtime/tokenizer';
import { emptyPast } from './emptyPast';
import { buildPrompts } from './prompts';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

async function main(): Promise<void> {
  const [dir = 'models/default/target', threadsArg = '1', runsArg = '7'] = process.argv.slice(2);
  const threads = Number(threadsArg);
  const config = readModelConfig(dir);
  const tokenizer = TextTokenizer.fromDirectory(dir);
  // The graph and threads Locus's decode steps run (attention decomposed where it can be), so only the loop differs.
  const file = join(dir, 'onnx', 'model_q4.onnx');
  const target = await loadDecoder(dir, 'q4', threads, tokenizer.vocabSize);
  const stepGraph = target.model.decomposedAttention > 0 ? decodeStepGraph(file) : undefined;
  const session = await createSession(stepGraph?.bytes ?? file, target.model.stepThreads);
  const generator = new Generator({ model: target.model, tokenizer, eosTokenIds: [], maxContext: config.maxPositionEmbeddings });

  const bare = async (ids: readonly number[], newTokens: number): Promise<number> => {
    let past = emptyPast(session);
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
      past = Object.fromEntries(Object.keys(past).map((name) => [name, out[name.replace('past_key_values.', 'present.')]!]));
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

  for (const { name, ids, newTokens } of buildPrompts(tokenizerDirectory(dir))) {
    await bare(ids, newTokens);
    await throughRuntime(ids, newTokens);
    const a: number[] = [];
    const b: number[] = [];
    for (let r = 0; r < Number(runsArg); r++) {
      a.push(await bare(ids, newTokens));
      b.push(await throughRuntime(ids, newTokens));
    }
    console.log(`${name} (${ids.length} prompt tokens, ${threads} thread(s)): bare session.run ${median(a).toFixed(3)} ms/token, Locus's runtime ${median(b).toFixed(3)} ms/token`);
  }
  await session.release();
  await target.model.dispose();
}

void main();
