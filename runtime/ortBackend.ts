// The only file that imports onnxruntime-node: creates the session with CPU-friendly options, reads the model's
// declared signature, builds feeds for exactly the inputs the model declares, and keeps `present` tensors as the
// next call's `past` without copying them.
import { readFileSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import type { DecoderModel, ForwardResult, KvState } from './decoderModel';
import { decomposedAttentionModel, type DecomposedAttentionModel } from './decomposedAttention';
import { ModelSignatureError, toLocusError } from './errors';
import { halfToFloat } from './float16';
import { int8PrefillModel } from './int8PrefillModel';
import type { ModelConfig } from './modelConfig';
import { checkSignature, pastKeyName, pastValueName, presentKeyName, presentValueName, type DeclaredSignature, type DeclaredValue } from './signature';

/** Threads for `threads: 0`: all cores on small machines, about half (one per physical core) on larger ones, at most 6. */
export function defaultThreadCount(cores = availableParallelism()): number {
  return cores <= 4 ? Math.max(1, cores) : Math.min(6, Math.max(1, Math.floor(cores / 2)));
}

export function sessionOptions(threads: number): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads > 0 ? threads : defaultThreadCount(),
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    enableCpuMemArena: true,
    enableMemPattern: true,
    // Pool threads spin between the many small kernels of one run (a one-token step is ~100 of them: sleeping and
    // waking the pool for each cost ~20% of decode speed on 2 cores), and stop spinning when the run returns, so
    // nothing busy-waits between steps or while the editor is idle. bench/results/runtime-* measures both.
    extra: { session: { intra_op: { allow_spinning: '1' }, inter_op: { allow_spinning: '0' }, force_spinning_stop: '1' } },
  };
}

/** Passes over at least this many tokens (prompt prefills) run on the 8-bit copy; steps and verifications on the 4-bit file. */
export const INT8_PREFILL_MIN_TOKENS = 32;
/**
 * 4-bit files up to this size get an 8-bit copy for prefills: it holds twice their bytes in memory (a 22 MB
 * default model costs ~32 MB more); a 0.5B model's copy would cost ~500 MB, so large models prefill in 4-bit.
 */
const INT8_PREFILL_MAX_FILE_BYTES = 128 * 2 ** 20;

/**
 * The 8-bit prefill session for a small 4-bit file, or undefined (other formats, large files, a copy whose inputs
 * or outputs differ, any failure: it only makes prefills faster). Its int8 activations are quantized per pass,
 * so a prompt prefilled at once and the same prompt reused from the prefix cache can round apart at near-ties,
 * as batched and one-token 4-bit passes already do.
 */
async function int8PrefillSession(onnxPath: string, threads: number, main: ort.InferenceSession): Promise<ort.InferenceSession | undefined> {
  let session: ort.InferenceSession | undefined;
  try {
    if (statSync(onnxPath).size > INT8_PREFILL_MAX_FILE_BYTES) return undefined;
    const copy = int8PrefillModel(readFileSync(onnxPath));
    if (copy === undefined) return undefined;
    session = await ort.InferenceSession.create(copy.bytes, sessionOptions(threads));
    const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((name, i) => name === b[i]);
    if (same(session.inputNames, main.inputNames) && same(session.outputNames, main.outputNames)) return session;
  } catch {
    // fall through: the 4-bit session serves every pass
  }
  await session?.release();
  return undefined;
}

/**
 * Files up to this size are read into memory so decode steps can run their attention decomposed: the rewrite holds
 * the file's bytes twice for a moment (a 0.5B model's ~400 MB 4-bit file costs that much more while it loads).
 */
const DECOMPOSE_MAX_FILE_BYTES = 512 * 2 ** 20;

/**
 * The decode-step graph of `onnxPath` with its attention decomposed (decomposedAttention.ts), or undefined when the
 * file is kept as it is (no GroupQueryAttention it can rewrite, too large, external weights, unreadable: the
 * session then reports what is wrong with the file itself).
 */
export function decodeStepGraph(onnxPath: string): DecomposedAttentionModel | undefined {
  try {
    if (statSync(onnxPath).size > DECOMPOSE_MAX_FILE_BYTES) return undefined;
    return decomposedAttentionModel(readFileSync(onnxPath));
  } catch {
    return undefined;
  }
}

class OrtKv implements KvState {
  constructor(
    readonly tensors: ort.Tensor[],
    readonly length: number,
  ) {}
}

type KvData = Float32Array | Uint16Array;

function toFloat32(data: unknown): Float32Array {
  if (data instanceof Float32Array) return data;
  if (data instanceof Uint16Array) return Float32Array.from(data, halfToFloat);
  throw new ModelSignatureError('The model\'s logits are neither float32 nor float16.');
}

function describe(meta: readonly ort.InferenceSession.ValueMetadata[], names: readonly string[]): DeclaredValue[] {
  return names.map((name) => {
    const m = meta?.find((v) => v.name === name);
    return m && m.isTensor ? { name, type: m.type, shape: m.shape } : { name, shape: [] };
  });
}

export class OrtDecoderModel implements DecoderModel {
  private readonly inputs: Set<string>;
  private readonly emptyPast: ort.Tensor[];

  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly config: ModelConfig,
    readonly signature: DeclaredSignature,
    readonly kvType: string,
    /** Same graph with 8-bit weights, for long prefills of a small 4-bit model (see int8PrefillModel.ts). */
    private prefillSession: ort.InferenceSession | undefined,
    private readonly decomposedNodes: number,
  ) {
    this.inputs = new Set(session.inputNames);
    this.emptyPast = [];
    for (let i = 0; i < config.numLayers; i++) {
      for (const name of [pastKeyName(i), pastValueName(i)]) {
        const declared = signature.inputs.find((v) => v.name === name)!;
        // Batch is 1, the past axis (and any other symbolic one) 0; fixed dims as declared.
        const dims =
          declared.shape.length === 4
            ? declared.shape.map((d, axis) => (axis === 0 ? 1 : typeof d === 'number' ? d : 0))
            : [1, config.numKeyValueHeads, 0, config.headDim];
        this.emptyPast.push(new ort.Tensor(kvType as 'float32', kvType === 'float16' ? new Uint16Array(0) : new Float32Array(0), dims));
      }
    }
  }

  /**
   * Creates the session and checks its signature against `config` (ModelSignatureError, ModelFileCorruptError, ...).
   * Decode steps run the graph with its attention decomposed where decomposedAttention.ts can rewrite it, unless
   * `decomposeAttention` is false (benches compare the two); long prefills run the 8-bit copy of the file as it is.
   */
  static async create(onnxPath: string, config: ModelConfig, threads: number, options: { decomposeAttention?: boolean } = {}): Promise<OrtDecoderModel> {
    let graph = options.decomposeAttention === false ? undefined : decodeStepGraph(onnxPath);
    let session: ort.InferenceSession;
    try {
      session = graph ? await ort.InferenceSession.create(graph.bytes, sessionOptions(threads)) : await ort.InferenceSession.create(onnxPath, sessionOptions(threads));
    } catch (e) {
      if (graph === undefined) throw toLocusError(e);
      // The rewrite only makes steps faster: a copy onnxruntime refuses leaves the file as it is.
      graph = undefined;
      try {
        session = await ort.InferenceSession.create(onnxPath, sessionOptions(threads));
      } catch (e2) {
        throw toLocusError(e2);
      }
    }
    const signature: DeclaredSignature = {
      inputs: describe(session.inputMetadata, session.inputNames),
      outputs: describe(session.outputMetadata, session.outputNames),
    };
    let kvType: string;
    try {
      kvType = checkSignature(signature, config);
    } catch (e) {
      await session.release();
      throw e;
    }
    return new OrtDecoderModel(session, config, signature, kvType, await int8PrefillSession(onnxPath, threads, session), graph?.decomposed ?? 0);
  }

  /** GroupQueryAttention nodes the decode-step session runs as standard ops (0: the graph as exported). */
  get decomposedAttention(): number {
    return this.decomposedNodes;
  }

  /** Whether long prefills run on an 8-bit copy of the weights. */
  get int8Prefill(): boolean {
    return this.prefillSession !== undefined;
  }

  emptyKv(): KvState {
    return new OrtKv(this.emptyPast, 0);
  }

  async forward(ids: readonly number[], kv: KvState, numLogitsToKeep: number): Promise<ForwardResult> {
    const past = kv as OrtKv;
    const pastLength = past.length;
    const total = pastLength + ids.length;
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]),
    };
    if (this.inputs.has('attention_mask')) feeds.attention_mask = new ort.Tensor('int64', new BigInt64Array(total).fill(1n), [1, total]);
    if (this.inputs.has('position_ids')) {
      feeds.position_ids = new ort.Tensor('int64', BigInt64Array.from(ids, (_, i) => BigInt(pastLength + i)), [1, ids.length]);
    }
    if (this.inputs.has('num_logits_to_keep')) feeds.num_logits_to_keep = new ort.Tensor('int64', BigInt64Array.of(BigInt(numLogitsToKeep)), []);
    if (this.inputs.has('use_cache_branch')) feeds.use_cache_branch = new ort.Tensor('bool', Uint8Array.of(pastLength > 0 ? 1 : 0), [1]);
    for (let i = 0; i < this.config.numLayers; i++) {
      feeds[pastKeyName(i)] = past.tensors[2 * i];
      feeds[pastValueName(i)] = past.tensors[2 * i + 1];
    }
    let out: ort.InferenceSession.ReturnType;
    try {
      out = await this.run(feeds, ids.length);
    } catch (e) {
      throw toLocusError(e);
    }
    const logits = out.logits;
    const [, rows, width] = logits.dims;
    const data = toFloat32(logits.data);
    const keep = numLogitsToKeep > 0 ? Math.min(numLogitsToKeep, rows) : rows;
    const rowsOut: Float32Array[] = [];
    for (let r = rows - keep; r < rows; r++) rowsOut.push(data.subarray(r * width, (r + 1) * width));
    const presents: ort.Tensor[] = [];
    for (let i = 0; i < this.config.numLayers; i++) presents.push(out[presentKeyName(i)], out[presentValueName(i)]);
    return { logits: rowsOut, kv: new OrtKv(presents, total) };
  }

  /** Runs a pass of `tokens` tokens on the session for its length; a failing 8-bit copy is dropped for good. */
  private async run(feeds: Record<string, ort.Tensor>, tokens: number): Promise<ort.InferenceSession.ReturnType> {
    const prefill = this.prefillSession;
    if (prefill === undefined || tokens < INT8_PREFILL_MIN_TOKENS) return this.session.run(feeds);
    try {
      return await prefill.run(feeds);
    } catch {
      this.prefillSession = undefined;
      void prefill.release().catch(() => undefined);
      return this.session.run(feeds);
    }
  }

  /** Runs each session once, so the first real request pays neither's first-run allocations. */
  async warmUp(tokenId: number): Promise<ForwardResult> {
    if (this.prefillSession !== undefined) await this.forward(new Array<number>(INT8_PREFILL_MIN_TOKENS).fill(tokenId), this.emptyKv(), 1);
    return this.forward([tokenId], this.emptyKv(), 1);
  }

  truncate(kv: KvState, length: number): KvState {
    const src = kv as OrtKv;
    if (length >= src.length) return src;
    if (length <= 0) return this.emptyKv();
    const tensors = src.tensors.map((t) => {
      const [batch, heads, positions, headDim] = t.dims;
      const data = t.data as KvData;
      const out = new (data.constructor as { new (n: number): KvData })(batch * heads * length * headDim);
      // [B, H, T, D] is contiguous: each (batch, head) keeps its first `length` rows of D values.
      for (let bh = 0; bh < batch * heads; bh++) {
        out.set(data.subarray(bh * positions * headDim, bh * positions * headDim + length * headDim), bh * length * headDim);
      }
      return new ort.Tensor(t.type as 'float32', out as Float32Array, [batch, heads, length, headDim]);
    });
    return new OrtKv(tensors, length);
  }

  async dispose(): Promise<void> {
    const prefill = this.prefillSession;
    this.prefillSession = undefined;
    await Promise.allSettled([prefill?.release(), this.session.release()]);
  }
}
