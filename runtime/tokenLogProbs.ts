// Log-probabilities of a token sequence under a decoder (the draft model), for Selective Context's
// self-information: one forward pass per window the model can address, computing them inside onnxruntime where the
// backend can (tokenLogProbsModel.ts), else from every position's logits.
import type { DecoderModel } from './decoderModel';

/** log p(ids[i] | ids[0..i)) for every position; the first token of each window has no context and scores 0. */
export async function tokenLogProbs(model: DecoderModel, maxContext: number, ids: readonly number[], signal?: AbortSignal): Promise<number[]> {
  const out = new Array<number>(ids.length).fill(0);
  for (let start = 0; start < ids.length; start += maxContext) {
    if (signal?.aborted) break;
    const window = ids.slice(start, start + maxContext);
    const scored = await model.tokenLogProbs?.(window);
    if (scored !== undefined) {
      for (let i = 1; i < window.length; i++) out[start + i] = scored[i - 1]!;
      continue;
    }
    const { logits } = await model.forward(window, model.emptyKv(), 0);
    for (let i = 1; i < window.length; i++) out[start + i] = logSoftmaxAt(logits[i - 1]!, window[i]!);
  }
  return out;
}

function logSoftmaxAt(row: Float32Array, id: number): number {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) if (row[i]! > max) max = row[i]!;
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += Math.exp(row[i]! - max);
  return row[id]! - max - Math.log(sum);
}
