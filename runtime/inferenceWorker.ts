// Worker-thread entry (bundled to dist/inferenceWorker.js): runs a LocalEngine off the caller's thread, because
// onnxruntime-node's session.run blocks the thread it runs on. Aborts arrive as messages; the generator yields to
// this thread's event loop between steps so they are seen within one step.
import { parentPort, workerData } from 'node:worker_threads';
import { ModelLoadFailedError, ModelNotReadyError, toLocusError } from './errors';
import { LocalEngine } from './localEngine';
import type { TokenScore } from './engine';
import type { FromWorker, ToWorker, WorkerData } from './workerProtocol';

const port = parentPort;
if (!port) throw new Error('inferenceWorker.js must be started as a worker thread.');
const stopped = new Int32Array((workerData as WorkerData).stopped);
let stopping = false;

const engine = new LocalEngine();
const aborts = new Map<number, AbortController>();
const send = (message: FromWorker) => port.postMessage(message);

/** Runs a job that an `abort` message with the same id can stop (`aborted`: stopped before it starts). */
async function abortable<T>(id: number, aborted: boolean | undefined, job: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  if (aborted) controller.abort();
  aborts.set(id, controller);
  try {
    return await job(controller.signal);
  } finally {
    aborts.delete(id);
  }
}

async function handle(message: ToWorker): Promise<void> {
  if (message.type === 'stop') return stop();
  // After a stop nothing may start onnxruntime again: the parent is about to end this thread.
  if (stopping && message.type !== 'abort') throw new ModelNotReadyError('The inference worker is stopping.');
  switch (message.type) {
    case 'abort':
      aborts.get(message.id)?.abort();
      return;
    case 'load':
      send({ type: 'result', id: message.id, value: await engine.load(message.options, { onProgress: (text) => send({ type: 'progress', id: message.id, message: text }) }) });
      return;
    case 'generate': {
      const value = await abortable(message.id, message.aborted, (signal) =>
        engine.generate(message.request, {
          signal,
          onText: (delta) => send({ type: 'text', id: message.id, delta }),
          ...(message.tokens === true && { onToken: (token: number) => send({ type: 'token', id: message.id, token }) }),
          ...(message.scores === true && { onTokenScore: (score: TokenScore) => send({ type: 'score', id: message.id, score }) }),
        }),
      );
      send({ type: 'result', id: message.id, value });
      return;
    }
    case 'draftLogProbs':
      send({ type: 'result', id: message.id, value: await abortable(message.id, message.aborted, (signal) => engine.draftLogProbs(message.ids, signal)) });
      return;
    case 'dispose':
      await engine.dispose();
      send({ type: 'result', id: message.id, value: null });
      return;
  }
}

/** Aborts every job, waits for the pass in flight and the sessions' release, then tells the parent's exit handler. */
async function stop(): Promise<void> {
  stopping = true;
  for (const controller of aborts.values()) controller.abort();
  try {
    await engine.dispose();
  } finally {
    Atomics.store(stopped, 0, 1);
    Atomics.notify(stopped, 0);
  }
}

port.on('message', (message: ToWorker) => {
  // A load's failures are the model folder's, not inference's (whose fix is to reload).
  handle(message).catch((e: unknown) => send({ type: 'error', id: message.id, error: toLocusError(e, message.type === 'load' ? ModelLoadFailedError : undefined).toJSON() }));
});
