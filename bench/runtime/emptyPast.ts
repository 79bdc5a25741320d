// The empty KV cache the benches' bare onnxruntime sessions start from, for files the runtime's OrtDecoderModel
// does not load (other runners' checks, variants, a bare loop).
import * as ort from 'onnxruntime-node';

/**
 * An empty tensor for every past_key_values input of `session`, in the type the file declares (float16 after
 * training/kv_cache_fp16.py, else float32): batch 1, the past axis (and any other symbolic one) 0.
 */
export function emptyPast(session: ort.InferenceSession): Record<string, ort.Tensor> {
  const past: Record<string, ort.Tensor> = {};
  for (const meta of session.inputMetadata) {
    if (!meta.isTensor || !meta.name.startsWith('past_key_values.')) continue;
    const dims = meta.shape.map((d, i) => (i === 0 ? 1 : typeof d === 'number' ? d : 0));
    past[meta.name] = meta.type === 'float16' ? new ort.Tensor('float16', new Uint16Array(0), dims) : new ort.Tensor('float32', new Float32Array(0), dims);
  }
  return past;
}
