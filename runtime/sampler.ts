// Picks the next token from a logits row: greedy, or temperature + top-k + top-p with a seeded PRNG so a given
// seed always produces the same tokens.
import type { SamplingOptions } from './engine';

/** mulberry32: a tiny, fast 32-bit PRNG; returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Index of the largest value (the first one on ties). */
export function argmax(logits: Float32Array): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  return best;
}

/** The k-th largest value of `values` (k >= 1). */
function kthLargest(values: Float32Array, k: number): number {
  const sorted = Float32Array.from(values).sort();
  return sorted[sorted.length - k];
}

export class Sampler {
  private readonly random: () => number;

  constructor(private readonly options: SamplingOptions) {
    this.random = mulberry32(options.seed);
  }

  get greedy(): boolean {
    return !(this.options.temperature > 0);
  }

  /** A fresh draw in [0, 1) from this sampler's seeded stream (speculative verification shares it). */
  random01(): number {
    return this.random();
  }

  sample(logits: Float32Array): number {
    if (this.greedy) return argmax(logits);
    const probs = this.distribution(logits);
    let r = this.random();
    let last = 0;
    for (let i = 0; i < probs.length; i++) {
      if (probs[i] === 0) continue;
      last = i;
      r -= probs[i];
      if (r < 0) return i;
    }
    return last;
  }

  /**
   * The distribution `sample` draws from (temperature, top-k and top-p applied; sums to 1). Speculative
   * sampling compares target and draft through these, so both are processed exactly as plain sampling is.
   */
  distribution(logits: Float32Array): Float32Array {
    const { topK, topP } = this.options;
    const temperature = this.greedy ? 1 : this.options.temperature;
    const n = logits.length;
    const cutoff = topK > 0 && topK < n ? kthLargest(logits, topK) : -Infinity;
    const max = logits[argmax(logits)];
    const probs = new Float32Array(n);
    let sum = 0;
    for (let i = 0; i < n; i++) {
      if (logits[i] >= cutoff) {
        probs[i] = Math.exp((logits[i] - max) / temperature);
        sum += probs[i];
      }
    }
    let floor = 0;
    if (topP > 0 && topP < 1) {
      // Nucleus: the smallest probability still inside the top-p mass; everything below it is cut.
      const sorted = Float32Array.from(probs).sort();
      let mass = 0;
      for (let i = n - 1; i >= 0 && sorted[i] > 0; i--) {
        mass += sorted[i];
        floor = sorted[i];
        if (mass >= topP * sum) break;
      }
    }
    let kept = 0;
    for (let i = 0; i < n; i++) {
      if (probs[i] < floor) probs[i] = 0;
      kept += probs[i];
    }
    for (let i = 0; i < n; i++) probs[i] /= kept;
    return probs;
  }
}
