// training/quantize_onnx.py (onnx + numpy only) checked in onnxruntime-node on the tiny-llama fixture:
// the 4-bit format is exact (MatMulNBits / GatherBlockQuantized with fp32 compute reproduce numpy's
// dequantized weights), the int8 graph matches its weights up to activation quantization, and the I/O
// signature is unchanged. Skipped where the Python side (onnx, numpy) is not installed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { copyFixture, maxAbsDiff, reference, ROOT } from './runtimeFixtures';

const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';
const hasPython = spawnSync(PYTHON, ['-c', 'import onnx, numpy'], { stdio: 'ignore' }).status === 0;

// Writes fp32 models holding exactly the weights the quantized files encode, next to them.
const DEQUANTIZED_REFERENCES = `
import os, sys, numpy as np, onnx
from onnx import numpy_helper
sys.path.insert(0, os.path.join(sys.argv[1], "training"))
import quantize_onnx as q
d = sys.argv[2]
def rewrite(kind):
    m = onnx.load(os.path.join(d, "model.onnx"))
    inits = q._initializers(m.graph)
    for _, node in q._const_matmuls(m.graph, inits):
        t = inits[node.input[1]]; w = numpy_helper.to_array(t)
        if kind == "q4":
            p, s = q.quantize_blockwise_4bit(np.ascontiguousarray(w.T), 32)
            w = np.ascontiguousarray(q.dequantize_blockwise_4bit(p, s, w.shape[0]).T)
        else:
            i8, s = q.quantize_int8_symmetric(w, True); w = i8.astype(np.float32) * s
        t.CopyFrom(numpy_helper.from_array(w.astype(np.float32), t.name))
    if kind == "q4":
        for _, node in q._embedding_gathers(m.graph, inits):
            t = inits[node.input[0]]; w = numpy_helper.to_array(t)
            p, s = q.quantize_blockwise_4bit(w, 32)
            t.CopyFrom(numpy_helper.from_array(q.dequantize_blockwise_4bit(p, s, w.shape[1]).astype(np.float32), t.name))
    onnx.save(m, os.path.join(d, "model_%s_dequantized.onnx" % kind))
rewrite("q4"); rewrite("int8")
m = onnx.load(os.path.join(d, "model.onnx"))
onnx.save(q.to_q4(m, accuracy_level=1, log=lambda s: None), os.path.join(d, "model_q4_fp32compute.onnx"))
`;

function python(args: string[]): void {
  const r = spawnSync(PYTHON, args, { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

async function prefillLogits(path: string, ids: number[]): Promise<{ logits: Float32Array; session: ort.InferenceSession; presentDims: readonly number[] }> {
  const session = await ort.InferenceSession.create(path, { intraOpNumThreads: 1 });
  const n = ids.length;
  const feeds: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, n]),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]),
    position_ids: new ort.Tensor('int64', BigInt64Array.from({ length: n }, (_, i) => BigInt(i)), [1, n]),
    num_logits_to_keep: new ort.Tensor('int64', new BigInt64Array([0n]), []),
  };
  for (const name of session.inputNames.filter((x) => x.startsWith('past_key_values.'))) {
    feeds[name] = new ort.Tensor('float32', new Float32Array(0), [1, 2, 0, 16]);
  }
  const out = await session.run(feeds);
  return { logits: out.logits.data as Float32Array, session, presentDims: out['present.1.value'].dims };
}

function argmaxRows(logits: Float32Array, vocab: number): number[] {
  const rows: number[] = [];
  for (let r = 0; r < logits.length / vocab; r++) {
    let best = 0;
    for (let v = 1; v < vocab; v++) if (logits[r * vocab + v] > logits[r * vocab + best]) best = v;
    rows.push(best);
  }
  return rows;
}

describe('training/quantize_onnx.py', { skip: !hasPython && 'python3 with onnx and numpy is not installed' }, () => {
  let fixture: { dir: string; cleanup: () => void };
  let onnxDir: string;
  const ids = reference.promptIds;

  before(() => {
    fixture = copyFixture();
    onnxDir = join(fixture.dir, 'onnx');
    python([join(ROOT, 'training', 'quantize_onnx.py'), join(onnxDir, 'model.onnx')]);
    python(['-c', DEQUANTIZED_REFERENCES, ROOT, onnxDir]);
  });
  after(() => fixture.cleanup());

  it('keeps the I/O signature and present shapes', async () => {
    const fp32 = await prefillLogits(join(onnxDir, 'model.onnx'), ids);
    for (const file of ['model_int8.onnx', 'model_q4.onnx']) {
      const quantized = await prefillLogits(join(onnxDir, file), ids);
      assert.deepEqual(quantized.session.inputNames, fp32.session.inputNames);
      assert.deepEqual(quantized.session.outputNames, fp32.session.outputNames);
      assert.deepEqual(quantized.presentDims, fp32.presentDims);
      assert.equal(quantized.logits.length, fp32.logits.length);
    }
  });

  it('4-bit files decode to exactly the weights numpy dequantizes (fp32 compute)', async () => {
    const packed = await prefillLogits(join(onnxDir, 'model_q4_fp32compute.onnx'), ids);
    const dequantized = await prefillLogits(join(onnxDir, 'model_q4_dequantized.onnx'), ids);
    assert.ok(maxAbsDiff(packed.logits, dequantized.logits) < 1e-4);
  });

  it('int8 differs from its dequantized weights only by activation quantization', async () => {
    const vocab = 662;
    const int8 = await prefillLogits(join(onnxDir, 'model_int8.onnx'), ids);
    const dequantized = await prefillLogits(join(onnxDir, 'model_int8_dequantized.onnx'), ids);
    const fp32 = await prefillLogits(join(onnxDir, 'model.onnx'), ids);
    assert.ok(maxAbsDiff(int8.logits, dequantized.logits) < 1.5);
    const expected = argmaxRows(fp32.logits, vocab);
    const agree = argmaxRows(int8.logits, vocab).filter((t, i) => t === expected[i]).length;
    assert.ok(agree / ids.length >= 0.75, `top-1 agreement ${agree}/${ids.length}`);
  });
});
