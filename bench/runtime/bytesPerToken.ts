// Bytes a decode step must stream from memory: every weight except the embedding table (one row is gathered),
// plus the KV cache read at the current context. Divided by measured bandwidth this is the decode ceiling.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, isAbsolute, join } from 'node:path';
import { onnx } from 'onnx-proto';
import { Reader } from 'protobufjs/minimal';

export interface ModelShape {
  layers: number;
  hidden: number;
  vocab: number;
  kvHeads: number;
  headDim: number;
  tied: boolean;
}

export function readShape(modelDir: string): ModelShape {
  const c = JSON.parse(readFileSync(join(modelDir, 'config.json'), 'utf8'));
  return {
    layers: c.num_hidden_layers,
    hidden: c.hidden_size,
    vocab: c.vocab_size,
    kvHeads: c.num_key_value_heads,
    headDim: c.head_dim ?? c.hidden_size / c.num_attention_heads,
    tied: Boolean(c.tie_word_embeddings),
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

const GRAPH_FIELD = 7; // ModelProto.graph
const INPUT_FIELD = 11; // GraphProto.input

/**
 * Bytes per element of an ONNX decoder's KV cache, from the types of its past_key_values inputs: 2 when they are
 * float16 (training/kv_cache_fp16.py), else 4. Walks the protobuf and decodes only the graph's inputs, so a
 * file of hundreds of MB costs a read, not a full decode.
 */
export function onnxKvElementBytes(path: string): number {
  const buffer = readFileSync(path);
  const reader = Reader.create(buffer);
  const fields = (r: Reader, end: number, visit: (field: number, r: Reader) => boolean) => {
    while (r.pos < end) {
      const tag = r.uint32();
      if (!visit(tag >>> 3, r)) r.skipType(tag & 7);
    }
  };
  let bytes = 4;
  fields(reader, reader.len, (field, r) => {
    if (field !== GRAPH_FIELD) return false;
    const graphEnd = r.uint32() + r.pos;
    fields(r, graphEnd, (inner, g) => {
      if (inner !== INPUT_FIELD) return false;
      const length = g.uint32();
      const input = onnx.ValueInfoProto.decode(buffer.subarray(g.pos, g.pos + length));
      g.pos += length;
      if (input.name?.startsWith('past_key_values.') && input.type?.tensorType?.elemType === onnx.TensorProto.DataType.FLOAT16) bytes = 2;
      return true;
    });
    return true;
  });
  return bytes;
}

/** ONNX files from training/quantize_onnx.py (or fp32 exports): file size minus the embedding table, whose size
 *  follows from the format (fp32 4 B, int8 1 B, q4 0.5 B + an fp32 scale per 32 values). KV as the file declares
 *  it: fp32 from the exporters, fp16 after training/kv_cache_fp16.py. */
export function onnxWeightBytes(modelDir: string, file: string): WeightBytes {
  const s = readShape(modelDir);
  const path = join(modelDir, file);
  let size = statSync(path).size;
  if (existsSync(path + '_data')) size += statSync(path + '_data').size;
  const table = s.vocab * s.hidden;
  const name = basename(file);
  const embedding = name.includes('q4') ? table / 2 + (table / 32) * 4 : name.includes('int8') || name.includes('quantized') ? table : name.includes('fp16') ? table * 2 : table * 4;
  return {
    weights: s.tied ? size : size - embedding,
    kvPerPosition: s.layers * 2 * s.kvHeads * s.headDim * onnxKvElementBytes(path),
    method: 'file size - embedding table (by format)',
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
