// What the generation loop needs from a decoder, independent of ONNX Runtime (so the loop is testable with fakes
// and the speculative decoder can drive two of them).

/** A KV cache: opaque to everyone but the backend that made it. `length` is the number of cached positions. */
export interface KvState {
  readonly length: number;
  /** Bytes of cache memory this state holds (the prefix cache's bound). */
  readonly bytes: number;
}

export interface ForwardResult {
  /** One row per kept position (the last `numLogitsToKeep` of the input, or all when it was 0). */
  logits: Float32Array[];
  /** The cache extended by the input; feed it to the next call. The `kv` passed in stays valid. */
  kv: KvState;
}

/**
 * Continuations of one cache advanced together, a token each per pass, in one batched pass that reads the weights
 * once for all of them (beam search). Rows are numbered 0 .. rows - 1; at first only row 0 holds a cache: the prefix.
 */
export interface KvBatch {
  /**
   * One pass: row r continues the cache row parents[r] held before this call with the token ids[r] (parents and ids
   * of one length, at most the batch's rows); the next-token logits of each row. Rows past ids.length are freed.
   */
  step(parents: readonly number[], ids: readonly number[]): Promise<Float32Array[]>;
}

export interface DecoderModel {
  /** A cache with no positions. */
  emptyKv(): KvState;
  /** Runs `ids` at positions kv.length .. kv.length + ids.length - 1 (batch 1). */
  forward(ids: readonly number[], kv: KvState, numLogitsToKeep: number): Promise<ForwardResult>;
  /** A batch of up to `rows` continuations of `kv` (which stays valid); absent where the backend cannot batch. */
  batch?(kv: KvState, rows: number): KvBatch | undefined;
  /** The first `length` positions of `kv` (prompt-prefix reuse); `kv` stays valid. */
  truncate(kv: KvState, length: number): KvState;
  /**
   * The first `length` positions of `kv` for a caller that gives `kv` up (rejected speculative tokens): the next
   * pass may reuse the dropped positions' memory, so no other state longer than `length` made from `kv` may be in use.
   */
  rollback(kv: KvState, length: number): KvState;
  /**
   * log p(ids[i + 1] | ids[0..i]) for i < ids.length - 1 (the last entry is unused), from one pass on an empty cache,
   * without handing out the logits; undefined (or absent) where the backend has no such pass.
   */
  tokenLogProbs?(ids: readonly number[]): Promise<Float32Array | undefined>;
  dispose(): Promise<void>;
}
