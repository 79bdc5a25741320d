// Messages between WorkerEngine (parent thread) and inferenceWorker (worker thread).
import type { EngineLoadOptions, GenerateRequest, GenerateResult, ModelInfo, TokenScore } from './engine';
import type { SerializedLocusError } from './errors';

export type ToWorker =
  | { type: 'load'; id: number; options: EngineLoadOptions }
  // `aborted`: the caller's signal was aborted before the call was posted. An `abort` message posted right after
  // could reach the worker only once a short job had already run to its end.
  // `tokens`: the caller listens for each token id (GenerateHooks.onToken), sent as `token` messages; `scores`: for
  // each token's score (GenerateHooks.onTokenScore), sent as `score` messages.
  | { type: 'generate'; id: number; request: GenerateRequest; aborted?: boolean; tokens?: boolean; scores?: boolean }
  | { type: 'draftLogProbs'; id: number; ids: number[]; aborted?: boolean }
  | { type: 'abort'; id: number }
  | { type: 'dispose'; id: number }
  // The parent's process is exiting: abort everything, release the sessions, then set `WorkerData.stopped`.
  | { type: 'stop'; id: 0 };

/** What the parent hands the worker when it starts it. */
export interface WorkerData {
  /**
   * One Int32 the worker sets to 1 (and notifies) once it has stopped after a `stop` message: no onnxruntime call
   * is running or will start. The parent's exit handler waits on it, since ending the thread while onnxruntime-node
   * runs a session aborts the whole process.
   */
  stopped: SharedArrayBuffer;
}

export type FromWorker =
  | { type: 'result'; id: number; value: ModelInfo | GenerateResult | number[] | null }
  | { type: 'error'; id: number; error: SerializedLocusError }
  | { type: 'text'; id: number; delta: string }
  | { type: 'token'; id: number; token: number }
  | { type: 'score'; id: number; score: TokenScore }
  /** A long step of a load starting (LoadHooks.onProgress). */
  | { type: 'progress'; id: number; message: string };
