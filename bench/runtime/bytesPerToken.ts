// Bytes a decode step must stream from memory: every weight except the embedding table (one row is gathered),
// plus the KV cache read at the current context. Divided by measured bandwidth this is the decode ceiling.
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { onnx } from 'onnx-proto';
import { fileStepWeights } from '../../runtime/modelFiles';
import { fileGraphSkeleton } from '../../runtime/onnxSkeleton';
import { stepWeightBytes } from '../../runtime/stepWeightBytes';

export interface ModelShape {
  layers: number;
  hidden: number;
  vocab: number;
  kvHeads: number;
  headDim: number;
}

export function readShape(modelDir: string): ModelShape {
  const c = JSON.parse(readFileSync(join(modelDir, 'config.json'), 'utf8'));
  return {
    layers: c.num_hidden_layers,
    hidden: c.hidden_size,
    vocab: c.vocab_size,
    kvHeads: c.num_key_value_heads,
    headDim: c.head_dim ?? c.hidden_size / c.num_attention_heads,
  };
}

export interface WeightBytes {
  /** Bytes of weights read per decoded token. */
  weights: number;
  /** KV-cache bytes read per token per position of context. */
  kvPerPosition: number;
  /** How `weights` was obtained. */
  method: string;
}

/** ONNX files: the weights a step reads whole, read from the graph (runtime/stepWeightBytes.ts: all but tables only
 *  gathered from, so a tied or float32 output layer counts); KV as the file's past_key_values inputs declare it. */
export function onnxWeightBytes(modelDir: string, file: string, asLocusRunsIt = false): WeightBytes {
  const s = readShape(modelDir);
  const path = join(modelDir, file);
  const skeleton = fileGraphSkeleton(path);
  // Locus reads a 4-bit file's float32 output layer as 4-bit (runtime/outputLayerQuantization.ts).
  const weights = asLocusRunsIt ? fileStepWeights(path)?.bytes : skeleton && stepWeightBytes(skeleton);
  if (weights === undefined) throw new Error(`${path}: its weights could not be read from the graph`);
  const halfCache = skeleton!.inputs.some((v) => v.name?.startsWith('past_key_values.') && v.type?.tensorType?.elemType === onnx.TensorProto.DataType.FLOAT16);
  return {
    weights,
    kvPerPosition: s.layers * 2 * s.kvHeads * s.headDim * (halfCache ? 2 : 4),
    method: `weights the graph reads whole (all but gathered tables)${asLocusRunsIt ? ', as Locus runs it' : ''}`,
  };
}

/** GGUF: exact tensor sizes from the header (node-llama-cpp's reader); KV is f16 in llama.cpp by default. */
export async function ggufWeightBytes(modelDir: string, file: string): Promise<WeightBytes> {
  const s = readShape(modelDir);
  const path = isAbsolute(file) ? file : join(modelDir, file);
  const { readGgufFileInfo } = await import('node-llama-cpp');
  const info = await readGgufFileInfo(path);
  const tensors = [...(info.fullTensorInfo ?? info.tensorInfo ?? [])].sort((a, b) => Number(a.fileOffset) - Number(b.fileOffset));
  const fileSize = statSync(path).size;
  const hasOutput = tensors.some((t) => t.name === 'output.weight');
  let weights = 0;
  tensors.forEach((t, i) => {
    const end = i + 1 < tensors.length ? Number(tensors[i + 1].fileOffset) : fileSize;
    const bytes = end - Number(t.fileOffset);
    if (t.name !== 'token_embd.weight' || !hasOutput) weights += bytes;
  });
  return { weights, kvPerPosition: s.layers * 2 * s.kvHeads * s.headDim * 2, method: 'GGUF tensor sizes - token_embd' };
}

/** Mean bytes per decoded token over prompts, the context growing from promptTokens to promptTokens+newTokens. */
export function meanBytesPerToken(w: WeightBytes, prompts: { promptTokens: number; newTokens: number }[]): number {
  let bytes = 0, tokens = 0;
  for (const p of prompts) {
    const meanContext = p.promptTokens + p.newTokens / 2;
    bytes += (w.weights + w.kvPerPosition * meanContext) * (p.newTokens - 1);
    tokens += p.newTokens - 1;
  }
  return bytes / tokens;
}
