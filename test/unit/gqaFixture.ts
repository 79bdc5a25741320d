// A one-layer GroupQueryAttention graph (packed query/key/value with rotary tables, as training/slim_onnx.py leaves
// it), built by python3 + onnx, and a prefill-then-step run of it in onnxruntime-node: shared by the tests of the
// rewrites of attention (training/kv_cache_fp16.py, runtime/decomposedAttention.ts).
import { spawnSync } from 'node:child_process';
import * as ort from 'onnxruntime-node';
import { halfToFloat } from '../../runtime/float16';

export const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';
export const hasPython = spawnSync(PYTHON, ['-c', 'import onnx, numpy'], { stdio: 'ignore' }).status === 0;

const HEADS = 4;
export const KV_HEADS = 2;
export const HEAD_DIM = 16;
const MAX_POSITIONS = 64;

/** Python that writes the graph to argv[1]; `extraAttributes` is Python keyword arguments for the attention node. */
export function attentionGraphScript(extraAttributes = ''): string {
  return `
import sys, numpy as np, onnx
from onnx import TensorProto as T, helper as h, numpy_helper as nh
heads, kv_heads, dim, positions = ${HEADS}, ${KV_HEADS}, ${HEAD_DIM}, ${MAX_POSITIONS}
angles = np.outer(np.arange(positions), 1.0 / 10000 ** (np.arange(0, dim, 2) / dim)).astype(np.float32)
node = h.make_node("GroupQueryAttention", ["qkv", "", "", "past_key_values.0.key", "past_key_values.0.value",
                   "seqlens_k", "total_sequence_length", "cos", "sin"], ["attn", "present.0.key", "present.0.value"],
                   domain="com.microsoft", num_heads=heads, kv_num_heads=kv_heads, do_rotary=1${extraAttributes ? `, ${extraAttributes}` : ''})
cache = lambda n: h.make_tensor_value_info(n, T.FLOAT, [1, kv_heads, "length", dim])
graph = h.make_graph([node, h.make_node("Mul", ["attn", "two"], ["output"])], "attention",
    [h.make_tensor_value_info("qkv", T.FLOAT, [1, "steps", (heads + 2 * kv_heads) * dim]),
     cache("past_key_values.0.key"), cache("past_key_values.0.value"),
     h.make_tensor_value_info("seqlens_k", T.INT32, [1]), h.make_tensor_value_info("total_sequence_length", T.INT32, [])],
    [h.make_tensor_value_info("output", T.FLOAT, [1, "steps", heads * dim]), cache("present.0.key"), cache("present.0.value")],
    [nh.from_array(np.cos(angles), "cos"), nh.from_array(np.sin(angles), "sin"), nh.from_array(np.array(2, np.float32), "two")])
model = h.make_model(graph, opset_imports=[h.make_opsetid("", 18), h.make_opsetid("com.microsoft", 1)])
onnx.save(model, sys.argv[1])
`;
}

export function runPython(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(PYTHON, args, { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function floats(t: ort.Tensor): number[] {
  return t.type === 'float16' ? Array.from(t.data as Uint16Array, halfToFloat) : Array.from(t.data as Float32Array);
}

export interface AttentionRun {
  /** Declared input types by name. */
  inputTypes: Record<string, string>;
  /** The graph's output after the prefill, then after the step. */
  outputs: number[][];
  /** present key and value after the step. */
  presents: number[][];
  /** The step's new key and value rows, where the graph outputs them (`present.0.key/rows`). */
  rows?: number[][];
}

/**
 * A prefill of `prompt` positions from an empty cache, then a pass of `step` positions on the cache it returned; with
 * `capacity`, the prefill's cache is a buffer of that many rows of garbage with room for both passes (as the
 * runtime's own cache buffers are, runtime/kvArena.ts), and `present` keeps the buffer's shape.
 */
export async function attend(path: string, qkv: Float32Array, prompt: number, step = 1, capacity?: number): Promise<AttentionRun> {
  const session = await ort.InferenceSession.create(path, { intraOpNumThreads: 1 });
  try {
    return await attendWith(session, qkv, prompt, step, capacity);
  } finally {
    await session.release();
  }
}

async function attendWith(session: ort.InferenceSession, qkv: Float32Array, prompt: number, step: number, capacity?: number): Promise<AttentionRun> {
  const half = session.inputMetadata.some((m) => m.name === 'past_key_values.0.key' && m.isTensor && m.type === 'float16');
  const width = (HEADS + 2 * KV_HEADS) * HEAD_DIM;
  const empty = () => (half ? new ort.Tensor('float16', new Uint16Array(0), [1, KV_HEADS, 0, HEAD_DIM]) : new ort.Tensor('float32', new Float32Array(0), [1, KV_HEADS, 0, HEAD_DIM]));
  const feeds = (from: number, to: number, key: ort.Tensor, value: ort.Tensor) => ({
    qkv: new ort.Tensor('float32', qkv.slice(from * width, to * width), [1, to - from, width]),
    'past_key_values.0.key': key,
    'past_key_values.0.value': value,
    seqlens_k: new ort.Tensor('int32', Int32Array.of(to - 1), [1]),
    total_sequence_length: new ort.Tensor('int32', Int32Array.of(to), []),
  });
  // A buffer of `capacity` rows of garbage: only the rows the passes write may count.
  const roomy = () =>
    half
      ? new ort.Tensor('float16', new Uint16Array(KV_HEADS * capacity! * HEAD_DIM).fill(0x4500), [1, KV_HEADS, capacity!, HEAD_DIM])
      : new ort.Tensor('float32', new Float32Array(KV_HEADS * capacity! * HEAD_DIM).fill(5), [1, KV_HEADS, capacity!, HEAD_DIM]);
  const start = capacity === undefined ? empty : roomy;
  const first = await session.run(feeds(0, prompt, start(), start()));
  const second = await session.run(feeds(prompt, prompt + step, first['present.0.key']!, first['present.0.value']!));
  const rows = second['present.0.key/rows'] && [floats(second['present.0.key/rows']), floats(second['present.0.value/rows']!)];
  return {
    inputTypes: Object.fromEntries(session.inputMetadata.map((m) => [m.name, m.isTensor ? m.type : ''])),
    outputs: [floats(first.output!), floats(second.output!)],
    presents: [floats(second['present.0.key']!), floats(second['present.0.value']!)],
    rows,
  };
}

/** Query/key/value rows for `positions` positions, deterministic. */
export function qkvRows(positions: number): Float32Array {
  return Float32Array.from({ length: positions * (HEADS + 2 * KV_HEADS) * HEAD_DIM }, (_, i) => Math.sin(i * 0.37));
}
