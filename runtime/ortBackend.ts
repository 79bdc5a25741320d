// The only file that imports onnxruntime-node: creates the session with CPU-friendly options, reads the model's
// declared signature, builds feeds for exactly the inputs the model declares, and keeps the KV cache: in its own
// growing buffers where the graph allows (kvArena.ts, kvRowsModel.ts), else as the `present` tensors the previous
// pass returned.
import './onnxruntimeTelemetryOff';
import { readFileSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { DecoderModel, ForwardResult, KvBatch, KvState } from './decoderModel';
import { decomposedAttentionModel, type DecomposedAttentionModel } from './decomposedAttention';
import { ModelLoadFailedError, ModelSignatureError, toLocusError } from './errors';
import { halfToFloat } from './float16';
import { int8PrefillModel } from './int8PrefillModel';
import { ArenaKv, KvArena, releaseRows, reserveRows, rewind, rowBits, writeRows, type KvBuffer } from './kvArena';
import { KvRowsBatch } from './kvBatch';
import { kvRowsModel } from './kvRowsModel';
import { LOGITS_TO_KEEP_INPUT } from './logitsToKeepModel';
import { SCORED_IDS_INPUT, TOKEN_LOG_PROBS_OUTPUT, tokenLogProbsModel } from './tokenLogProbsModel';
import type { AttentionShape } from './attentionFusion';
import { filePreparedModel, preparedSplice, type Preparation, type PrepareOptions } from './preparedModel';
import { attentionReadsOnlyValidRows, bytesSource, fileGraphSkeleton, graphSkeleton, splicedModel } from './onnxSkeleton';
import type { ModelConfig } from './modelConfig';
import type { PrefillFile } from './modelFiles';
import { optimizedFileSession, cpuIdentity, type SessionMaker } from './optimizedSession';
import { usablePrefillFile } from './prefillFile';
import { checkSignature, pastKeyName, pastValueName, presentKeyName, presentRowsName, presentValueName, type DeclaredSignature, type DeclaredValue } from './signature';

/** Threads for `threads: 0`: all cores on small machines, about half (one per physical core) on larger ones, at most 6. */
export function defaultThreadCount(cores = availableParallelism()): number {
  return cores <= 4 ? Math.max(1, cores) : Math.min(6, Math.max(1, Math.floor(cores / 2)));
}

/**
 * `externalDataFolder`: where a model loaded from bytes finds the external data files it names (its file's folder).
 * onnxruntime refuses such a model without it: from bytes it has no path to resolve them against.
 */
export function sessionOptions(threads: number, externalDataFolder?: string, entries: Record<string, string> = {}): ort.InferenceSession.SessionOptions {
  const folder = externalDataFolder === undefined ? {} : { model_external_initializers_file_folder_path: externalDataFolder };
  return {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads > 0 ? threads : defaultThreadCount(),
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    enableCpuMemArena: true,
    // A memory pattern is planned per set of input shapes and pays off only when they come back. A decode step's
    // never do (the context grows by one each step), prompts' seldom: with it off, steps ran 1-6% faster and long
    // prefills within 2% (`npm run bench -- memPattern`, bench/results/mem-pattern-*.md).
    enableMemPattern: false,
    // Pool threads spin between the many small kernels of one run (a one-token step is ~100 of them: sleeping and
    // waking the pool for each cost ~20% of decode speed on 2 cores), and stop spinning when the run returns, so
    // nothing busy-waits between steps or while the editor is idle. bench/results/runtime-* measures both.
    extra: { session: { intra_op: { allow_spinning: '1' }, inter_op: { allow_spinning: '0' }, force_spinning_stop: '1', ...folder, ...entries } },
  };
}

/** Passes over at least this many tokens (prompt prefills) run on the 8-bit weights; steps and verifications on the 4-bit file. */
export const INT8_PREFILL_MIN_TOKENS = 32;
/**
 * Files up to this size are rewritten in memory where they have no kept copies (a 4-bit file keeps them in the cache
 * folder like a large one, keptSmall; other formats, or a cache folder that cannot hold them, get graphs built in
 * memory at every load). A 4-bit one gets an 8-bit copy for prefills: it holds twice their
 * bytes in memory (a 22 MB default model costs ~32 MB more); a 0.5B model's copy would cost ~500 MB and a long
 * conversion at every load, so large models prefill on their folder's 8-bit file where there is one (prefillFile.ts),
 * else on a copy written once to a cache folder (prefillCopyCache.ts). Any of them gets the outputs that let the
 * runtime keep its KV cache (kvRowsModel.ts); a large file keeps its graph as it is (and its cache in the `shared`
 * mode), because loading one from memory took longer and held more than from its path (a 398 MB file: 6.2 against
 * 3.8 s, 1.1 against 0.8 GB). The exception is a file the runtime prepares (preparedModel.ts: no
 * `num_logits_to_keep`, 4-bit products left at float32 compute, plain attention), whose passes gain far more than the
 * load costs: loaded from its prepared copy kept in the cache folder, or prepared in memory where there is none.
 * Beside an 8-bit file, a large 4-bit file's steps run on a decode-step file kept there too (decodeStepFile.ts).
 */
const IN_MEMORY_MAX_FILE_BYTES = 128 * 2 ** 20;

/** Whether `onnxPath` loads as a large file: no graphs built from it in memory (IN_MEMORY_MAX_FILE_BYTES). */
export function isLargeModelFile(onnxPath: string): boolean {
  return statSync(onnxPath).size > IN_MEMORY_MAX_FILE_BYTES;
}

/**
 * How a model's KV cache is kept. `rows`: in the runtime's buffers (kvArena.ts), each pass fetching only the rows it
 * added (kvRowsModel.ts; files rewritten in memory, and a large file's decode-step file, whose 8-bit file's prefills
 * append their rows in place as in `shared`). `shared`: in the runtime's buffers, handed to onnxruntime as both each
 * layer's past and its preallocated present, which GroupQueryAttention then appends to in place (large files, whose
 * graphs are not rewritten but for logitsToKeepModel.ts). `returned`: as the `present` tensors each pass returns
 * (attention that reads the past otherwise, such as plain exports).
 */
export type KvCacheMode = 'rows' | 'shared' | 'returned';

interface InMemoryGraphs {
  /**
   * Whether the file loads from its path (or as `base`) and its kept copies, with no graphs built from it in memory:
   * a large file, or a small one whose copies are kept (`keptSmall`).
   */
  large?: boolean;
  /**
   * A small 4-bit file loaded from its kept 8-bit copy and decode-step file, as a large file with them is, where
   * otherwise its graphs would be built in memory at every load: the embedded pair's server was ready in 1,227
   * against 1,721 ms (bench/results/first-completions-small-copies-2026-12-06.md). Its steps run on the threads of
   * the in-memory step graph (STEP_THREADS_WITH_COPY).
   */
  keptSmall?: boolean;
  /** Whether only GroupQueryAttention reads the large file's cache, as prepared (attentionReadsOnlyValidRows). */
  sharesCache?: boolean;
  /**
   * The file prepared as the runtime runs it (preparedModel.ts: the `num_logits_to_keep` input it lacked, int8
   * compute where its 4-bit products left it unset, fused attention), which every graph here is built from and the file's session
   * loads instead of its path; undefined where there is nothing to prepare or it cannot be.
   * A large file's is built when its session is, so that its bytes are garbage once the session holds the weights.
   */
  base?: () => Uint8Array | undefined;
  /** What `base` changes (cleared where it could not be built). */
  prepared?: Preparation;
  /** How the graphs were prepared (undefined: as exported). */
  prepareOptions?: PrepareOptions;
  /** A large file's kept prepared copy, loaded from its path instead of preparing the file in memory. */
  preparedPath?: string;
  /** The file as exported, after onnxruntime refused it prepared: its prefill file is left as it is too. */
  unprepared?: boolean;
  /**
   * The file's own graph with the rows outputs (kvRowsModel.ts); present exactly when every graph here has them and
   * room for them, so the runtime keeps the cache in the `rows` mode.
   */
  file?: Uint8Array;
  int8Prefill?: Uint8Array;
  decodeSteps?: DecomposedAttentionModel;
  /**
   * A large file's kept decode-step file (decodeStepFile.ts), made from the graph its session would load: its steps
   * run on it where long prompts prefill on an 8-bit file.
   */
  stepPath?: string;
}

/**
 * The graphs a small file also runs as, built in memory: the file's graph with the outputs that let the runtime keep
 * the KV cache, an 8-bit copy of a 4-bit file for long prefills (int8PrefillModel.ts; its int8 activations are
 * quantized per pass, so a prompt prefilled at once and the same prompt reused from the prefix cache can round apart
 * at near-ties, as batched and one-token 4-bit passes already do) and, when steps run on one thread
 * (STEP_THREADS_WITH_COPY), its decode-step graph with the attention decomposed (decomposedAttention.ts).
 * Decomposition comes only with the copy: the decomposed graph prefills slower than the fused one, so prefills need
 * a session of their own, and only the copy gives one without holding the same weights twice. Only on one thread:
 * its ~160 extra small kernels cost more in a thread pool, where steps measured 0.88-1.10x of the fused graph's,
 * against 1.09-1.24x at 256-768 positions on one thread (bench/results/attention-*.md). Each is undefined where
 * the file is used as it is (large files, nothing to rewrite, any failure: they only make passes faster).
 */
function inMemoryGraphs(onnxPath: string, decompose: boolean, keepCache: boolean, prepare: PrepareOptions | undefined, kept?: KeptPreparedFile, steps?: KeptStepFile): InMemoryGraphs {
  const unprepared = !prepare;
  try {
    if (isLargeModelFile(onnxPath)) return largeFile(onnxPath, prepare, kept, steps);
    const original = readFileSync(onnxPath);
    const skeleton = prepare ? graphSkeleton(bytesSource(original)) : undefined;
    const splice = skeleton && preparedSplice(skeleton, prepare!);
    const rewritten = splice && splicedModel(bytesSource(original), skeleton!, splice.replaced, splice.appended, splice.modelAppended);
    const base = rewritten && (() => rewritten);
    const prepared = splice && preparation(splice);
    const bytes = rewritten ?? original;
    // Read once for both rewrites below: the graph read for the preparation, where nothing was prepared.
    const bytesSkeleton = (rewritten === undefined && skeleton) || graphSkeleton(bytesSource(bytes));
    let file = keepCache ? kvRowsModel(bytes, bytesSkeleton) : undefined;
    const copy = int8PrefillModel(bytes, bytesSkeleton);
    let int8Prefill = copy?.bytes;
    if (file && copy) {
      // The copy reads the cache as the file does, so it gets the rows outputs whenever the file does.
      int8Prefill = kvRowsModel(copy.bytes);
      if (int8Prefill === undefined) [file, int8Prefill] = [undefined, copy.bytes];
    }
    if (copy === undefined) return { file, base, prepared, unprepared, prepareOptions: prepare };
    let decodeSteps: DecomposedAttentionModel | undefined;
    try {
      decodeSteps = decompose ? decomposedAttentionModel(bytes, file !== undefined) : undefined;
    } catch {
      // the 8-bit copy still serves prefills
    }
    return { file, base, prepared, unprepared, prepareOptions: prepare, int8Prefill, decodeSteps };
  } catch {
    return { unprepared };
  }
}

/** The attention shape to fuse a plain export's attention with (attentionFusion.ts); none for sliding windows, which it does not reproduce. */
export function fusableAttention(config: ModelConfig): AttentionShape | undefined {
  if (config.slidingWindow !== undefined) return undefined;
  const rotary = config.plainRopeTheta === undefined ? undefined : { theta: config.plainRopeTheta, maxPositions: config.maxPositionEmbeddings };
  return { numHeads: config.numAttentionHeads, kvHeads: config.numKeyValueHeads, headDim: config.headDim, ...(rotary && { rotary }) };
}

const preparation = (p: Preparation): Preparation => ({
  addsLogitsToKeep: p.addsLogitsToKeep,
  int8Accuracy: p.int8Accuracy,
  fusedAttention: p.fusedAttention,
  quantizedOutputLayer: p.quantizedOutputLayer,
  quantizedLookup: p.quantizedLookup,
});

/** A large file's prepared copy kept on disk (prefillCopyCache.ts preparedCopy) and the options it was prepared with. */
export interface KeptPreparedFile {
  onnx: string;
  options: PrepareOptions;
}

/** A large file's kept decode-step file (decodeStepFile.ts) and the file it was made from (the model's, or its kept prepared copy). */
export interface KeptStepFile {
  onnx: string;
  source: string;
}

/**
 * A file loaded as it is, or prepared where it needs it: from its kept prepared copy where that matches, else from
 * memory. `steps` is taken where it was made from the graph the file's session loads.
 */
function largeFile(onnxPath: string, prepare: PrepareOptions | undefined, kept?: KeptPreparedFile, steps?: KeptStepFile): InMemoryGraphs {
  const skeleton = fileGraphSkeleton(onnxPath);
  const splice = prepare && skeleton ? preparedSplice(skeleton, prepare) : undefined;
  const sharesCache = skeleton !== undefined && attentionReadsOnlyValidRows(skeleton);
  if (!splice) return { large: true, sharesCache, unprepared: !prepare, prepareOptions: prepare, ...(steps?.source === onnxPath && prepare && { stepPath: steps.onnx }) };
  // Fused attention is GroupQueryAttention reading the cache alone (attentionFusion.ts leaves nothing else reading it).
  const graphs: InMemoryGraphs = { large: true, sharesCache: sharesCache || splice.fusedAttention > 0, prepared: preparation(splice), prepareOptions: prepare };
  if (kept && JSON.stringify(kept.options) === JSON.stringify(prepare)) {
    graphs.preparedPath = kept.onnx;
    if (steps?.source === kept.onnx) graphs.stepPath = steps.onnx;
    return graphs;
  }
  graphs.base = () => {
    const bytes = filePreparedModel(onnxPath, skeleton, prepare);
    // Unreadable now: the session loads the file as it is, and nothing was prepared.
    if (bytes === undefined) graphs.prepared = undefined;
    return bytes;
  };
  return graphs;
}

/**
 * Threads of the decode-step session beside an 8-bit prefill copy (a small model), whatever `threads` says; passes of
 * INT8_PREFILL_MIN_TOKENS or more (prompt prefills, on the copy) keep `threads`, shorter ones (the new tokens after a
 * prefix-cache hit) run on the step session. A small model's step is ~110 kernels of a few µs each, and a pool's hand-offs cost more
 * than a second core gives back: on this 2-core VM the 4-bit default decoded at 506 tok/s on one thread against 354
 * on two (runtime-2026-12-05-tenth.md); through the server, completions' p95 fell 4-15% with ~15% less CPU each
 * (step-threads-2026-12-05.md). Files without the copy (large ones) step on every thread: their steps read
 * hundreds of MB, more than one core streams.
 */
const STEP_THREADS_WITH_COPY = 1;

/**
 * The graph the runtime's decode steps run for `onnxPath` when it is not the file's own, in the form fed the cache as
 * returned tensors (benches drive it with bare sessions; with the kept cache the runtime runs its form with room).
 */
export function decodeStepGraph(onnxPath: string): DecomposedAttentionModel | undefined {
  return inMemoryGraphs(onnxPath, true, false, { logitsToKeep: true }).decodeSteps;
}

/** A session of a file or of in-memory bytes with the runtime's options for `threads`, plus `extra` (benches profile). */
export async function createSession(
  model: string | Uint8Array,
  threads: number,
  extra: ort.InferenceSession.SessionOptions = {},
  externalDataFolder?: string,
): Promise<ort.InferenceSession> {
  const options = { ...sessionOptions(threads, externalDataFolder), ...extra };
  // Two calls because create's path and bytes forms are separate overloads.
  return typeof model === 'string' ? ort.InferenceSession.create(model, options) : ort.InferenceSession.create(model, options);
}

/** Opens a session of a model (a path, or bytes whose external data is in `folder`) with `threads` threads. */
type SessionOpener = (model: string | Uint8Array, threads: number, folder?: string) => Promise<ort.InferenceSession>;

/** Where a load keeps onnxruntime's optimized copies of large files (optimizedSession.ts), and whom it tells of one it writes. */
export interface KeptSessionCopies {
  folder: string;
  onBuild?: (path: string, bytes: number) => void;
}

/**
 * Opens sessions as createSession does, but from paths through their optimized copies in `kept.folder`
 * (optimizedSession.ts): only a large file's sessions open from paths (its own, its 8-bit file, its kept copies; a
 * small file's from bytes). `used` collects the copies the sessions came from or were written to.
 */
function sessionOpener(kept: KeptSessionCopies | undefined, used: string[]): SessionOpener {
  return async (model, threads, folder) => {
    if (kept === undefined || typeof model !== 'string') return createSession(model, threads, {}, folder);
    const maker = ortSessionMaker(threads);
    const opened = await optimizedFileSession(model, kept.folder, maker, (bytes) => kept.onBuild?.(model, bytes));
    if ('file' in opened.copy) used.push(opened.copy.file);
    return opened.session;
  };
}

/** onnxruntime's sessions for optimizedSession.ts, with the runtime's options for `threads`. */
function ortSessionMaker(threads: number): SessionMaker<ort.InferenceSession> {
  return {
    variant: `onnxruntime ${ort.env.versions.node ?? ort.env.versions.common} on ${cpuIdentity()}`,
    // A copy's graph is optimized already: optimizing it again only costs load time.
    open: (path, optimized) => createSession(path, threads, optimized ? { graphOptimizationLevel: 'disabled' } : {}),
    openAndSave: (path, dest, dataFile) =>
      ort.InferenceSession.create(path, {
        ...sessionOptions(threads, undefined, {
          optimized_model_external_initializers_file_name: dataFile,
          // Every weight but the smallest goes to the data file, aligned there so that onnxruntime maps it. Prepacked
          // weights stay out (optimizedSession.ts says why).
          optimized_model_external_initializers_min_size_in_bytes: '1024',
        }),
        optimizedModelFilePath: dest,
        // onnxruntime warns at every write that the copy suits only this machine; copies are kept per onnxruntime
        // version and CPU (`variant`), so in the Output channel the warning would only alarm.
        logSeverityLevel: 3,
      }),
    probe: probeLogits,
    release: (session) => session.release(),
  };
}

/** A cache tensor's dims as `shape` declares them: batch 1, the past axis (and any other symbolic one) `length`. */
function cacheDims(shape: DeclaredValue['shape'], length: number): number[] {
  return shape.map((d, axis) => (axis === 0 ? 1 : typeof d === 'number' ? d : length));
}

/** The last logits row of a two-token pass from an empty cache, the inputs made from what `session` declares. */
async function probeLogits(session: ort.InferenceSession): Promise<Float32Array> {
  const positions = [0, 1];
  // A graph that writes its rows into the past it reads (the form with room: decomposedAttention.ts) needs room for them.
  const room = session.outputNames.includes(presentRowsName(presentKeyName(0))) ? positions.length : 0;
  const feeds: Record<string, ort.Tensor> = {};
  const ids = (values: number[]) => new ort.Tensor('int64', BigInt64Array.from(values, BigInt), [1, values.length]);
  for (const value of describe(session.inputMetadata, session.inputNames)) {
    const { name } = value;
    // The tokens are the positions: ids every vocabulary has.
    if (name === 'input_ids' || name === 'position_ids') feeds[name] = ids(positions);
    else if (name === 'attention_mask') feeds[name] = ids(positions.map(() => 1));
    else if (name === LOGITS_TO_KEEP_INPUT) feeds[name] = new ort.Tensor('int64', BigInt64Array.of(1n), []);
    else if (name === 'use_cache_branch') feeds[name] = new ort.Tensor('bool', Uint8Array.of(0), [1]);
    else if (value.type === 'float16' || value.type === 'float32') {
      const dims = cacheDims(value.shape, room);
      const size = dims.reduce((a, b) => a * b, 1);
      feeds[name] = new ort.Tensor(value.type, value.type === 'float16' ? new Uint16Array(size) : new Float32Array(size), dims);
    } else throw new Error(`no probe value for the input ${name}`);
  }
  const out = await session.run(feeds, ['logits']);
  return Float32Array.from(keptLogits(out.logits!, 1)[0]!);
}

/**
 * The 8-bit prefill session (the copy built in memory, or the folder's 8-bit file), or undefined when onnxruntime
 * refuses it or its inputs and outputs differ from the main session's.
 */
async function int8PrefillSession(
  copy: Uint8Array | string | undefined,
  threads: number,
  main: ort.InferenceSession,
  folder: string,
  sharesArena: boolean,
  open: SessionOpener,
): Promise<ort.InferenceSession | undefined> {
  if (copy === undefined) return undefined;
  let session: ort.InferenceSession | undefined;
  try {
    session = await open(copy, threads, folder);
    const compatible = (a: DeclaredValue[], b: DeclaredValue[]) =>
      a.length === b.length &&
      a.every((v, i) => {
        const w = b[i]!;
        // A dimension both declare as a number must agree: a padded vocabulary would give logits of another width.
        return v.name === w.name && v.type === w.type && v.shape.every((d, axis) => typeof d !== 'number' || typeof w.shape[axis] !== 'number' || d === w.shape[axis]);
      });
    // Where its passes append to the arena in place, it need not have the step session's rows outputs.
    const rows = new Set(sharesArena ? session.outputNames.map(presentRowsName) : []);
    const mainOutputs = main.outputNames.filter((name) => !rows.has(name));
    const same =
      compatible(describe(session.inputMetadata, session.inputNames), describe(main.inputMetadata, main.inputNames)) &&
      compatible(describe(session.outputMetadata, session.outputNames), describe(main.outputMetadata, mainOutputs));
    if (same) return session;
  } catch {
    // fall through: the 4-bit session serves every pass
  }
  await session?.release();
  return undefined;
}

/** A cache as the `present` tensors of the pass that made it (graphs without the rows outputs). */
class OrtKv implements KvState {
  readonly bytes: number;

  constructor(
    readonly tensors: ort.Tensor[],
    readonly length: number,
  ) {
    this.bytes = tensors.reduce((sum, t) => sum + (t.data as KvData).byteLength, 0);
  }
}

type KvData = Float32Array | Uint16Array;

/** Logits as float32, whichever of the types onnxruntime-node hands them back in. */
export function logitsAsFloat32(data: unknown): Float32Array {
  if (data instanceof Float32Array) return data;
  if (data instanceof Uint16Array) return Float32Array.from(data, halfToFloat);
  // Float16 data comes as a Float16Array where the JS runtime has one (Node 24, recent Electron).
  if (ArrayBuffer.isView(data) && data.constructor.name === 'Float16Array') return Float32Array.from(data as unknown as ArrayLike<number>);
  throw new ModelSignatureError('The model\'s logits are neither float32 nor float16.');
}

/** The last `numLogitsToKeep` rows of a [1, rows, vocabulary] logits tensor (all rows for 0). */
function keptLogits(logits: ort.Tensor, numLogitsToKeep: number): Float32Array[] {
  const [, rows, width] = logits.dims;
  const data = logitsAsFloat32(logits.data);
  const keep = numLogitsToKeep > 0 ? Math.min(numLogitsToKeep, rows) : rows;
  const out: Float32Array[] = [];
  for (let r = rows - keep; r < rows; r++) out.push(data.subarray(r * width, (r + 1) * width));
  return out;
}

function describe(meta: readonly ort.InferenceSession.ValueMetadata[], names: readonly string[]): DeclaredValue[] {
  return names.map((name) => {
    const m = meta?.find((v) => v.name === name);
    return m && m.isTensor ? { name, type: m.type, shape: m.shape } : { name, shape: [] };
  });
}

export class OrtDecoderModel implements DecoderModel {
  /** What the runtime changed in the file as it loaded it (preparedModel.ts), if anything. */
  preparation?: Preparation;
  /** The kept prepared copy the file's session loaded, where it loaded one (KeptPreparedFile). */
  preparedPath?: string;
  /** The file tokenLogProbs scores on, its threads, and its session once opened. */
  private scoring?: { path: string; threads: number; session?: Promise<ort.InferenceSession | undefined> };
  /** The kept decode-step file the steps run on, where they run on one (KeptStepFile). */
  stepPath?: string;
  /** onnxruntime's optimized copies (optimizedSession.ts) this model's sessions were loaded from or written to. */
  optimizedCopies: string[] = [];
  private readonly inputs: Set<string>;
  /** The tensors of an empty cache, where the cache is kept as returned tensors. */
  private readonly emptyPast: ort.Tensor[] = [];
  /** Outputs fetched in the `rows` mode: logits and each cache tensor's new rows. */
  private readonly rowsFetches?: string[];
  /** Names of the present outputs, layer by layer (key, value), for the shared mode's preallocated outputs. */
  private readonly presentNames: string[] = [];
  /** The arena every empty cache starts from (capacity 0: the first pass moves to one of its own). */
  private readonly emptyArena?: KvArena;

  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly config: ModelConfig,
    readonly signature: DeclaredSignature,
    readonly kvType: string,
    /**
     * The same model with 8-bit weights, for long prefills of a 4-bit one: a small file's copy built in memory
     * (int8PrefillModel.ts), or a large file's folder's 8-bit file (prefillFile.ts).
     */
    private prefillSession: ort.InferenceSession | undefined,
    private readonly decomposedNodes: number,
    /** Threads of the session that runs decode steps (and verification and beam passes). */
    readonly stepThreads: number,
    /** How the KV cache is kept (KvCacheMode). */
    readonly kvCache: KvCacheMode,
    /** The folder's 8-bit file offered for the prefill session (prefillFile.ts; only large files are offered one). */
    private readonly prefillPath?: string,
    /**
     * In the `rows` mode, whether the prefill session's passes append their rows to the arena in place, as in the
     * `shared` mode (a large file's 8-bit file beside its decode-step file), rather than fetch them.
     */
    private readonly prefillSharesArena = false,
  ) {
    this.inputs = new Set(session.inputNames);
    for (let i = 0; i < config.numLayers; i++) this.presentNames.push(presentKeyName(i), presentValueName(i));
    if (kvCache !== 'returned') {
      if (kvCache === 'rows') this.rowsFetches = ['logits', ...this.presentNames.map(presentRowsName)];
      const layout = { buffers: 2 * config.numLayers, heads: config.numKeyValueHeads, headDim: config.headDim, elementBytes: kvType === 'float16' ? 2 : 4 };
      this.emptyArena = KvArena.empty(layout, 0);
      return;
    }
    for (let i = 0; i < config.numLayers; i++) {
      for (const name of [pastKeyName(i), pastValueName(i)]) {
        const declared = signature.inputs.find((v) => v.name === name)!;
        const dims = declared.shape.length === 4 ? cacheDims(declared.shape, 0) : [1, config.numKeyValueHeads, 0, config.headDim];
        this.emptyPast.push(new ort.Tensor(kvType as 'float32', kvType === 'float16' ? new Uint16Array(0) : new Float32Array(0), dims));
      }
    }
  }

  /**
   * Creates the sessions and checks the signature against `config` (ModelSignatureError, ModelFileCorruptError, ...).
   * A small 4-bit file prefills long prompts on its 8-bit copy with `threads` threads and runs decode steps on one
   * thread with the attention decomposed (see inMemoryGraphs, STEP_THREADS_WITH_COPY). Benches override that:
   * `stepThreads` for the step session's threads (with a copy), `decomposeAttention` for its graph, `kvCache` for the
   * cache kept as `returned` tensors or in `shared` buffers (the file loaded as a large one: no copy, no decomposition)
   * where the runtime would keep it otherwise, `fuseAttention: false` for plain attention left plain. `prefillFile`:
   * the folder's 8-bit file, which a large 4-bit file prefills long prompts on where it can (prefillFile.ts).
   * `preparedFile`: a large file's kept prepared copy, loaded from its path where it was prepared as this load
   * prepares the file.
   */
  static async create(
    onnxPath: string,
    config: ModelConfig,
    threads: number,
    options: {
      stepThreads?: number;
      decomposeAttention?: boolean;
      kvCache?: 'shared' | 'returned';
      fuseAttention?: boolean;
      prefillFile?: PrefillFile;
      preparedFile?: KeptPreparedFile;
      stepFile?: KeptStepFile;
      keptCopies?: KeptSessionCopies;
    } = {},
  ): Promise<OrtDecoderModel> {
    // Resolved counts, so that 0 (the default count) compares and reports as the threads it stands for.
    threads = threads > 0 ? threads : defaultThreadCount();
    const stepThreadsWithCopy = options.stepThreads ?? STEP_THREADS_WITH_COPY;
    const decompose = options.decomposeAttention ?? stepThreadsWithCopy === 1;
    const prepare: PrepareOptions = { logitsToKeep: true, attention: options.fuseAttention === false ? undefined : fusableAttention(config) };
    const load = async (p: PrepareOptions | undefined, kept: KeptPreparedFile | undefined, inMemory = false): Promise<OrtDecoderModel> => {
      const steps = options.decomposeAttention === false ? undefined : options.stepFile;
      const small = !isLargeModelFile(onnxPath);
      const fromFiles = !inMemory && small && decompose && steps !== undefined && options.prefillFile !== undefined && options.kvCache !== 'returned';
      const graphs =
        options.kvCache === 'shared' ? largeFile(onnxPath, p, kept) : fromFiles ? { ...largeFile(onnxPath, p, kept, steps), keptSmall: true } : inMemoryGraphs(onnxPath, decompose, options.kvCache !== 'returned', p, kept, steps);
      const used: string[] = [];
      // A small file that falls back to loading from its path loads in a moment: no copy of it.
      const copies = graphs.large ? options.keptCopies : undefined;
      const model = await OrtDecoderModel.fromPlan(onnxPath, graphs, config, threads, stepThreadsWithCopy, decompose, options.kvCache, sessionOpener(copies, used), options.prefillFile);
      model.optimizedCopies = [...new Set(used)];
      if (!fromFiles || (model.stepPath !== undefined && model.prefillFile !== undefined)) return model;
      // onnxruntime refused a kept copy of the small file: its graphs built in memory, as where it has no copies.
      await model.dispose();
      return load(p, kept, true);
    };
    const loadPrepared = async (kept: KeptPreparedFile | undefined) => {
      const model = await load(prepare, kept);
      if (!model.preparation?.fusedAttention || (await model.fusedAttentionWorks())) return model;
      // The fusion takes its head counts from config.json: where they do not fit the graph, the attention as exported.
      await model.dispose();
      return await load({ ...prepare, attention: undefined }, undefined);
    };
    try {
      return await loadPrepared(options.preparedFile);
    } catch (e) {
      // The prepared graph only makes passes faster: where onnxruntime refuses it, the file prepared in memory where a
      // kept copy was refused, else the file as exported (which reports what is wrong with the file, if anything is).
      const skeleton = fileGraphSkeleton(onnxPath);
      if (e instanceof ModelSignatureError || !skeleton || !preparedSplice(skeleton, prepare)) throw e;
      if (options.preparedFile !== undefined) {
        try {
          return await loadPrepared(undefined);
        } catch {
          // as exported, below
        }
      }
      return load(undefined, undefined);
    }
  }

  private static async fromPlan(
    onnxPath: string,
    graphs: InMemoryGraphs,
    config: ModelConfig,
    threads: number,
    stepThreadsWithCopy: number,
    decompose: boolean,
    kvCache: 'shared' | 'returned' | undefined,
    open: SessionOpener,
    offeredPrefillFile: PrefillFile | undefined,
  ): Promise<OrtDecoderModel> {
    // A large file's steps run on its decode-step file where long prompts prefill on an 8-bit file whose attention
    // appends to shared buffers: the cache is kept in the rows mode, the 8-bit file's passes sharing the buffers.
    const stepPrefill = graphs.stepPath !== undefined && kvCache !== 'returned' ? usablePrefillFile(offeredPrefillFile, true, undefined, graphs.prepareOptions?.attention) : undefined;
    if (stepPrefill === undefined) graphs.stepPath = undefined;
    // Else a large file keeps its cache in shared buffers where only GroupQueryAttention reads it.
    const shares = kvCache !== 'returned' && graphs.sharesCache === true && graphs.stepPath === undefined;
    const mode: KvCacheMode = graphs.file || graphs.stepPath !== undefined ? 'rows' : shares ? 'shared' : 'returned';
    const prefillFile = graphs.large ? (stepPrefill ?? usablePrefillFile(offeredPrefillFile, mode === 'shared', undefined, graphs.prepareOptions?.attention)) : undefined;
    let model: OrtDecoderModel;
    try {
      model = await OrtDecoderModel.fromGraphs(onnxPath, graphs, config, threads, stepThreadsWithCopy, mode, open, prefillFile);
    } catch (e) {
      // The graphs with the rows outputs only make passes faster: where onnxruntime refuses one, the graph without.
      if (mode !== 'rows' || e instanceof ModelSignatureError) throw e;
      const prepare = graphs.base !== undefined ? graphs.prepareOptions : undefined;
      return OrtDecoderModel.fromGraphs(onnxPath, inMemoryGraphs(onnxPath, decompose, false, prepare), config, threads, stepThreadsWithCopy, 'returned', open);
    }
    const withSteps = graphs.stepPath !== undefined;
    if (withSteps && (model.stepPath === undefined || !(await model.sharedBuffersWork()) || model.prefillFile === undefined)) {
      // onnxruntime refused the decode-step file or the 8-bit file it goes with, or gave no numbers through the
      // shared buffers: the file as it loads without the step file (its cache in shared buffers again), and without
      // the 8-bit file where that was refused.
      const prefillRefused = model.prefillFile === undefined;
      await model.dispose();
      return OrtDecoderModel.fromPlan(onnxPath, { ...graphs, stepPath: undefined }, config, threads, stepThreadsWithCopy, decompose, kvCache, open, prefillRefused ? undefined : offeredPrefillFile);
    }
    if (mode === 'shared' && !(await model.sharedBuffersWork())) {
      await model.dispose();
      return OrtDecoderModel.fromGraphs(onnxPath, graphs, config, threads, stepThreadsWithCopy, 'returned', open, prefillFile);
    }
    return model;
  }

  /** Whether a prompt and a step from its cache run on the fused attention (attentionFusion.ts) and give numbers. */
  private async fusedAttentionWorks(): Promise<boolean> {
    try {
      const prompt = await this.forward([0, 1], this.emptyKv(), 1);
      const step = await this.forward([2], prompt.kv, 1);
      return [prompt, step].every((out) => out.logits[0]!.every(Number.isFinite));
    } catch {
      return false;
    }
  }

  /**
   * Whether onnxruntime takes the arena as a preallocated present (the check reads the file's graph, not what this
   * onnxruntime does with it): a pass of two tokens, and one of INT8_PREFILL_MIN_TOKENS on the 8-bit session if there
   * is one (in the rows mode beside a decode-step file, the two-token pass fetches its rows). A model that fails here
   * keeps its cache as returned tensors; one with a decode-step file loads again without it.
   */
  private async sharedBuffersWork(): Promise<boolean> {
    const finite = (tokens: number) =>
      this.forward(new Array<number>(tokens).fill(0), this.emptyKv(), 1).then(
        (out) => out.logits[0]!.every(Number.isFinite),
        () => false,
      );
    if (!(await finite(2))) return false;
    if (this.prefillSession === undefined) return true;
    // An 8-bit session that throws is dropped by runOnSession, which reruns the pass on the file's session; one that
    // runs but gives no numbers is dropped here.
    const ok = await finite(INT8_PREFILL_MIN_TOKENS);
    if (this.prefillSession === undefined) return ok;
    if (!ok) this.dropPrefillSession();
    return true;
  }

  private static async fromGraphs(
    onnxPath: string,
    graphs: InMemoryGraphs,
    config: ModelConfig,
    threads: number,
    stepThreadsWithCopy: number,
    mode: KvCacheMode,
    open: SessionOpener,
    prefillFile?: string,
  ): Promise<OrtDecoderModel> {
    // Graphs built from the file's bytes find its external data beside it.
    const folder = dirname(onnxPath);
    const fileSession = async (n: number) => {
      try {
        return await open(graphs.file ?? graphs.base?.() ?? graphs.preparedPath ?? onnxPath, n, folder);
      } catch (e) {
        throw toLocusError(e, ModelLoadFailedError);
      }
    };
    // The copy and the step graph each only make passes faster: whichever fails, the file's own graph takes its
    // passes (and reports what is wrong with the file, if anything is).
    let decomposed = graphs.decodeSteps?.decomposed ?? (graphs.stepPath !== undefined ? config.numLayers : 0);
    let session = graphs.decodeSteps
      ? await createSession(graphs.decodeSteps.bytes, stepThreadsWithCopy, {}, folder).catch(() => undefined)
      : graphs.stepPath !== undefined
        ? await open(graphs.stepPath, graphs.keptSmall ? stepThreadsWithCopy : threads).catch(() => undefined)
        : undefined;
    if (!session) {
      decomposed = 0;
      session = await fileSession(graphs.int8Prefill ? stepThreadsWithCopy : threads);
    }
    // The 8-bit file (the folder's, or the copy) must have the file session's inputs: it is prepared as the file was,
    // built only now. Where the cache buffers are shared, it must read them through GroupQueryAttention alone: a file
    // that was to be fused but could not be read now is left out.
    const preparedPrefill =
      prefillFile !== undefined && !graphs.unprepared
        ? filePreparedModel(prefillFile, undefined, { logitsToKeep: session.inputNames.includes(LOGITS_TO_KEEP_INPUT), attention: graphs.prepareOptions?.attention })
        : undefined;
    const sharesWith = (path: string) => {
      const skeleton = fileGraphSkeleton(path);
      return skeleton !== undefined && attentionReadsOnlyValidRows(skeleton);
    };
    // A large file's 8-bit file beside its decode-step file shares the arena the step file keeps in the rows mode.
    const sharesArena = mode === 'rows' && decomposed > 0 && graphs.stepPath !== undefined;
    const prefillSharesBuffers = mode === 'shared' || sharesArena;
    const prefillModel = preparedPrefill ?? (prefillFile !== undefined && (!prefillSharesBuffers || sharesWith(prefillFile)) ? prefillFile : undefined);
    const prefill = await int8PrefillSession(graphs.int8Prefill ?? prefillModel, threads, session, folder, sharesArena, open);
    if (!prefill && (decomposed > 0 || (graphs.int8Prefill !== undefined && stepThreadsWithCopy !== threads))) {
      // No copy after all: the step session prefills too, so the file's own graph (the decomposed one prefills
      // slowly) on every thread.
      await session.release();
      decomposed = 0;
      session = await fileSession(threads);
    }
    const signature: DeclaredSignature = {
      inputs: describe(session.inputMetadata, session.inputNames),
      outputs: describe(session.outputMetadata, session.outputNames),
    };
    let kvType: string;
    try {
      kvType = checkSignature(signature, config);
    } catch (e) {
      await Promise.allSettled([session.release(), prefill?.release()]);
      throw e;
    }
    // Only a small file's steps leave the prefill threads (STEP_THREADS_WITH_COPY).
    const fromCopy = prefill !== undefined && (graphs.int8Prefill !== undefined || (graphs.keptSmall === true && decomposed > 0));
    const model = new OrtDecoderModel(session, config, signature, kvType, prefill, decomposed, fromCopy ? stepThreadsWithCopy : threads, mode, prefillFile, sharesArena);
    // Set from the graphs this model was built from, so that each fallback reports what it loaded.
    model.preparation = graphs.prepared;
    model.preparedPath = graphs.preparedPath;
    if (decomposed > 0 && graphs.decodeSteps === undefined) model.stepPath = graphs.stepPath;
    // Scores run on what long prompts prefill on where that is a file, else on the model's file: small ones only, as
    // the scoring graph is loaded from memory (tokenLogProbsModel.ts).
    const scoringPath = prefill !== undefined && prefillFile !== undefined ? prefillFile : onnxPath;
    if (!isLargeModelFile(scoringPath)) model.scoring = { path: scoringPath, threads };
    return model;
  }

  /** Whether the runtime keeps the KV cache in its own buffers (kvArena.ts) rather than as returned tensors. */
  get keepsCache(): boolean {
    return this.kvCache !== 'returned';
  }

  /** GroupQueryAttention nodes the decode-step session runs as standard ops (0: the graph as exported). */
  get decomposedAttention(): number {
    return this.decomposedNodes;
  }

  /** Whether long prefills run on 8-bit weights (a copy built in memory, or the folder's 8-bit file). */
  get int8Prefill(): boolean {
    return this.prefillSession !== undefined;
  }

  /** The folder's 8-bit file long prefills run on, if they run on one. */
  get prefillFile(): string | undefined {
    return this.prefillSession === undefined ? undefined : this.prefillPath;
  }

  emptyKv(): KvState {
    return this.emptyArena ? new ArenaKv(this.emptyArena, 0) : new OrtKv(this.emptyPast, 0);
  }

  async forward(ids: readonly number[], kv: KvState, numLogitsToKeep: number): Promise<ForwardResult> {
    const feeds = this.passFeeds(ids, 1, kv.length, numLogitsToKeep);
    if (kv instanceof ArenaKv) return this.forwardOnArena(feeds, ids.length, kv, numLogitsToKeep);
    const past = kv as OrtKv;
    for (let i = 0; i < this.config.numLayers; i++) {
      feeds[pastKeyName(i)] = past.tensors[2 * i];
      feeds[pastValueName(i)] = past.tensors[2 * i + 1];
    }
    const out = await this.run(feeds, ids.length);
    const presents: ort.Tensor[] = [];
    for (let i = 0; i < this.config.numLayers; i++) presents.push(out[presentKeyName(i)], out[presentValueName(i)]);
    return { logits: keptLogits(out.logits, numLogitsToKeep), kv: new OrtKv(presents, kv.length + ids.length) };
  }

  /** The inputs of a pass but its cache: `rows` rows of equal length (`ids` row after row) after `pastLength` positions. */
  private passFeeds(ids: readonly number[], rows: number, pastLength: number, numLogitsToKeep: number): Record<string, ort.Tensor> {
    const count = ids.length / rows;
    const total = pastLength + count;
    const feeds: Record<string, ort.Tensor> = { input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [rows, count]) };
    if (this.inputs.has('attention_mask')) feeds.attention_mask = new ort.Tensor('int64', new BigInt64Array(rows * total).fill(1n), [rows, total]);
    if (this.inputs.has('position_ids')) {
      feeds.position_ids = new ort.Tensor('int64', BigInt64Array.from(ids, (_, i) => BigInt(pastLength + (i % count))), [rows, count]);
    }
    if (this.inputs.has('num_logits_to_keep')) feeds.num_logits_to_keep = new ort.Tensor('int64', BigInt64Array.of(BigInt(numLogitsToKeep)), []);
    if (this.inputs.has('use_cache_branch')) feeds.use_cache_branch = new ort.Tensor('bool', Uint8Array.of(pastLength > 0 ? 1 : 0), [1]);
    return feeds;
  }

  /**
   * A pass whose past is `buffers` ([rows, heads, capacity, head dim] each, the runtime's own), the positions it adds
   * landing after the valid ones: written in place by onnxruntime into the buffers handed over as the presents too
   * (`inPlace`: GroupQueryAttention sees one buffer and appends), or fetched as the rows outputs
   * ([rows, heads, count, head dim] per buffer) for the caller to write.
   */
  private async runOnBuffers(
    feeds: Record<string, ort.Tensor>,
    buffers: readonly KvBuffer[],
    shape: { rows: number; capacity: number; count: number; elementBytes: number },
    inPlace: boolean,
  ): Promise<{ logits: ort.Tensor; rows?: KvBuffer[] }> {
    const { numKeyValueHeads: heads, headDim } = this.config;
    const { rows, capacity, count } = shape;
    const pasts = buffers.map((data) => new ort.Tensor(this.kvType as 'float32', data as Float32Array, [rows, heads, capacity, headDim]));
    this.presentNames.forEach((_, b) => (feeds[b % 2 === 0 ? pastKeyName(b >> 1) : pastValueName(b >> 1)] = pasts[b]!));
    if (inPlace) {
      const fetches: Record<string, ort.Tensor | null> = { logits: null };
      this.presentNames.forEach((name, b) => (fetches[name] = pasts[b]!));
      return { logits: (await this.run(feeds, count, fetches)).logits! };
    }
    const out = await this.run(feeds, count, this.rowsFetches);
    const fetched = this.rowsFetches!.slice(1).map((name) => {
      const t = out[name]!;
      if (t.dims.join() !== [rows, heads, count, headDim].join()) {
        throw new ModelSignatureError(`The model's "${name}" came back as [${t.dims.join(', ')}], not [${rows}, ${heads}, ${count}, ${headDim}].`);
      }
      return rowBits(t.data as ArrayBufferView, shape.elementBytes);
    });
    return { logits: out.logits!, rows: fetched };
  }

  /**
   * A pass that reads the whole arena as its past; the rows it adds land after the valid ones: fetched and written
   * here (`rows`), or written in place by onnxruntime into the arena handed over as the present too (`shared`, and
   * the passes of an 8-bit session that shares the arena in the rows mode).
   */
  private async forwardOnArena(feeds: Record<string, ort.Tensor>, count: number, kv: ArenaKv, numLogitsToKeep: number): Promise<ForwardResult> {
    const arena = reserveRows(kv, count);
    try {
      const inPlace = this.kvCache === 'shared' || (this.prefillSharesArena && this.runsOnPrefill(count));
      const shape = { rows: 1, capacity: arena.capacity, count, elementBytes: arena.layout.elementBytes };
      const out = await this.runOnBuffers(feeds, arena.data, shape, inPlace);
      const next = out.rows ? writeRows(arena, kv.length, count, out.rows) : new ArenaKv(arena, kv.length + count);
      return { logits: keptLogits(out.logits, numLogitsToKeep), kv: next };
    } catch (e) {
      releaseRows(kv, arena, count);
      throw e;
    }
  }

  /**
   * Beam search's continuations of `kv` in one batch (kvBatch.ts): a pass per step for all of them, where separate
   * passes read every weight once per continuation. Where the cache is kept as returned tensors there is none.
   */
  batch(kv: KvState, rows: number): KvBatch | undefined {
    if (!(kv instanceof ArenaKv) || this.kvCache === 'returned') return undefined;
    const batch = new KvRowsBatch(kv.arena.layout, rows, kv);
    return { step: (parents, ids) => this.stepBatch(batch, parents, ids) };
  }

  private async stepBatch(batch: KvRowsBatch, parents: readonly number[], ids: readonly number[]): Promise<Float32Array[]> {
    if (parents.length !== ids.length) throw new RangeError(`${parents.length} parents for ${ids.length} tokens`);
    const rowOf = batch.follow(parents);
    batch.reserveOne();
    const n = ids.length;
    const byRow = new Array<number>(n);
    rowOf.forEach((row, r) => (byRow[row] = ids[r]!));
    const feeds = this.passFeeds(byRow, n, batch.length, 1);
    const shape = { rows: n, capacity: batch.capacity, count: 1, elementBytes: batch.layout.elementBytes };
    const out = await this.runOnBuffers(feeds, batch.views(n), shape, this.kvCache === 'shared');
    if (out.rows) batch.append(out.rows);
    else batch.advance();
    const width = out.logits.dims[2]!;
    const data = logitsAsFloat32(out.logits.data);
    return rowOf.map((row) => data.subarray(row * width, (row + 1) * width));
  }

  /**
   * Runs a pass of `tokens` tokens on the session for its length; a failing 8-bit session is dropped for good (long
   * passes then run on the decode-step graph, decomposed or not: slower, still right).
   */
  private async run(feeds: Record<string, ort.Tensor>, tokens: number, fetches?: ort.InferenceSession.FetchesType): Promise<ort.InferenceSession.ReturnType> {
    try {
      return await this.runOnSession(feeds, tokens, fetches);
    } catch (e) {
      throw toLocusError(e);
    }
  }

  private async runOnSession(feeds: Record<string, ort.Tensor>, tokens: number, fetches?: ort.InferenceSession.FetchesType): Promise<ort.InferenceSession.ReturnType> {
    const main = () => (fetches ? this.session.run(feeds, fetches) : this.session.run(feeds));
    const prefill = this.prefillSession;
    if (prefill === undefined || !this.runsOnPrefill(tokens)) return main();
    try {
      return await (fetches ? prefill.run(feeds, fetches) : prefill.run(feeds));
    } catch {
      this.dropPrefillSession();
      return main();
    }
  }

  /** Whether a pass of `tokens` tokens runs on the 8-bit prefill session (else on the decode-step session). */
  private runsOnPrefill(tokens: number): boolean {
    return this.prefillSession !== undefined && tokens >= INT8_PREFILL_MIN_TOKENS;
  }

  private dropPrefillSession(): void {
    const prefill = this.prefillSession;
    this.prefillSession = undefined;
    void prefill?.release().catch(() => undefined);
  }

  /** Runs each session once, so the first real request pays neither's first-run allocations. */
  async warmUp(tokenId: number): Promise<ForwardResult> {
    if (this.prefillSession !== undefined) await this.forward(new Array<number>(INT8_PREFILL_MIN_TOKENS).fill(tokenId), this.emptyKv(), 1);
    return this.forward([tokenId], this.emptyKv(), 1);
  }

  truncate(kv: KvState, length: number): KvState {
    if (length >= kv.length) return kv;
    if (length <= 0) return this.emptyKv();
    // The arena's rows stay; a pass from the shorter state copies them first (kvArena.ts).
    if (kv instanceof ArenaKv) return new ArenaKv(kv.arena, length);
    const src = kv as OrtKv;
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

  rollback(kv: KvState, length: number): KvState {
    return kv instanceof ArenaKv && length > 0 ? rewind(kv, length) : this.truncate(kv, length);
  }

  /**
   * log p(ids[i + 1] | ids[0..i]) for i < ids.length - 1 (the last entry is unused), from one pass with a cache of its
   * own on a session that computes them inside onnxruntime (tokenLogProbsModel.ts), opened at the first call; undefined
   * where there is none (a large file, a graph it does not apply to, onnxruntime refusing it), for the caller to take
   * them from the logits.
   */
  async tokenLogProbs(ids: readonly number[]): Promise<Float32Array | undefined> {
    if (this.scoring === undefined || ids.length === 0) return undefined;
    const session = await (this.scoring.session ??= this.openScoringSession(this.scoring.path, this.scoring.threads));
    if (session === undefined) return undefined;
    const n = ids.length;
    const int64 = (values: Iterable<number>, dims: number[]) => new ort.Tensor('int64', BigInt64Array.from(values, BigInt), dims);
    const known: Record<string, () => ort.Tensor> = {
      input_ids: () => int64(ids, [1, n]),
      attention_mask: () => int64(new Array<number>(n).fill(1), [1, n]),
      position_ids: () => int64(ids.keys(), [1, n]),
      [LOGITS_TO_KEEP_INPUT]: () => new ort.Tensor('int64', BigInt64Array.of(0n), []),
      use_cache_branch: () => new ort.Tensor('bool', Uint8Array.of(0), [1]),
      [SCORED_IDS_INPUT]: () => int64([...ids.slice(1), 0], [1, n, 1]),
    };
    const empty = [1, this.config.numKeyValueHeads, 0, this.config.headDim];
    for (let i = 0; i < this.config.numLayers; i++) {
      for (const name of [pastKeyName(i), pastValueName(i)]) {
        known[name] = () => new ort.Tensor(this.kvType as 'float32', this.kvType === 'float16' ? new Uint16Array(0) : new Float32Array(0), empty);
      }
    }
    try {
      // An input this cannot fill (an export of another layout) throws here too.
      const feeds = Object.fromEntries(session.inputNames.map((name) => [name, known[name]!()]));
      const out = await session.run(feeds, [TOKEN_LOG_PROBS_OUTPUT]);
      return out[TOKEN_LOG_PROBS_OUTPUT]!.data as Float32Array;
    } catch {
      // The logits serve instead, from now on.
      this.scoring = undefined;
      await session.release().catch(() => undefined);
      return undefined;
    }
  }

  private async openScoringSession(path: string, threads: number): Promise<ort.InferenceSession | undefined> {
    try {
      const bytes = tokenLogProbsModel(readFileSync(path));
      return bytes && (await createSession(bytes, threads, {}, dirname(path)));
    } catch {
      return undefined;
    }
  }

  async dispose(): Promise<void> {
    const prefill = this.prefillSession;
    const scoring = this.scoring?.session;
    this.prefillSession = undefined;
    this.scoring = undefined;
    await Promise.allSettled([prefill?.release(), this.session.release(), scoring?.then((session) => session?.release())]);
  }
}
