// The measurement the process-per-load benches (optimizedCopy, hugePages) make once a model is loaded: a cold prompt
// of made-up token ids, then greedy steps.
import type { DecoderModel } from '../../runtime/decoderModel';
import { argmax } from '../../runtime/sampler';

export interface PromptThenDecode {
  prefillMs: number;
  decodeTokensPerSecond: number;
  /** The greedy tokens, to compare ways of loading the same model. */
  tokens: number[];
}

export async function promptThenDecode(model: DecoderModel, vocabSize: number, promptTokens: number, decodeTokens: number): Promise<PromptThenDecode> {
  const prompt = Array.from({ length: promptTokens }, (_, i) => (i * 7919) % vocabSize);
  let t = performance.now();
  let out = await model.forward(prompt, model.emptyKv(), 1);
  const prefillMs = performance.now() - t;
  const tokens: number[] = [];
  t = performance.now();
  for (let i = 0; i < decodeTokens; i++) {
    const best = argmax(out.logits[0]!);
    tokens.push(best);
    out = await model.forward([best], out.kv, 1);
  }
  return { prefillMs, decodeTokensPerSecond: decodeTokens / ((performance.now() - t) / 1000), tokens };
}
