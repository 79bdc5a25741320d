// Messages between WorkerEngine (parent thread) and inferenceWorker (worker thread).
import type { EngineLoadOptions, GenerateRequest, GenerateResult, ModelInfo } from './engine';
import type { SerializedLocusError } from './errors';

export type ToWorker =
  | { type: 'load'; id: number; options: EngineLoadOptions }
  | { type: 'generate'; id: number; request: GenerateRequest }
  | { type: 'draftLogProbs'; id: number; ids: number[] }
  | { type: 'abort'; id: number }
  | { type: 'dispose'; id: number };

export type FromWorker =
  | { type: 'result'; id: number; value: ModelInfo | GenerateResult | number[] | null }
  | { type: 'error'; id: number; error: SerializedLocusError }
  | { type: 'text'; id: number; delta: string };
