// InferenceEngine that runs the model in a worker thread (dist/inferenceWorker.js), keeping the caller's thread
// (the language server) responsive. Streams text back, forwards aborts, and rebuilds errors as their LocusError
// class; if the worker dies, every pending call rejects with WorkerCrashedError.
import './onnxruntimeTelemetryOff';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { EngineLoadOptions, LoadHooks, GenerateHooks, GenerateRequest, GenerateResult, InferenceEngine, ModelInfo, TokenScore } from './engine';
import { fromSerializedError, ModelNotReadyError, WorkerCrashedError } from './errors';
import type { FromWorker, ToWorker, WorkerData } from './workerProtocol';

/**
 * How long the process's exit waits for the worker to leave onnxruntime: a decode step or prefill pass, or the end
 * of a session being built. Past it the exit goes on (and may abort, as it would have without waiting).
 */
const EXIT_WAIT_MS = 10_000;

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  onText?: (delta: string) => void;
  onToken?: (id: number) => void;
  onTokenScore?: (score: TokenScore) => void;
  onProgress?: (message: string) => void;
}

type Request = ToWorker extends infer T ? (T extends { type: 'abort' } ? never : Omit<T, 'id'>) : never;
type AbortableRequest = Extract<Request, { type: 'generate' | 'draftLogProbs' }>;

export class WorkerEngine implements InferenceEngine {
  private worker?: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private loaded = false;
  /** Set when dispose() starts: nothing more goes to the worker, whose sessions are being released. */
  private disposing = false;
  /** The worker's `WorkerData.stopped` flag. */
  private stopped?: Int32Array;
  private readonly onProcessExit = () => this.stopBeforeExit();

  /**
   * `workerScript`: the bundled worker; the default is right when this code runs from the dist/ bundle.
   * `onCrash`: the worker died on its own (not disposed), after the pending calls were rejected.
   */
  constructor(
    private readonly workerScript: string = join(__dirname, 'inferenceWorker.js'),
    private readonly hooks: { onCrash?: (error: WorkerCrashedError) => void } = {},
  ) {}

  async load(options: EngineLoadOptions, hooks: LoadHooks = {}): Promise<ModelInfo> {
    if (this.disposing) throw new ModelNotReadyError('load() was called after the engine was disposed; make a new one.');
    this.loaded = false;
    const info = (await this.call({ type: 'load', options }, { onProgress: hooks.onProgress })) as ModelInfo;
    this.loaded = true;
    return info;
  }

  async generate(request: GenerateRequest, hooks: GenerateHooks = {}): Promise<GenerateResult> {
    if (this.disposing) throw new ModelNotReadyError('generate() was called after the model was unloaded.');
    if (!this.loaded) throw new ModelNotReadyError('generate() was called before a model was loaded.');
    const message = {
      type: 'generate' as const,
      request,
      ...(hooks.onToken !== undefined && { tokens: true }),
      ...(hooks.onTokenScore !== undefined && { scores: true }),
    };
    return (await this.abortableCall(message, hooks.signal, { onText: hooks.onText, onToken: hooks.onToken, onTokenScore: hooks.onTokenScore })) as GenerateResult;
  }

  async draftLogProbs(ids: number[], signal?: AbortSignal): Promise<number[]> {
    if (this.disposing) throw new ModelNotReadyError('draftLogProbs() was called after the model was unloaded.');
    if (!this.loaded) throw new ModelNotReadyError('draftLogProbs() was called before a model was loaded.');
    return (await this.abortableCall({ type: 'draftLogProbs', ids }, signal)) as number[];
  }

  /**
   * Releases the sessions, then ends the thread. The worker answers only once no onnxruntime call runs (its engine
   * waits for a load in progress and the pass in flight), so the thread is ended outside native code; calls still
   * unanswered then are rejected rather than left waiting.
   */
  async dispose(): Promise<void> {
    this.disposing = true;
    this.loaded = false;
    const worker = this.worker;
    if (!worker) return;
    try {
      await this.call({ type: 'dispose' });
    } catch {
      // A worker that already crashed has nothing left to release.
    }
    this.worker = undefined;
    process.off('exit', this.onProcessExit);
    await worker.terminate();
    this.rejectPending(new ModelNotReadyError('The model was unloaded before this call was answered.'));
  }

  /**
   * The process is exiting (a client gone without `shutdown`, an `exit` notification): Node ends worker threads
   * after 'exit' listeners return, and ending one inside onnxruntime-node aborts the process (SIGABRT). So the
   * worker is told to stop, and this thread blocks until it has (only synchronous code runs during 'exit').
   */
  private stopBeforeExit(): void {
    const worker = this.worker;
    const stopped = this.stopped;
    if (!worker || !stopped) return;
    worker.postMessage({ type: 'stop', id: 0 } satisfies ToWorker);
    const deadline = Date.now() + EXIT_WAIT_MS;
    while (Atomics.load(stopped, 0) === 0) {
      const left = deadline - Date.now();
      if (left <= 0) return;
      Atomics.wait(stopped, 0, 0, left);
    }
  }

  private rejectPending(error: Error): void {
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const stopped = new SharedArrayBuffer(4);
    const worker = new Worker(this.workerScript, { workerData: { stopped } satisfies WorkerData });
    this.stopped = new Int32Array(stopped);
    process.on('exit', this.onProcessExit);
    worker.on('message', (message: FromWorker) => {
      const p = this.pending.get(message.id);
      if (!p) return;
      if (message.type === 'text') {
        p.onText?.(message.delta);
        return;
      }
      if (message.type === 'token') {
        p.onToken?.(message.token);
        return;
      }
      if (message.type === 'score') {
        p.onTokenScore?.(message.score);
        return;
      }
      if (message.type === 'progress') {
        p.onProgress?.(message.message);
        return;
      }
      this.pending.delete(message.id);
      if (message.type === 'result') p.resolve(message.value);
      else p.reject(fromSerializedError(message.error));
    });
    const crashed = (why: string) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.loaded = false;
      process.off('exit', this.onProcessExit);
      const error = new WorkerCrashedError(`The inference worker stopped: ${why}.`);
      this.rejectPending(error);
      this.hooks.onCrash?.(error);
    };
    worker.on('error', (e) => crashed(e.message));
    worker.on('exit', (code) => crashed(`it exited with code ${code}`));
    this.worker = worker;
    return worker;
  }

  /** A call whose `signal` sends the worker an abort for it. */
  private async abortableCall(message: AbortableRequest, signal?: AbortSignal, listeners: Pick<Pending, 'onText' | 'onToken' | 'onTokenScore'> = {}): Promise<unknown> {
    let id = 0;
    const onAbort = () => this.worker?.postMessage({ type: 'abort', id } satisfies ToWorker);
    const result = this.call(signal?.aborted ? { ...message, aborted: true } : message, listeners, (assigned) => {
      id = assigned;
      // Registered after the request is posted, so the worker always knows the id when the abort arrives; a signal
      // aborted before the call went out is carried by the request itself.
      if (!signal?.aborted) signal?.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await result;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  private call(message: Request, listeners: Pick<Pending, 'onText' | 'onToken' | 'onTokenScore' | 'onProgress'> = {}, posted?: (id: number) => void): Promise<unknown> {
    const worker = this.ensureWorker();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, ...listeners });
      worker.postMessage({ ...message, id } as ToWorker);
      posted?.(id);
    });
  }
}
