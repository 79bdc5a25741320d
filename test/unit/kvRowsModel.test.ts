// runtime/kvRowsModel.ts and the runtime keeping the KV cache in its own buffers (kvArena.ts), on the shipped target:
// the added outputs are the new rows of `present`, a past buffer longer than its valid rows changes nothing, graphs
// whose cache something else reads are left alone; through OrtDecoderModel the fused graph gives the same logits with
// the kept cache as with returned tensors (prompt, steps, a speculative pass and its rollback, a reused prefix, two
// continuations of one state), and so does the decomposed step graph.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import type { KvState } from '../../runtime/decoderModel';
import { ArenaKv } from '../../runtime/kvArena';
import { kvRowsModel } from '../../runtime/kvRowsModel';
import { attentionReadsOnlyValidRows, bytesSource, fileGraphSkeleton, graphSkeleton } from '../../runtime/onnxSkeleton';
import { readModelConfig } from '../../runtime/modelConfig';
import { OrtDecoderModel } from '../../runtime/ortBackend';
import { TextTokenizer } from '../../runtime/tokenizer';
import { ROOT, TARGET_DIR } from './runtimeFixtures';

const DIR = join(ROOT, 'models', 'default', 'target');
const FILE = join(DIR, 'onnx', 'model_q4.onnx');
const config = readModelConfig(DIR);
const ids = TextTokenizer.fromDirectory(join(ROOT, 'models', 'default')).encode(readFileSync(join(ROOT, 'training', 'llama.py'), 'utf8'));

describe('kvRowsModel', () => {
  const { numKeyValueHeads: H, headDim: D } = config;
  const feeds = (past: number, tokens: number[], cache: (layer: number, kind: string) => ort.Tensor) => {
    const f: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from(tokens, BigInt), [1, tokens.length]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(past + tokens.length).fill(1n), [1, past + tokens.length]),
      position_ids: new ort.Tensor('int64', BigInt64Array.from(tokens, (_, i) => BigInt(past + i)), [1, tokens.length]),
      num_logits_to_keep: new ort.Tensor('int64', BigInt64Array.of(BigInt(tokens.length)), []),
    };
    for (let i = 0; i < config.numLayers; i++) for (const kind of ['key', 'value']) f[`past_key_values.${i}.${kind}`] = cache(i, kind);
    return f;
  };

  it('adds the new rows of every present, and a longer past buffer gives the same logits and rows', async () => {
    const bytes = readFileSync(FILE);
    const rewritten = kvRowsModel(bytes);
    assert.ok(rewritten, 'the shipped target qualifies');
    const skeleton = graphSkeleton(bytesSource(rewritten))!;
    assert.equal(skeleton.outputs.filter((o) => o.name.endsWith('/rows')).length, 2 * config.numLayers);
    // One graph: the original's nodes, weights and outputs, then a Shape, Shape and Sub and a Slice per cache tensor.
    const before = onnx.ModelProto.decode(bytes).graph!;
    const after = onnx.ModelProto.decode(rewritten).graph!;
    assert.equal(after.node!.length, before.node!.length + 3 + 2 * config.numLayers);
    assert.equal(skeleton.nodes.length, after.node!.length);
    assert.deepEqual(after.initializer!.slice(0, before.initializer!.length).map((t) => t.name), before.initializer!.map((t) => t.name));
    assert.deepEqual(after.output!.slice(0, before.output!.length).map((o) => o.name), before.output!.map((o) => o.name));
    assert.equal(after.output!.length, before.output!.length + 2 * config.numLayers);
    const session = await ort.InferenceSession.create(rewritten, { intraOpNumThreads: 1 });
    try {
      const emptyCache = () => new ort.Tensor('float16', new Uint16Array(0), [1, H, 0, D]);
      const prompt = await session.run(feeds(0, ids.slice(0, 40), emptyCache));
      const plainPast = (i: number, kind: string) => prompt[`present.${i}.${kind}`]!;
      const capacity = 96;
      // Rows past the valid ones hold garbage: they must not count.
      const longPast = (i: number, kind: string) => {
        const src = plainPast(i, kind).data as Uint16Array;
        const buf = new Uint16Array(H * capacity * D).fill(0x3c00);
        for (let h = 0; h < H; h++) buf.set(src.subarray(h * 40 * D, (h + 1) * 40 * D), h * capacity * D);
        return new ort.Tensor('float16', buf, [1, H, capacity, D]);
      };
      const next = ids.slice(40, 43);
      const a = await session.run(feeds(40, next, plainPast));
      const b = await session.run(feeds(40, next, longPast));
      assert.deepEqual(Array.from(b.logits!.data as Float32Array), Array.from(a.logits!.data as Float32Array));
      for (const name of ['present.0.key', 'present.7.value']) {
        const full = a[name]!.data as Uint16Array;
        const rows = b[`${name}/rows`]!;
        assert.deepEqual(rows.dims, [1, H, 3, D]);
        const expected = Array.from({ length: H }, (_, h) => Array.from(full.subarray((h * 43 + 40) * D, (h * 43 + 43) * D))).flat();
        assert.deepEqual(Array.from(rows.data as Uint16Array), expected, name);
      }
    } finally {
      await session.release();
    }
  });

  it('leaves alone graphs with plain attention, graphs that read the cache elsewhere, and bytes that are not ONNX', () => {
    assert.equal(kvRowsModel(readFileSync(join(TARGET_DIR, 'onnx', 'model.onnx'))), undefined, 'plain attention');
    const model = onnx.ModelProto.decode(readFileSync(FILE));
    model.graph!.node!.push(onnx.NodeProto.create({ name: 'reads_cache', opType: 'Shape', input: ['past_key_values.3.key'], output: ['cache_shape'] }));
    assert.equal(kvRowsModel(onnx.ModelProto.encode(model).finish()), undefined, 'a Shape of the past');
    assert.equal(kvRowsModel(new TextEncoder().encode('version https://git-lfs.github.com/spec/v1\noid sha256:0\nsize 1\n')), undefined);
  });
});

describe('the runtime keeping the KV cache (shipped target)', () => {
  let copying: OrtDecoderModel;
  let kept: OrtDecoderModel;
  before(async () => {
    copying = await OrtDecoderModel.create(FILE, config, 1, { decomposeAttention: false, kvCache: 'returned' });
    kept = await OrtDecoderModel.create(FILE, config, 1, { decomposeAttention: false });
  });
  after(() => Promise.all([copying.dispose(), kept.dispose()]));

  const same = (a: Float32Array[], b: Float32Array[], what: string) => {
    assert.equal(a.length, b.length, what);
    a.forEach((row, i) => assert.deepEqual(Array.from(b[i]!), Array.from(row), `${what}, row ${i}`));
  };

  /**
   * Logits of a prompt of `prompt` tokens, steps, a rolled-back speculative pass, a reused prefix, a second
   * continuation of the prompt's state and steps past a chunk of capacity.
   */
  const scenario = async (model: OrtDecoderModel, prompt: number) => {
    const out: Float32Array[][] = [];
    const record = async (tokens: number[], kv: KvState, keep = 1) => {
      const r = await model.forward(tokens, kv, keep);
      out.push(r.logits);
      return r.kv;
    };
    let kv = await record(ids.slice(0, prompt), model.emptyKv());
    const promptKv = kv;
    for (let i = prompt; i < prompt + 4; i++) kv = await record([ids[i]!], kv);
    // Verify four drafts, keep two, go on from there.
    kv = model.rollback(await record(ids.slice(prompt + 4, prompt + 9), kv, 5), prompt + 6);
    kv = await record([ids[prompt + 6]!], kv);
    kv = await record([ids[prompt + 7]!], kv);
    // The prompt's state is still intact: continue it another way, and reuse a prefix of it.
    await record([ids[300]!], promptKv);
    await record(ids.slice(prompt - 18, prompt - 14), model.truncate(promptKv, prompt - 18), 4);
    for (let i = prompt + 8; i < prompt + 82; i++) kv = await record([ids[i]!], kv);
    return { out, length: kv.length };
  };

  it('keeps the cache where every graph has the rows outputs, and not for attention left plain', async () => {
    assert.equal(copying.kvCache, 'returned');
    assert.equal(kept.kvCache, 'rows');
    assert.ok(kept.emptyKv() instanceof ArenaKv);
    const path = join(TARGET_DIR, 'onnx', 'model.onnx');
    const [plain, fused] = await Promise.all([
      OrtDecoderModel.create(path, readModelConfig(TARGET_DIR), 1, { fuseAttention: false }),
      OrtDecoderModel.create(path, readModelConfig(TARGET_DIR), 1),
    ]);
    try {
      assert.equal(plain.kvCache, 'returned');
      // The same export with its attention fused as it loads (attentionFusion.ts) gets the rows outputs.
      assert.equal(fused.preparation?.fusedAttention, 2);
      assert.equal(fused.kvCache, 'rows');
    } finally {
      await Promise.all([plain.dispose(), fused.dispose()]);
    }
  });

  it('gives the fused graph\'s logits for prompts, steps, a rolled-back speculative pass, a reused prefix and two continuations', async () => {
    const a = await scenario(copying, 48);
    const b = await scenario(kept, 48);
    assert.equal(b.length, a.length);
    a.out.forEach((logits, i) => same(logits, b.out[i]!, `pass ${i}`));
  });

  it('shares the buffers as past and preallocated present where the file loads as it is, with the same logits', async () => {
    const graph = fileGraphSkeleton(FILE);
    assert.ok(graph && graph.nodes.length === onnx.ModelProto.decode(readFileSync(FILE)).graph!.node!.length, 'the graph read from the file alone');
    assert.equal(fileGraphSkeleton(join(TARGET_DIR, 'missing.onnx')), undefined);
    // Plain attention reads the past's shape: its cache stays as returned tensors. Fused as it loads, only
    // GroupQueryAttention reads it, and the buffers are shared.
    const plainPath = join(TARGET_DIR, 'onnx', 'model.onnx');
    const [plain, fused] = await Promise.all([
      OrtDecoderModel.create(plainPath, readModelConfig(TARGET_DIR), 1, { kvCache: 'shared', fuseAttention: false }),
      OrtDecoderModel.create(plainPath, readModelConfig(TARGET_DIR), 1, { kvCache: 'shared' }),
    ]);
    try {
      assert.equal(attentionReadsOnlyValidRows(fileGraphSkeleton(plainPath)!), false);
      assert.equal(plain.kvCache, 'returned');
      assert.equal(fused.kvCache, 'shared');
      const prompt = [5, 17, 42, 8, 99, 3, 61];
      let [x, y] = [await plain.forward(prompt, plain.emptyKv(), 1), await fused.forward(prompt, fused.emptyKv(), 1)];
      for (const step of [7, 12, 300]) {
        [x, y] = [await plain.forward([step], x.kv, 1), await fused.forward([step], y.kv, 1)];
        assert.ok(y.logits[0]!.every((v, i) => Math.abs(v - x.logits[0]![i]!) <= 1e-4 * (1 + Math.abs(v))), `step ${step}`);
      }
    } finally {
      await Promise.all([plain.dispose(), fused.dispose()]);
    }
    const shared = await OrtDecoderModel.create(FILE, config, 1, { kvCache: 'shared' });
    try {
      assert.equal(shared.kvCache, 'shared');
      assert.equal(shared.int8Prefill, false);
      // Passes under 32 tokens: both run the 4-bit file's own graph on one thread.
      const a = await scenario(copying, 20);
      const b = await scenario(shared, 20);
      assert.equal(b.length, a.length);
      a.out.forEach((logits, i) => same(logits, b.out[i]!, `pass ${i}`));
    } finally {
      await shared.dispose();
    }
  });

  it('gives the decomposed step graph\'s logits too', async () => {
    const stepsCopying = await OrtDecoderModel.create(FILE, config, 1, { kvCache: 'returned' });
    const stepsKept = await OrtDecoderModel.create(FILE, config, 1);
    try {
      assert.equal(stepsKept.decomposedAttention, config.numLayers);
      assert.equal(stepsKept.keepsCache, true);
      assert.ok(stepsKept.int8Prefill, 'long prompts prefill on the 8-bit copy, with the rows outputs too');
      const a = await stepsCopying.forward(ids.slice(0, 20), stepsCopying.emptyKv(), 1);
      const b = await stepsKept.forward(ids.slice(0, 20), stepsKept.emptyKv(), 1);
      same(a.logits, b.logits, 'a short prompt (on the step graph)');
      let x = await stepsCopying.forward(ids.slice(0, 40), stepsCopying.emptyKv(), 1);
      let y = await stepsKept.forward(ids.slice(0, 40), stepsKept.emptyKv(), 1);
      same(x.logits, y.logits, 'a prompt on the 8-bit copy');
      for (let i = 40; i < 90; i++) {
        x = await stepsCopying.forward([ids[i]!], x.kv, 1);
        y = await stepsKept.forward([ids[i]!], y.kv, 1);
        same(x.logits, y.logits, `step ${i}`);
      }
      x = await stepsCopying.forward(ids.slice(90, 94), x.kv, 4);
      y = await stepsKept.forward(ids.slice(90, 94), y.kv, 4);
      same(x.logits, y.logits, 'a speculative pass');
      // Keep two of its three drafts, then go on.
      const kx = stepsCopying.rollback(x.kv, 93);
      const ky = stepsKept.rollback(y.kv, 93);
      x = await stepsCopying.forward([ids[200]!], kx, 1);
      y = await stepsKept.forward([ids[200]!], ky, 1);
      same(x.logits, y.logits, 'after a rollback');
    } finally {
      await Promise.all([stepsCopying.dispose(), stepsKept.dispose()]);
    }
  });
});
