// The runtime's public API. The server uses WorkerEngine (or LocalEngine in-process) through InferenceEngine,
// and TextTokenizer to build prompts.
export type * from './engine';
export { GREEDY_SAMPLING } from './engine';
export * from './errors';
export { LocalEngine, findFimTokens, defaultModelDirs } from './localEngine';
export { WorkerEngine } from './workerEngine';
export { TextTokenizer, TokenDecoder, StreamingDecoder } from './tokenizer';
export { parseModelConfig, readModelConfig, type ModelConfig } from './modelConfig';
export { locateModelFiles, ONNX_FILE_NAMES, type ModelFiles } from './modelFiles';
export { Sampler, argmax, mulberry32 } from './sampler';
export { StopRules, StopStringFilter } from './stopRules';
export { Generator, type GeneratorDeps } from './generator';
export type { DecoderModel, KvState, ForwardResult } from './decoderModel';
export { loadDecoder, type LoadedDecoder } from './modelLoader';
export { OrtDecoderModel, defaultThreadCount } from './ortBackend';
