// WorkerEngine: the bundled worker (built here from runtime/inferenceWorker.ts with the project's esbuild
// options) generates what LocalEngine does, streams, aborts mid-generation, and carries errors across the thread.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { EngineLoadOptions, GenerateRequest } from '../../runtime/engine';
import { LocusError, ModelNotFoundError, ModelNotReadyError, WorkerCrashedError } from '../../runtime/errors';
import { LocalEngine } from '../../runtime/localEngine';
import { WorkerEngine } from '../../runtime/workerEngine';
import { DRAFT_DIR, GREEDY, reference, ROOT, TARGET_DIR } from './runtimeFixtures';
import { bundleWorker } from './workerThreadFixtures';

// Inside the repo so the bundle resolves onnxruntime-node (external) from node_modules.
const OUT_DIR = join(ROOT, 'dist', 'test-runtime');
const WORKER = join(OUT_DIR, 'inferenceWorker.js');
const LOAD: EngineLoadOptions = { modelDir: TARGET_DIR, draftDir: DRAFT_DIR, quantization: 'auto', threads: 1 };
const request = (over: Partial<GenerateRequest> = {}): GenerateRequest => ({
  promptIds: reference.promptIds,
  maxNewTokens: 32,
  sampling: GREEDY,
  stopStrings: [],
  ...over,
});

describe('WorkerEngine', () => {
  const engine = new WorkerEngine(WORKER);
  before(async () => {
    await bundleWorker(join(ROOT, 'runtime', 'inferenceWorker.ts'), WORKER);
  });
  after(() => engine.dispose());

  it('generates the same text as LocalEngine, streaming it', async () => {
    await assert.rejects(engine.generate(request()), ModelNotReadyError);
    const info = await engine.load(LOAD);
    assert.equal(info.name, 'tiny-llama');
    assert.equal(info.draft?.name, 'tiny-llama-draft');
    const local = new LocalEngine();
    await local.load(LOAD);
    const expected = await local.generate(request());
    await local.dispose();
    const deltas: string[] = [];
    const r = await engine.generate(request(), { onText: (d) => deltas.push(d) });
    assert.deepEqual(r.tokenIds, expected.tokenIds);
    assert.equal(r.text, expected.text);
    assert.equal(deltas.join(''), r.text);
  });

  it("scores tokens under the draft model: log-softmax of the draft's logits, the same through the worker", async () => {
    // The target fixture as its own draft: the last position's log-probability must be the log-softmax of the
    // PyTorch reference logits after the prompt.
    const selfDraft = new LocalEngine();
    await selfDraft.load({ ...LOAD, draftDir: TARGET_DIR });
    const next = reference.greedy[0]!;
    const lp = await selfDraft.draftLogProbs([...reference.promptIds, next]);
    await selfDraft.dispose();
    const max = Math.max(...reference.lastLogits);
    const logSum = Math.log(reference.lastLogits.reduce((s, x) => s + Math.exp(x - max), 0));
    assert.ok(Math.abs(lp[lp.length - 1]! - (reference.lastLogits[next]! - max - logSum)) < 1e-4);
    assert.equal(lp[0], 0);

    const local = new LocalEngine();
    await local.load(LOAD);
    const expected = await local.draftLogProbs(reference.promptIds);
    await local.dispose();
    const viaWorker = await engine.draftLogProbs(reference.promptIds);
    assert.equal(viaWorker.length, reference.promptIds.length);
    assert.ok(viaWorker.slice(1).every((x) => x < 0));
    assert.ok(Math.max(...viaWorker.map((x, i) => Math.abs(x - expected[i]!))) < 1e-5);

    const noDraft = new LocalEngine();
    await noDraft.load({ ...LOAD, draftDir: undefined });
    await assert.rejects(noDraft.draftLogProbs(reference.promptIds), ModelNotReadyError);
    await noDraft.dispose();
  });

  it('aborts mid-generation', async () => {
    const controller = new AbortController();
    let seen = 0;
    const r = await engine.generate(request({ maxNewTokens: 400 }), {
      signal: controller.signal,
      onText: () => {
        if (++seen === 2) controller.abort();
      },
    });
    assert.equal(r.stopReason, 'aborted');
    assert.ok(r.tokenIds.length < 400, `${r.tokenIds.length} tokens`);
    const pre = await engine.generate(request(), { signal: AbortSignal.abort() });
    assert.equal(pre.stopReason, 'aborted');
    assert.deepEqual(pre.tokenIds, []);
  });

  it('rebuilds errors as the same LocusError class, with the fix', async () => {
    const e = await engine.load({ ...LOAD, modelDir: join(TARGET_DIR, 'missing') }).catch((x: unknown) => x);
    assert.ok(e instanceof ModelNotFoundError && e instanceof LocusError);
    assert.equal(e.code, 'MODEL_NOT_FOUND');
    assert.match(e.message, /does not exist/);
    assert.ok(e.fix.length > 0);
    await engine.load(LOAD);
    assert.equal((await engine.generate(request({ maxNewTokens: 3 }))).tokenIds.length, 3);
  });

  /** A WorkerEngine on a stand-in worker whose message handler is `onMessage` (JS source, `port` and `m` in scope). */
  async function withScriptedWorker(onMessage: string, test: (engine: WorkerEngine) => Promise<void>): Promise<void> {
    const dir = mkdtempSync(join(tmpdir(), 'locus-worker-'));
    const script = join(dir, 'worker.js');
    writeFileSync(script, `const port = require('node:worker_threads').parentPort;\nport.on('message', (m) => { ${onMessage} });\n`);
    const engine = new WorkerEngine(script);
    try {
      await test(engine);
    } finally {
      await engine.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('passes a load\'s progress on as it happens', async () => {
    // Two steps reported, then the result: the steps reach the caller before the load resolves.
    const progress = "for (const text of ['one', 'two']) port.postMessage({ type: 'progress', id: m.id, message: text }); port.postMessage({ type: 'result', id: m.id, value: { name: 'x' } });";
    await withScriptedWorker(progress, async (engine) => {
      const steps: string[] = [];
      const info = await engine.load(LOAD, { onProgress: (m) => steps.push(m) });
      assert.deepEqual(steps, ['one', 'two']);
      assert.equal(info.name, 'x');
    });
  });

  it('rejects pending calls with WorkerCrashedError when the worker dies', async () => {
    await withScriptedWorker('process.exit(3);', async (dying) => {
      await assert.rejects(dying.load(LOAD), (e: Error) => e instanceof WorkerCrashedError && /code 3/.test(e.message));
    });
  });

  it('rejects a call the worker never answered once disposed, and refuses calls after', async () => {
    // Answers load and dispose; a generate posted before the dispose is never answered.
    const silent = "if (m.type === 'load') port.postMessage({ type: 'result', id: m.id, value: { name: 'x' } }); if (m.type === 'dispose') port.postMessage({ type: 'result', id: m.id, value: null });";
    await withScriptedWorker(silent, async (engine) => {
      await engine.load(LOAD);
      const unanswered = engine.generate(request());
      await engine.dispose();
      await assert.rejects(unanswered, ModelNotReadyError);
      await assert.rejects(engine.generate(request()), /after the model was unloaded/);
      await assert.rejects(engine.load(LOAD), /after the engine was disposed/);
    });
  });
});

describe('LocalEngine lifecycle', () => {
  it('stops a load that a dispose overtakes, after its session, and is left without a model', async () => {
    const engine = new LocalEngine();
    const loading = engine.load(LOAD);
    const disposed = engine.dispose();
    await assert.rejects(loading, (e: Error) => e instanceof ModelNotReadyError && /cancelled/.test(e.message));
    await disposed;
    await assert.rejects(engine.generate(request()), ModelNotReadyError);
    // A load after the dispose loads as usual.
    await engine.load(LOAD);
    assert.equal((await engine.generate(request({ maxNewTokens: 3 }))).tokenIds.length, 3);
    await engine.dispose();
  });
});
