// Parses and validates a model's config.json (+ generation_config.json): the numbers the runtime needs to feed
// the decoder (layers, KV heads, head size) and to stop it (EOS ids, context length).
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ModelConfigError } from './errors';

export interface ModelConfig {
  /** `name` from config.json when present. */
  name?: string;
  modelType: string;
  numLayers: number;
  numAttentionHeads: number;
  numKeyValueHeads: number;
  headDim: number;
  hiddenSize: number;
  vocabSize: number;
  bosTokenId: number | null;
  /** From generation_config.json when it has them, else config.json; may be empty. */
  eosTokenIds: number[];
  maxPositionEmbeddings: number;
  /** The attention window, where config.json uses one narrower than the context (Mistral's, Qwen2's use_sliding_window). */
  slidingWindow?: number;
  /** rope_theta, where the rotary embedding is the plain one: every dimension rotated, no rope_scaling. */
  plainRopeTheta?: number;
}

type Json = Record<string, unknown>;

function positiveInt(config: Json, key: string, source: string): number {
  const v = config[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    throw new ModelConfigError(`${source}: "${key}" must be a positive integer (got ${JSON.stringify(v)}).`);
  }
  return v;
}

function tokenIds(v: unknown, key: string, source: string): number[] | undefined {
  if (v === undefined || v === null) return undefined;
  const list = Array.isArray(v) ? v : [v];
  if (!list.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= 0)) {
    // The fix names the file the value is in: generation_config.json's got config.json's fix.
    throw new ModelConfigError(
      `${source}: "${key}" must be a token id or a list of them (got ${JSON.stringify(v)}).`,
      `Fix or replace ${basename(source)} with the one published with the model.`,
    );
  }
  return list as number[];
}

/** Pure: validates the parsed JSON of config.json and (optionally) generation_config.json. */
export function parseModelConfig(config: unknown, generation?: unknown, source = 'config.json'): ModelConfig {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new ModelConfigError(`${source} is not a JSON object.`);
  }
  const c = config as Json;
  const numLayers = positiveInt(c, 'num_hidden_layers', source);
  const numAttentionHeads = positiveInt(c, 'num_attention_heads', source);
  const numKeyValueHeads = c.num_key_value_heads === undefined ? numAttentionHeads : positiveInt(c, 'num_key_value_heads', source);
  const hiddenSize = positiveInt(c, 'hidden_size', source);
  const headDim = c.head_dim === undefined || c.head_dim === null ? hiddenSize / numAttentionHeads : positiveInt(c, 'head_dim', source);
  if (!Number.isInteger(headDim)) {
    throw new ModelConfigError(`${source}: hidden_size ${hiddenSize} is not a multiple of num_attention_heads ${numAttentionHeads} and there is no head_dim.`);
  }
  if (numAttentionHeads % numKeyValueHeads !== 0) {
    throw new ModelConfigError(`${source}: num_attention_heads ${numAttentionHeads} is not a multiple of num_key_value_heads ${numKeyValueHeads}.`);
  }
  const maxPositionEmbeddings = positiveInt(c, 'max_position_embeddings', source);
  // Qwen2's configs carry a sliding_window they do not use unless use_sliding_window says so; Mistral's use it when set.
  // transformers 5 names each layer's attention in layer_types ("sliding_attention" where windowed).
  const window = c.sliding_window;
  const windowedLayers = Array.isArray(c.layer_types) && c.layer_types.some((t) => t !== 'full_attention');
  const slidingWindow =
    typeof window === 'number' && c.use_sliding_window !== false && window < maxPositionEmbeddings && (windowedLayers || !Array.isArray(c.layer_types))
      ? window
      : undefined;
  // transformers 5 writes the rotary embedding's settings in rope_parameters, earlier versions at the top level.
  const rope = (typeof c.rope_parameters === 'object' && c.rope_parameters !== null ? c.rope_parameters : {}) as Json;
  const theta = rope.rope_theta ?? c.rope_theta ?? 10000;
  const scaling = c.rope_scaling as Json | null | undefined;
  const plainType = (s: Json | null | undefined) => s === undefined || s === null || ((s.rope_type ?? s.type ?? 'default') === 'default' && s.factor === undefined);
  const partial = rope.partial_rotary_factor ?? c.partial_rotary_factor;
  const plainRope = typeof theta === 'number' && theta > 0 && plainType(scaling) && plainType(rope) && (partial === undefined || partial === 1);
  const g = typeof generation === 'object' && generation !== null ? (generation as Json) : {};
  const eosTokenIds =
    tokenIds(g.eos_token_id, 'eos_token_id', 'generation_config.json') ?? tokenIds(c.eos_token_id, 'eos_token_id', source) ?? [];
  const bos = tokenIds(g.bos_token_id, 'bos_token_id', 'generation_config.json') ?? tokenIds(c.bos_token_id, 'bos_token_id', source);
  const vocabSize = positiveInt(c, 'vocab_size', source);
  // Fed to the model at load (the warm-up starts from BOS): an id past the vocabulary would fail inside onnxruntime.
  for (const [key, ids] of [['bos_token_id', bos ?? []], ['eos_token_id', eosTokenIds]] as const) {
    const outside = ids.find((id) => id >= vocabSize);
    if (outside !== undefined) {
      throw new ModelConfigError(
        `The model's ${key} ${outside} is outside its vocabulary of ${vocabSize} ids (${source}).`,
        `Set ${key} in config.json, and in generation_config.json where it has one (that file's value wins), to an id from tokenizer.json; if the id is right, vocab_size in config.json is not the model's.`,
      );
    }
  }
  return {
    name: typeof c.name === 'string' ? c.name : undefined,
    modelType: typeof c.model_type === 'string' ? c.model_type : 'unknown',
    numLayers,
    numAttentionHeads,
    numKeyValueHeads,
    headDim,
    hiddenSize,
    vocabSize,
    bosTokenId: bos?.[0] ?? null,
    eosTokenIds: [...new Set(eosTokenIds)],
    maxPositionEmbeddings,
    ...(slidingWindow !== undefined && { slidingWindow }),
    ...(plainRope && { plainRopeTheta: theta as number }),
  };
}

function readJson(path: string): unknown {
  const text = readFileSync(path, 'utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ModelConfigError(`${path} is not valid JSON: ${(e as Error).message}.`, `Fix or replace ${basename(path)} with the one published with the model.`);
  }
}

/** Reads `<dir>/config.json` and, when present, `<dir>/generation_config.json`. */
export function readModelConfig(dir: string): ModelConfig {
  const generationPath = join(dir, 'generation_config.json');
  const generation = existsSync(generationPath) ? readJson(generationPath) : undefined;
  return parseModelConfig(readJson(join(dir, 'config.json')), generation, join(dir, 'config.json'));
}
