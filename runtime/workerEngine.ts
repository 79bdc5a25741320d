// InferenceEngine that runs the model in a worker thread (dist/inferenceWorker.js), keeping the caller's thread
// (the language server) responsive. Streams text back, forwards aborts, and rebuilds errors as their LocusError
// class; if the worker dies, every pending call rejects with WorkerCrashedError.
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { EngineLoadOptions, LoadHooks, GenerateHooks, GenerateRequest, GenerateResult, InferenceEngine, ModelInfo } from './engine';
import { fromSerializedError, ModelNotReadyError, WorkerCrashedError } from './errors';
import type { FromWorker, ToWorker } from './workerProtocol';

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  onText?: (delta: string) => void;
  onProgress?: (message: string) => void;
}

type Request = ToWorker extends infer T ? (T extends { type: 'abort' } ? never : Omit<T, 'id'>) : never;
type AbortableRequest = Extract<Request, { type: 'generate' | 'draftLogProbs' }>;

export class WorkerEngine implements InferenceEngine {
  private worker?: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private loaded = false;

  /** `workerScript`: the bundled worker; the default is right when this code runs from the dist/ bundle. */
  constructor(private readonly workerScript: string = join(__dirname, 'inferenceWorker.js')) {}

  async load(options: EngineLoadOptions, hooks: LoadHooks = {}): Promise<ModelInfo> {
    this.loaded = false;
    const info = (await this.call({ type: 'load', options }, { onProgress: hooks.onProgress })) as ModelInfo;
    this.loaded = true;
    return info;
  }

  async generate(request: GenerateRequest, hooks: GenerateHooks = {}): Promise<GenerateResult> {
    if (!this.loaded) throw new ModelNotReadyError('generate() was called before a model was loaded.');
    return (await this.abortableCall({ type: 'generate', request }, hooks.signal, hooks.onText)) as GenerateResult;
  }

  async draftLogProbs(ids: number[], signal?: AbortSignal): Promise<number[]> {
    if (!this.loaded) throw new ModelNotReadyError('draftLogProbs() was called before a model was loaded.');
    return (await this.abortableCall({ type: 'draftLogProbs', ids }, signal)) as number[];
  }

  async dispose(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    try {
      await this.call({ type: 'dispose' });
    } catch {
      // A worker that already crashed has nothing left to release.
    }
    this.worker = undefined;
    this.loaded = false;
    await worker.terminate();
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(this.workerScript);
    worker.on('message', (message: FromWorker) => {
      const p = this.pending.get(message.id);
      if (!p) return;
      if (message.type === 'text') {
        p.onText?.(message.delta);
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
      const error = new WorkerCrashedError(`The inference worker stopped: ${why}.`);
      for (const p of this.pending.values()) p.reject(error);
      this.pending.clear();
    };
    worker.on('error', (e) => crashed(e.message));
    worker.on('exit', (code) => crashed(`it exited with code ${code}`));
    this.worker = worker;
    return worker;
  }

  /** A call whose `signal` sends the worker an abort for it. */
  private async abortableCall(message: AbortableRequest, signal?: AbortSignal, onText?: (delta: string) => void): Promise<unknown> {
    let id = 0;
    const onAbort = () => this.worker?.postMessage({ type: 'abort', id } satisfies ToWorker);
    const result = this.call(signal?.aborted ? { ...message, aborted: true } : message, { onText }, (assigned) => {
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

  private call(message: Request, listeners: Pick<Pending, 'onText' | 'onProgress'> = {}, posted?: (id: number) => void): Promise<unknown> {
    const worker = this.ensureWorker();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, ...listeners });
      worker.postMessage({ ...message, id } as ToWorker);
      posted?.(id);
    });
  }
}
