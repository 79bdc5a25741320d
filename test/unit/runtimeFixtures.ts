// Shared paths and helpers for the runtime tests (the tiny random-weight fixtures from scripts/make_fixture.py).
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { GREEDY_SAMPLING } from '../../runtime/engine';
import { readModelConfig, type ModelConfig } from '../../runtime/modelConfig';
import { bytesSource, encodedGraphField, graphSkeleton, splicedModel } from '../../runtime/onnxSkeleton';
import { OrtDecoderModel } from '../../runtime/ortBackend';
import type { DecoderModel } from '../../runtime/decoderModel';
import { argmax } from '../../runtime/sampler';

export const ROOT = join(__dirname, '..', '..');
export const TARGET_DIR = join(ROOT, 'test', 'fixtures', 'tiny-llama');
export const DRAFT_DIR = join(ROOT, 'test', 'fixtures', 'tiny-llama-draft');

export interface Reference {
  prompt: string;
  promptIds: number[];
  lastLogits: number[];
  greedy: number[];
}

export const reference: Reference = JSON.parse(readFileSync(join(TARGET_DIR, 'reference.json'), 'utf8'));

export const GREEDY = GREEDY_SAMPLING;

/** A temporary copy of a fixture directory, removed by the returned cleanup. */
export function copyFixture(src = TARGET_DIR): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'locus-fixture-'));
  cpSync(src, dir, { recursive: true });
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** The fixture target and draft as ORT decoders on 1 thread, for tests that drive the Generator; dispose both. */
export async function loadFixtureDecoders(options: { fuseAttention?: boolean } = {}): Promise<{ target: OrtDecoderModel; draft: OrtDecoderModel; config: ModelConfig }> {
  const config = readModelConfig(TARGET_DIR);
  const target = await OrtDecoderModel.create(join(TARGET_DIR, 'onnx', 'model.onnx'), config, 1, options);
  const draft = await OrtDecoderModel.create(join(DRAFT_DIR, 'onnx', 'model.onnx'), readModelConfig(DRAFT_DIR), 1, options);
  return { target, draft, config };
}

/** A cold prompt's feeds for a shipped-style decoder (float16 cache, num_logits_to_keep 1), for bare onnxruntime sessions. */
export function coldPromptFeeds(config: ModelConfig, tokens: readonly number[]): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', BigInt64Array.from(tokens, BigInt), [1, tokens.length]),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(tokens.length).fill(1n), [1, tokens.length]),
    position_ids: new ort.Tensor('int64', BigInt64Array.from(tokens, (_, i) => BigInt(i)), [1, tokens.length]),
    num_logits_to_keep: new ort.Tensor('int64', BigInt64Array.of(1n), []),
  };
  for (let i = 0; i < config.numLayers; i++) {
    for (const kind of ['key', 'value']) feeds[`past_key_values.${i}.${kind}`] = new ort.Tensor('float16', new Uint16Array(0), [1, config.numKeyValueHeads, 0, config.headDim]);
  }
  return feeds;
}

/**
 * `bytes` (a model file) with an unused 136 MB weight: the same graph, but over the size from which the loader treats
 * a file as large (ortBackend.ts), so tests can take the large-file paths with the shipped model.
 */
export function paddedPastLargeFileSize(bytes: Uint8Array): Uint8Array {
  const pad = onnx.TensorProto.encode({ name: 'locus_test_padding', dims: [136e6], dataType: onnx.TensorProto.DataType.UINT8, rawData: new Uint8Array(136e6) }).finish();
  return splicedModel(bytesSource(bytes), graphSkeleton(bytesSource(bytes))!, [], encodedGraphField(5, pad));
}

/**
 * A model folder `folder` holding the shipped default target padded past the large-file size
 * (paddedPastLargeFileSize) as its 4-bit file, and `int8(q4 bytes)` as its 8-bit file; returns the 4-bit file's path.
 */
export function largeShippedTarget(folder: string, int8: (q4: Buffer) => Uint8Array): string {
  const shipped = join(ROOT, 'models', 'default', 'target');
  const bytes = readFileSync(join(shipped, 'onnx', 'model_q4.onnx'));
  mkdirSync(join(folder, 'onnx'), { recursive: true });
  copyFileSync(join(shipped, 'config.json'), join(folder, 'config.json'));
  for (const name of ['tokenizer.json', 'tokenizer_config.json']) copyFileSync(join(shipped, '..', name), join(folder, name));
  const q4 = join(folder, 'onnx', 'model_q4.onnx');
  writeFileSync(q4, paddedPastLargeFileSize(bytes));
  writeFileSync(join(folder, 'onnx', 'model_int8.onnx'), int8(bytes));
  return q4;
}

/** `steps` greedy tokens after `prompt`, one pass per token from the prompt's cache. */
export async function greedyTokens(model: DecoderModel, prompt: readonly number[], steps: number): Promise<number[]> {
  let out = await model.forward(prompt, model.emptyKv(), 1);
  const tokens: number[] = [];
  for (let i = 0; i < steps; i++) {
    tokens.push(argmax(out.logits[0]!));
    out = await model.forward([tokens.at(-1)!], out.kv, 1);
  }
  return tokens;
}
