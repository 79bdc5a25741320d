import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { EngineLoadOptions, InferenceEngine, ModelInfo } from '../../runtime/engine';
import { ModelConfigError, ModelFileCorruptError, ModelLoadFailedError, ModelNotFoundError, ModelSignatureError, TokenizerMismatchError } from '../../runtime/errors';
import { embeddedModelDirs, validateSettings } from '../../lsp-server/config';
import type { Logger } from '../../lsp-server/logger';
import { ModelHost } from '../../lsp-server/modelHost';
import type { ModelStatus } from '../../lsp-server/protocol';
import { FakeEngine, fakeModelInfo } from './fakeEngine';

const embedded = embeddedModelDirs('/ext/dist');
const quiet: Logger = { info: () => {}, warn: () => {}, error: () => {} };
const tokenizer = async () => ({ encode: () => [], specialTokenId: (t: string) => ({ '<|fim_prefix|>': 1, '<|fim_suffix|>': 2, '<|fim_middle|>': 3 })[t] });

function host(createEngine: () => InferenceEngine, exists = (_dir: string) => true, logger = quiet) {
  const statuses: ModelStatus[] = [];
  const loads: EngineLoadOptions[] = [];
  const modelHost = new ModelHost({
    createEngine: () => {
      const engine = createEngine();
      const load = engine.load.bind(engine);
      engine.load = (options, hooks) => {
        loads.push(options);
        return load(options, hooks);
      };
      return engine;
    },
    loadTokenizer: tokenizer,
    logger,
    onStatus: (s) => statuses.push(s),
    directoryExists: exists,
  });
  return { modelHost, statuses, loads };
}

describe('ModelHost', () => {
  it('reports loading then ready, and hands out the model with its FIM ids', async () => {
    const { modelHost, statuses, loads } = host(() => new FakeEngine(() => ''));
    assert.equal(modelHost.current(), undefined);
    await modelHost.load(validateSettings({ model: { quantization: 'int8', threads: 2 }, completion: { promptTokenBudget: 300, beamWidth: 2 } }, embedded).config);
    assert.deepEqual(statuses.map((s) => s.state), ['loading', 'ready']);
    // The warm-up after the load is shaped like the requests the settings ask for.
    assert.deepEqual(loads[0], { modelDir: embedded.target, draftDir: embedded.draft, quantization: 'int8', threads: 2, warmUp: { promptTokens: 300, beamWidth: 2 } });
    assert.deepEqual(modelHost.current()?.fim, { prefix: 1, suffix: 2, middle: 3 });
  });

  it('warns, as it loads, of more threads than the machine has cores, and still loads with them', async () => {
    const warned: string[] = [];
    const { modelHost, loads } = host(() => new FakeEngine(() => ''), () => true, { ...quiet, warn: (m: string) => void warned.push(m) });
    const cores = availableParallelism();
    await modelHost.load(validateSettings({ model: { threads: cores + 1 } }, embeddedModelDirs('/ext')).config);
    assert.equal(loads[0]!.threads, cores + 1);
    assert.deepEqual(warned.filter((m) => m.includes('locus.model.threads')), [`locus.model.threads is ${cores + 1}, more than this machine's ${cores} cores: the extra threads wait on each other and make completions slower; set it to ${cores} or less, or 0, which picks for the machine.`]);
  });

  it('says whether the model loading is the embedded one, which the status bar names without its folder', async () => {
    const { modelHost, statuses } = host(() => new FakeEngine(() => ''));
    await modelHost.load(validateSettings(undefined, embedded).config);
    await modelHost.load(validateSettings({ model: { path: '/models/mine' } }, embedded).config);
    const loading = statuses.filter((s) => s.state === 'loading');
    assert.deepEqual(loading, [
      { state: 'loading', modelDir: embedded.target, embedded: true },
      { state: 'loading', modelDir: path.resolve('/models/mine'), embedded: false },
    ]);
  });

  it('loads the embedded model without a draft when the embedded draft is missing', async () => {
    const { modelHost, loads } = host(() => new FakeEngine(() => ''), () => false);
    await modelHost.load(validateSettings(undefined, embedded).config);
    assert.equal(loads[0]!.draftDir, undefined);
  });

  it('hands a draft the user set to the engine even where it is missing, and warns of a draft the engine left out', async () => {
    const { modelHost, loads } = host(() => new FakeEngine(() => ''), () => false);
    await modelHost.load(validateSettings({ model: { draftPath: '/nonexistent' } }, embedded).config);
    assert.equal(loads[0]!.draftDir, path.resolve('/nonexistent'));
    const { ready, logged } = await loadedWith({ draftProblem: 'The draft model in /d was not loaded, so speculation drafts by prompt lookup alone: gone. Fix it.' });
    assert.equal(ready.state, 'ready');
    assert.ok(logged.warn.some((w) => w.startsWith('The draft model in /d was not loaded')), logged.warn.join('\n'));
  });

  /** A host whose engine loads a model described by `info`, loaded once: its statuses and what it logged. */
  async function loadedWith(info: Partial<ModelInfo>) {
    const logged = { info: [] as string[], warn: [] as string[] };
    const engine = () => {
      const e = new FakeEngine(() => '');
      e.load = async (options) => ({ ...fakeModelInfo(options.modelDir), ...info });
      return e;
    };
    const { modelHost, statuses } = host(engine, undefined, { ...quiet, info: (m: string) => logged.info.push(m), warn: (m: string) => logged.warn.push(m) });
    await modelHost.load(validateSettings(undefined, embedded).config);
    const ready = statuses.at(-1)!;
    assert.ok(ready.state === 'ready');
    return { ready, logged };
  }

  it('says which 8-bit file long prompts prefill on, in the ready status and the log', async () => {
    const { ready, logged } = await loadedWith({ onnxFile: 'onnx/model_q4.onnx', quantization: 'q4', prefillFile: 'onnx/model_int8.onnx' });
    assert.equal(ready.prefillFile, 'onnx/model_int8.onnx');
    assert.ok(logged.info.some((m) => m.includes('(onnx/model_q4.onnx, q4, long prompts prefill on onnx/model_int8.onnx')), logged.info.join('\n'));
    // A model without one says nothing of it.
    const plain = await loadedWith({});
    assert.ok(!('prefillFile' in plain.ready) && !('autoChoice' in plain.ready));
    assert.deepEqual(plain.logged.warn, []);
  });

  it('hands the engine the client\'s folder for model copies, and says what became of the copy', async () => {
    const { modelHost, loads } = host(() => new FakeEngine(() => ''));
    await modelHost.load(validateSettings({ model: { cacheDir: '/storage/models' } }, embedded).config);
    assert.equal(loads[0]!.cacheFolder, '/storage/models');
    const { warnings, config } = validateSettings({ model: { cacheDir: 'relative/models' } }, embedded);
    assert.equal(config.modelCacheDir, null);
    assert.deepEqual(warnings, ["locus.model.cacheDir must be an absolute path; using the user's cache folder"]);
    const note = 'Long prompts prefill on an 8-bit copy of onnx/model_q4.onnx (534 MB in /storage/models/int8-prefill-0123, built once in 8.7 s).';
    const prepared = 'Prepared onnx/model_q4.onnx as it loaded: set int8 compute on 168 4-bit matrix products that left accuracy_level unset.';
    const { ready, logged } = await loadedWith({ onnxFile: 'onnx/model_q4.onnx', quantization: 'q4', prefillFile: '/storage/models/int8-prefill-0123/model_int8.onnx', prefillCopy: note, prepared });
    assert.equal(ready.prefillCopy, note);
    assert.equal(ready.prepared, prepared);
    assert.ok(logged.info.includes(note) && logged.info.includes(prepared), logged.info.join('\n'));
  });

  it('names the cache folder once, and each kept copy by its folder in it, in the log and the ready status', async () => {
    const logged: string[] = [];
    const folder = path.join(path.sep, 'storage', 'models');
    const at = (name: string) => path.join(folder, name);
    const engine = () => {
      const e = new FakeEngine(() => '');
      e.load = async (options) => ({
        ...fakeModelInfo(options.modelDir),
        prefillFile: at(path.join('int8-prefill-01', 'model_int8.onnx')),
        prefillCopy: `Long prompts prefill on an 8-bit copy of onnx/model_q4.onnx (29 MB in ${at('int8-prefill-01')}).`,
        prepared: `Decode steps run on onnx/model_q4.onnx with its attention decomposed, kept in ${at('decode-steps-02')}. Sessions load from onnxruntime's optimized copies, mapped: ${at('optimized-03')}.`,
      });
      return e;
    };
    const { modelHost, statuses } = host(engine, undefined, { ...quiet, info: (m: string) => logged.push(m) });
    await modelHost.load(validateSettings({ model: { cacheDir: folder } }, embedded).config);
    const ready = statuses.at(-1)!;
    assert.ok(ready.state === 'ready');
    assert.equal(ready.prefillCopy, 'Long prompts prefill on an 8-bit copy of onnx/model_q4.onnx (29 MB in int8-prefill-01).');
    assert.equal(ready.prefillFile, path.join('int8-prefill-01', 'model_int8.onnx'));
    assert.match(ready.prepared ?? '', /kept in decode-steps-02\. .*mapped: optimized-03\.$/);
    assert.equal(ready.keptCopies, folder);
    assert.equal(logged.filter((m) => m.includes(folder)).length, 1, logged.join('\n'));
    assert.ok(logged.includes(`The model's kept copies named here are in ${folder}; deleting it frees their space, and the next load writes them again.`), logged.join('\n'));
  });

  it('shows a long step of the load in the loading status and the log as it starts', async () => {
    const logged: string[] = [];
    const step = 'Building an 8-bit copy of onnx/model_q4.onnx for long prompts (534 MB, once: later loads reuse it).';
    const { modelHost, statuses } = host(
      () => {
        const e = new FakeEngine(() => '');
        const load = e.load.bind(e);
        e.load = async (options, hooks) => {
          hooks?.onProgress?.(step);
          return load(options);
        };
        return e;
      },
      undefined,
      { ...quiet, info: (m: string) => logged.push(m) },
    );
    await modelHost.load(validateSettings(undefined, embedded).config);
    assert.deepEqual(
      statuses.map((s) => (s.state === 'loading' ? `loading ${s.step ?? ''}` : s.state)),
      ['loading ', `loading ${step}`, 'ready'],
    );
    assert.ok(logged.includes(step));
  });

  it('says why quantization auto took the 8-bit file, in the ready status and the log', async () => {
    const why = 'it reads 501 MB of weights per token, onnx/model_q4.onnx 773 MB';
    const { ready, logged } = await loadedWith({ onnxFile: 'onnx/model_int8.onnx', quantization: 'int8', autoChoice: why });
    assert.equal(ready.autoChoice, why);
    assert.ok(logged.info.some((m) => m.endsWith(`Quantization auto took onnx/model_int8.onnx: ${why}.`)), logged.info.join('\n'));
  });

  it('warns when the loaded 4-bit file reads much of its weights in float32', async () => {
    const warning = 'onnx/model_q4.onnx reads 545 of its 773 MB of weights per token in float32';
    const { logged } = await loadedWith({ weightWarning: warning });
    assert.ok(logged.warn.includes(warning), logged.warn.join('\n'));
  });

  it('turns a LocusError into an error status with its code and a fix that names the setting behind the folder', async () => {
    const failing = () => {
      const engine = new FakeEngine(() => '');
      engine.load = async () => {
        throw new ModelNotFoundError('No model in /m.');
      };
      return engine;
    };
    const { modelHost, statuses } = host(failing);
    await modelHost.load(validateSettings({ model: { path: '/m' } }, embedded).config);
    const last = statuses.at(-1)!;
    assert.ok(last.state === 'error');
    assert.equal(last.code, 'MODEL_NOT_FOUND');
    assert.equal(last.message, 'No model in /m.');
    assert.equal(last.fix, 'Use a model folder that contains config.json, tokenizer.json and onnx/model*.onnx. The folder is set by locus.model.path; clear it to use the embedded model.');
    assert.equal(last.setting, 'locus.model.path', 'the client offers to open the setting');
    assert.equal(modelHost.current(), undefined);
    // The embedded model is the extension's own: no setting chose it.
    const embeddedHost = host(failing);
    await embeddedHost.modelHost.load(validateSettings(undefined, embedded).config);
    const embeddedFailure = embeddedHost.statuses.at(-1)!;
    assert.ok(embeddedFailure.state === 'error');
    assert.equal(embeddedFailure.fix, 'Reinstall the Locus extension: its embedded model is missing or damaged.');
    assert.equal(embeddedFailure.setting, undefined);
  });

  it("names the setting for every kind of model-folder failure, and keeps a thrower's specific fix", async () => {
    const failingWith = (error: Error) => () => {
      const engine = new FakeEngine(() => '');
      engine.load = async () => {
        throw error;
      };
      return engine;
    };
    const userFolder = validateSettings({ model: { path: '/m' } }, embedded).config;
    for (const error of [new ModelConfigError('Bad config.'), new ModelSignatureError('Bad inputs.'), new ModelFileCorruptError('Bad file.'), new TokenizerMismatchError('Bad tokenizer.')]) {
      const { modelHost, statuses } = host(failingWith(error));
      await modelHost.load(userFolder);
      const last = statuses.at(-1)!;
      assert.ok(last.state === 'error' && last.code === error.code);
      assert.ok(last.fix.endsWith('The folder is set by locus.model.path; clear it to use the embedded model.'), `${error.code}: ${last.fix}`);
      assert.equal(last.setting, 'locus.model.path', error.code);
    }
    // The folder lacks the chosen quantization: reinstalling or clearing the path would not help; the quantization
    // setting is the fix (Open Settings opens it), for the built-in model too.
    const specific = new ModelNotFoundError('The model directory /m has no onnx/model_int8.onnx (it has model_q4.onnx).', 'Choose a quantization that the folder has, or auto, which picks one of them.');
    for (const [config, folder] of [[userFolder, 'The folder'], [validateSettings(undefined, embedded).config, 'The built-in model']] as const) {
      const { modelHost, statuses } = host(failingWith(specific));
      await modelHost.load(config);
      const last = statuses.at(-1)!;
      assert.ok(last.state === 'error');
      assert.equal(last.fix, `${folder} has only the files the message names: set locus.model.quantization to one of them, or to auto, which picks one.`);
      assert.equal(last.setting, 'locus.model.quantization');
    }
    // A folder onnxruntime refused: its own fix says to set the path, except for the embedded model.
    for (const [config, setting] of [[userFolder, 'locus.model.path'], [validateSettings(undefined, embedded).config, undefined]] as const) {
      const { modelHost, statuses } = host(failingWith(new ModelLoadFailedError('Refused.')));
      await modelHost.load(config);
      const last = statuses.at(-1)!;
      assert.ok(last.state === 'error' && last.code === 'MODEL_LOAD_FAILED');
      assert.equal(last.setting, setting);
    }
  });

  it('loads the tokenizer while the engine loads, and reports the engine\'s error first when both fail', async () => {
    let releaseEngine!: () => void;
    const engineGate = new Promise<void>((resolve) => (releaseEngine = resolve));
    let tokenizerLoaded = false;
    const engine = new FakeEngine(() => '');
    const load = engine.load.bind(engine);
    engine.load = async (options) => {
      await engineGate;
      return load(options);
    };
    const statuses: ModelStatus[] = [];
    const modelHost = new ModelHost({
      createEngine: () => engine,
      loadTokenizer: async () => {
        tokenizerLoaded = true;
        return tokenizer();
      },
      logger: quiet,
      onStatus: (s) => statuses.push(s),
      directoryExists: () => true,
    });
    const done = modelHost.load(validateSettings(undefined, embedded).config);
    await new Promise((resolve) => setImmediate(resolve));
    assert.ok(tokenizerLoaded, 'the tokenizer is loaded before the engine has finished');
    releaseEngine();
    await done;
    assert.equal(statuses.at(-1)!.state, 'ready');

    const failing = new FakeEngine(() => '');
    failing.load = async () => {
      await new Promise((resolve) => setTimeout(resolve, 10));
      throw new ModelNotFoundError('No model in /m.');
    };
    const both = new ModelHost({
      createEngine: () => failing,
      loadTokenizer: async () => {
        throw new Error('tokenizer.json is missing');
      },
      logger: quiet,
      onStatus: (s) => statuses.push(s),
      directoryExists: () => true,
    });
    await both.load(validateSettings({ model: { path: '/m' } }, embedded).config);
    const last = statuses.at(-1)!;
    assert.ok(last.state === 'error');
    assert.equal(last.code, 'MODEL_NOT_FOUND');
  });

  it('lets the newest of two overlapping loads win', async () => {
    let release!: () => void;
    const slow = new Promise<void>((resolve) => (release = resolve));
    let calls = 0;
    const { modelHost, statuses } = host(() => {
      const engine = new FakeEngine(() => '');
      if (calls++ === 0) {
        const load = engine.load.bind(engine);
        engine.load = async (options) => {
          await slow;
          return load(options);
        };
      }
      return engine;
    });
    const first = modelHost.load(validateSettings({ model: { path: '/old' } }, embedded).config);
    const second = modelHost.load(validateSettings({ model: { path: '/new' } }, embedded).config);
    release();
    await Promise.all([first, second]);
    assert.equal(modelHost.current()?.info.dir, '/new');
    assert.equal(statuses.filter((s) => s.state === 'ready').length, 1);
  });

  it('reloads the model after its engine crashes, and after a fourth crash in three minutes reports an error', async () => {
    const crashes: Array<(error: Error) => void> = [];
    const statuses: ModelStatus[] = [];
    const errors: string[] = [];
    let now = 0;
    const modelHost = new ModelHost({
      createEngine: (onCrash) => (crashes.push(onCrash), new FakeEngine(() => '')),
      loadTokenizer: tokenizer,
      logger: { ...quiet, error: (m) => errors.push(m) },
      onStatus: (s) => statuses.push(s),
      now: () => now,
    });
    const config = validateSettings(undefined, embedded).config;
    await modelHost.load(config);
    const settled = () => new Promise((resolve) => setTimeout(resolve, 10));
    for (let crash = 1; crash <= 3; crash++) {
      now += 1000;
      crashes.at(-1)!(new Error('The inference worker stopped: it exited with code 3.'));
      await settled();
      assert.equal(crashes.length, crash + 1, 'a new engine was made');
      assert.equal(statuses.at(-1)!.state, 'ready');
    }
    // A crash of an engine that was replaced says nothing.
    crashes[0]!(new Error('late'));
    now += 1000;
    crashes.at(-1)!(new Error('The inference worker stopped: it exited with code 3.'));
    await settled();
    assert.equal(crashes.length, 4, 'no reload after the fourth crash');
    const last = statuses.at(-1)!;
    assert.ok(last.state === 'error' && /Restart Server/.test(last.fix), JSON.stringify(last));
    assert.equal(modelHost.current(), undefined);
    assert.equal(errors.filter((e) => /Reloading the model/.test(e)).length, 3, errors.join('\n'));
    // Crashes older than the window are forgotten: after a restart's fresh load, one crash reloads again.
    now += 4 * 60_000;
    await modelHost.load(config);
    crashes.at(-1)!(new Error('The inference worker stopped: it exited with code 3.'));
    await settled();
    assert.equal(statuses.at(-1)!.state, 'ready');
  });
});
