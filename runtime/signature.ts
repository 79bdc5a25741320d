// Pure checks of an ONNX decoder's declared inputs/outputs against its config.json and tokenizer, so a mismatched
// model fails at load with a sentence that names the problem instead of a shape error mid-generation.
import { ModelConfigError, ModelSignatureError, TokenizerMismatchError } from './errors';
import type { ModelConfig } from './modelConfig';

export interface DeclaredValue {
  name: string;
  /** ORT tensor element type ('float32', 'int64', ...); undefined when ORT did not report it. */
  type?: string;
  /** Numbers for fixed dims, strings for symbolic ones; empty when unknown. */
  shape: readonly (number | string)[];
}

export interface DeclaredSignature {
  inputs: DeclaredValue[];
  outputs: DeclaredValue[];
}

/** The inputs the runtime knows how to feed; anything else declared by a model is an error. */
export const KNOWN_INPUTS = ['input_ids', 'attention_mask', 'position_ids', 'num_logits_to_keep', 'use_cache_branch'];
export const KV_TYPES = ['float32', 'float16'];

export const pastKeyName = (layer: number) => `past_key_values.${layer}.key`;
export const pastValueName = (layer: number) => `past_key_values.${layer}.value`;
export const presentKeyName = (layer: number) => `present.${layer}.key`;
export const presentValueName = (layer: number) => `present.${layer}.value`;
/** The output a rewritten graph adds beside a `present` tensor: only the rows of the pass (kvRowsModel.ts). */
export const presentRowsName = (present: string) => `${present}/rows`;

export const PAST_PATTERN = /^past_key_values\.(\d+)\.(key|value)$/;

/** Validates the signature; returns the KV element type ('float32' | 'float16'). */
export function checkSignature(sig: DeclaredSignature, config: ModelConfig): string {
  const inputs = new Map(sig.inputs.map((v) => [v.name, v]));
  const outputs = new Map(sig.outputs.map((v) => [v.name, v]));
  if (!inputs.has('input_ids')) throw new ModelSignatureError('The ONNX model has no "input_ids" input; it is not a decoder-only language model.');
  if (!outputs.has('logits')) throw new ModelSignatureError('The ONNX model has no "logits" output; it is not a decoder-only language model.');

  const pastLayers = new Set<number>();
  for (const { name } of sig.inputs) {
    const m = PAST_PATTERN.exec(name);
    if (m) pastLayers.add(Number(m[1]));
    else if (!KNOWN_INPUTS.includes(name)) throw new ModelSignatureError(`The ONNX model has an input "${name}" that the runtime cannot feed.`);
  }
  // Named here: onnxruntime's own message at the first pass does not say which input it is.
  for (const name of ['input_ids', 'attention_mask', 'position_ids']) {
    const type = inputs.get(name)?.type;
    if (type !== undefined && type !== 'int64') throw new ModelSignatureError(`"${name}" is ${type}; the runtime feeds int64, as the Optimum export declares it.`);
  }
  if (pastLayers.size === 0) {
    throw new ModelSignatureError('The ONNX model has no past_key_values inputs; it was exported without its KV cache.');
  }
  if (pastLayers.size !== config.numLayers) {
    throw new ModelSignatureError(`The ONNX model has KV inputs for ${pastLayers.size} layers but config.json says num_hidden_layers is ${config.numLayers}.`);
  }

  let kvType: string | undefined;
  for (let i = 0; i < config.numLayers; i++) {
    for (const [past, present] of [[pastKeyName(i), presentKeyName(i)], [pastValueName(i), presentValueName(i)]]) {
      const input = inputs.get(past);
      if (!input) throw new ModelSignatureError(`The ONNX model has no "${past}" input (config.json says ${config.numLayers} layers).`);
      if (!outputs.has(present)) throw new ModelSignatureError(`The ONNX model has no "${present}" output to go with "${past}".`);
      checkKvShape(input, config);
      if (input.type !== undefined) {
        if (!KV_TYPES.includes(input.type)) throw new ModelSignatureError(`"${past}" is ${input.type}; the runtime supports float32 and float16 KV caches.`);
        if (kvType !== undefined && kvType !== input.type) throw new ModelSignatureError(`The KV inputs mix ${kvType} and ${input.type}.`);
        kvType = input.type;
      }
    }
  }
  return kvType ?? 'float32';
}

function checkKvShape(input: DeclaredValue, config: ModelConfig): void {
  if (input.shape.length === 0) return;
  if (input.shape.length !== 4) {
    throw new ModelSignatureError(`"${input.name}" has rank ${input.shape.length}; expected [batch, kv_heads, past, head_dim].`);
  }
  const [, heads, , headDim] = input.shape;
  if (typeof heads === 'number' && heads !== config.numKeyValueHeads) {
    throw new ModelSignatureError(`"${input.name}" has ${heads} KV heads but config.json says num_key_value_heads is ${config.numKeyValueHeads}.`);
  }
  if (typeof headDim === 'number' && headDim !== config.headDim) {
    throw new ModelSignatureError(`"${input.name}" has head size ${headDim} but config.json implies head_dim ${config.headDim}.`);
  }
}

/**
 * Ids a logits row may have beyond the tokenizer's: vocabularies are padded (Qwen2.5: 271 ids; DeepSeek's 102,400
 * logits hold a vocabulary of ~100,000 plus room); another model's tokenizer is usually far smaller.
 */
const PADDING_SHARE = 0.1;
const PADDING_IDS = 1024;

/**
 * The logits row must cover every id the tokenizer can produce, and only a padding's worth more: a tokenizer of
 * another model with fewer tokens loaded without a word and wrote garbage.
 */
export function checkLogitsWidth(logitsWidth: number, tokenizerVocab: number, what = 'model'): void {
  checkTokenizerCovers(logitsWidth, tokenizerVocab, (n) => `the ${what} produces logits for ${n}`);
}

/**
 * The same check against config.json's vocab_size, which the load later holds the logits width to (checkVocabSize):
 * made before the kept copies are written, so another model's tokenizer is refused at once rather than after minutes.
 */
export function checkConfigVocab(configVocab: number, tokenizerVocab: number, what = 'model'): void {
  checkTokenizerCovers(
    configVocab,
    tokenizerVocab,
    (n) => `config.json of the ${what} gives vocab_size ${n}`,
    'Use the tokenizer.json and config.json published with this model; one of the two belongs to another model.',
  );
}

function checkTokenizerCovers(width: number, tokenizerVocab: number, widthIs: (n: string) => string, fix?: string): void {
  if (tokenizerVocab > width) {
    throw new TokenizerMismatchError(`The tokenizer has ${tokenizerVocab} tokens but ${widthIs(`only ${width}`)}; they do not belong together.`, fix);
  }
  if (width - tokenizerVocab > Math.max(PADDING_IDS, width * PADDING_SHARE)) {
    throw new TokenizerMismatchError(`The tokenizer has only ${tokenizerVocab} tokens but ${widthIs(`${width}`)}; they do not belong together.`, fix);
  }
}

/** config.json's vocab_size is the logits row's width (a config.json of another model says otherwise). */
export function checkVocabSize(logitsWidth: number, configVocab: number, what = 'model'): void {
  if (configVocab !== logitsWidth) {
    throw new ModelConfigError(`config.json says vocab_size is ${configVocab} but the ${what} produces logits for ${logitsWidth} tokens.`);
  }
}
