// runtime/optimizedSession.ts: large files' sessions from onnxruntime's optimized copies kept in the cache folder. The
// copy's bookkeeping with a stand-in for onnxruntime (written once, reused, rebuilt when the file changes, dropped
// when a load's logits differ from the file's, not tried again once refused), then the loader on a large 4-bit file
// with onnxruntime.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { int8PrefillModel } from '../../runtime/int8PrefillModel';
import { readModelConfig } from '../../runtime/modelConfig';
import { loadDecoder } from '../../runtime/modelLoader';
import { cpuIdentity, logitsAgree, optimizedFileSession, sampledLogits, type SessionMaker } from '../../runtime/optimizedSession';
import { bytesSource, graphSkeleton } from '../../runtime/onnxSkeleton';
import { fusableAttention, isLargeModelFile, OrtDecoderModel } from '../../runtime/ortBackend';
import { preparedModel } from '../../runtime/preparedModel';
import { OPTIMIZED_DATA_FILE } from '../../runtime/prefillCopyCache';
import { greedyTokens, largeShippedTarget, paddedPastLargeFileSize, ROOT } from './runtimeFixtures';

interface FakeSession {
  path: string;
  copy: boolean;
}

/** onnxruntime as far as optimizedSession.ts sees it: `copyLogits` is what a pass on a copy gives. */
class FakeMaker implements SessionMaker<FakeSession> {
  constructor(readonly variant = 'fake runtime') {}

  calls: string[] = [];
  fileLogits = Float32Array.of(1, -2, 30);
  copyLogits = Float32Array.of(1, -2, 30);
  refuseCopies = false;
  failSaving = false;
  savingError = 'cannot write';

  async open(path: string, optimized: boolean): Promise<FakeSession> {
    this.calls.push(optimized ? 'open copy' : 'open file');
    if (optimized && this.refuseCopies) throw new Error('refused');
    return { path, copy: optimized };
  }

  async openAndSave(path: string, dest: string, dataFile: string): Promise<FakeSession> {
    this.calls.push('save');
    if (this.failSaving) throw new Error(this.savingError);
    writeFileSync(dest, 'graph');
    writeFileSync(join(dirname(dest), dataFile), 'weights');
    return { path, copy: false };
  }

  async probe(session: FakeSession): Promise<Float32Array> {
    return session.copy ? this.copyLogits : this.fileLogits;
  }

  async release(): Promise<void> {}
}

describe('large-file sessions from kept optimized copies', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'locus-optimized-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const sourceFile = (name: string, contents = 'model bytes') => {
    const path = join(dir, name);
    writeFileSync(path, contents);
    return path;
  };

  it('writes the copy with the session its first load uses, and loads later sessions from it until the file changes', async () => {
    const cache = join(dir, 'cache-reuse');
    const source = sourceFile('reuse.onnx');
    const maker = new FakeMaker();
    const first = await optimizedFileSession(source, cache, maker);
    assert.deepEqual(maker.calls, ['save']);
    assert.equal(first.session.copy, false, 'the load that writes the copy runs on the session that wrote it');
    assert.ok('file' in first.copy && first.copy.builtMs !== undefined);
    assert.deepEqual(first.copy.check, [1, -2, 30, 30], 'the logits later loads check the copy against, and the largest');
    const folder = dirname(first.copy.file);
    assert.deepEqual(readdirSync(folder).sort(), ['model.onnx', OPTIMIZED_DATA_FILE, 'source.json'].sort());

    maker.calls = [];
    const second = await optimizedFileSession(source, cache, maker);
    assert.deepEqual(maker.calls, ['open copy']);
    assert.deepEqual(second, { session: { path: first.copy.file, copy: true }, copy: { file: first.copy.file, bytes: statSync(first.copy.file).size, check: first.copy.check } });

    // A data file cut short is not loaded: the copy is written again.
    writeFileSync(join(folder, OPTIMIZED_DATA_FILE), 'weig');
    maker.calls = [];
    await optimizedFileSession(source, cache, maker);
    assert.deepEqual(maker.calls, ['save']);

    // Another variant (another onnxruntime or CPU) gets a copy of its own, which replaces the earlier one.
    const other = new FakeMaker('another runtime');
    const unpacked = await optimizedFileSession(source, cache, other);
    assert.deepEqual(other.calls, ['save']);
    assert.ok('file' in unpacked.copy && unpacked.copy.file !== first.copy.file);
    assert.ok(!existsSync(folder));

    // The file changed: a new copy, and the old one goes.
    writeFileSync(source, 'other model bytes');
    const changed = await optimizedFileSession(source, cache, other);
    assert.deepEqual(other.calls, ['save', 'save']);
    assert.ok('file' in changed.copy && changed.copy.file !== unpacked.copy.file);
    assert.deepEqual(readdirSync(cache), [basename(dirname(changed.copy.file))], 'the copy of the earlier contents is removed');
  });

  it('loads the file where a copy\'s logits differ from those its file gave, and removes the copy for good', async () => {
    const cache = join(dir, 'cache-differs');
    const source = sourceFile('differs.onnx');
    const maker = new FakeMaker();
    await optimizedFileSession(source, cache, maker);
    // Read back otherwise than written (a spoilt data file, or weights onnxruntime reads back otherwise).
    maker.copyLogits = Float32Array.of(1, -2, Number.NaN);
    maker.calls = [];
    const spoilt = await optimizedFileSession(source, cache, maker);
    assert.deepEqual(maker.calls, ['open copy', 'open file']);
    assert.equal(spoilt.session.copy, false);
    const [folder] = readdirSync(cache);
    assert.deepEqual(readdirSync(join(cache, folder!)), ['source.json'], 'only its record is left, saying why');

    maker.calls = [];
    const later = await optimizedFileSession(source, cache, maker);
    assert.deepEqual(maker.calls, ['open file'], 'neither written nor loaded again');
    assert.match('skipped' in later.copy ? later.copy.skipped : '', /was not used at an earlier load \(a pass on it did not give the logits its file gave\); delete that folder to try again/);
  });

  it('loads the file where onnxruntime refuses a kept copy, and does not try that copy again', async () => {
    const cache = join(dir, 'cache-refused');
    const source = sourceFile('refused.onnx');
    const maker = new FakeMaker();
    await optimizedFileSession(source, cache, maker);
    maker.refuseCopies = true;
    maker.calls = [];
    const refused = await optimizedFileSession(source, cache, maker);
    assert.deepEqual(maker.calls, ['open copy', 'open file']);
    assert.equal(refused.session.copy, false);
    maker.calls = [];
    await optimizedFileSession(source, cache, maker);
    assert.deepEqual(maker.calls, ['open file']);
  });

  it('opens the file where onnxruntime cannot write the copy, and does not try again', async () => {
    const cache = join(dir, 'cache-unwritable');
    const source = sourceFile('unwritable.onnx');
    const maker = new FakeMaker();
    maker.failSaving = true;
    const opened = await optimizedFileSession(source, cache, maker);
    assert.deepEqual(maker.calls, ['save', 'open file']);
    assert.deepEqual(opened.copy, { skipped: 'onnxruntime did not write it (cannot write)' });
    const [folder] = readdirSync(cache);
    assert.deepEqual(readdirSync(join(cache, folder!)), ['source.json'], 'no partial file, data file or lock; its record says why');
    maker.calls = [];
    await optimizedFileSession(source, cache, maker);
    assert.deepEqual(maker.calls, ['open file']);
  });

  it('tries the copy again at the next load where the disk was full, a quota reached or a file-size limit hit', async () => {
    for (const [n, message] of ['No space left on device', 'Disk quota exceeded', 'File too large'].entries()) {
      const cache = join(dir, `cache-full-${n}`);
      const source = sourceFile(`full-${n}.onnx`);
      const maker = new FakeMaker();
      maker.failSaving = true;
      maker.savingError = `ORT failed to write the model: ${message}`;
      await optimizedFileSession(source, cache, maker);
      maker.failSaving = false;
      maker.calls = [];
      await optimizedFileSession(source, cache, maker);
      assert.deepEqual(maker.calls.slice(0, 1), ['save'], `written at the next load after "${message}"`);
    }
  });

  it('refuses at its first load a copy without logits to check it against (its pass failed when it was written)', async () => {
    const cache = join(dir, 'cache-unchecked');
    const source = sourceFile('unchecked.onnx');
    const maker = new FakeMaker();
    maker.probe = async () => {
      throw new Error('no probe value for the input extra');
    };
    const first = await optimizedFileSession(source, cache, maker);
    assert.ok('file' in first.copy && first.copy.check === undefined);
    maker.calls = [];
    const second = await optimizedFileSession(source, cache, maker);
    assert.deepEqual(maker.calls, ['open file'], 'not even opened');
    assert.equal(second.session.copy, false);
    maker.calls = [];
    await optimizedFileSession(source, cache, maker);
    assert.deepEqual(maker.calls, ['open file']);
  });

  it('compares logits to a thousandth of the largest, and never agrees with NaN', () => {
    const want = Float32Array.of(10, -20, 5);
    assert.ok(logitsAgree(want, Float32Array.of(10.015, -20, 5)));
    const sampled = sampledLogits(new Float32Array(1000).map((_, i) => i));
    assert.deepEqual([sampled.length, sampled[1], sampled[255], sampled[256]], [257, 3, 765, 999], 'every third of 1000 up to 256, and the largest');
    assert.ok(!logitsAgree(want, Float32Array.of(10.03, -20, 5)));
    assert.ok(!logitsAgree(want, Float32Array.of(10, -20, Number.NaN)));
    assert.ok(!logitsAgree(want, Float32Array.of(10, -20)));
    assert.match(cpuIdentity(), /\(\w+/);
  });
});

describe('the loader with onnxruntime\'s optimized copies', () => {
  const SHIPPED = join(ROOT, 'models', 'default', 'target');
  const config = readModelConfig(SHIPPED);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'locus-optimized-loader-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const greedy = (model: OrtDecoderModel, steps: number) => greedyTokens(model, Array.from({ length: 40 }, (_, i) => (i * 37) % config.vocabSize), steps);


  it('loads a large 4-bit file\'s step and 8-bit sessions from copies it writes once, with the files\' greedy tokens', async () => {
    // The shipped target with an unused 136 MB weight (large to the loader) and its 8-bit copy as the folder's 8-bit
    // file, written as the runtime would prepare it (else it is prepared in memory at every load, and has no copy).
    const folder = join(dir, 'large-model');
    const q4 = largeShippedTarget(folder, (bytes) => {
      const int8 = int8PrefillModel(bytes)!.bytes;
      return paddedPastLargeFileSize(preparedModel(bytesSource(int8), graphSkeleton(bytesSource(int8)), { logitsToKeep: true, attention: fusableAttention(config) }) ?? int8);
    });
    assert.ok(isLargeModelFile(q4));

    const cache = join(dir, 'cache');
    const progress: string[] = [];
    const first = await loadDecoder(folder, 'q4', 1, config.vocabSize, cache, (m) => progress.push(m));
    const copies = first.model.optimizedCopies;
    const plain = await OrtDecoderModel.create(q4, config, 1, { prefillFile: first.files.prefill, stepFile: { onnx: first.model.stepPath!, source: q4 } });
    try {
      assert.equal(copies.length, 2, 'the decode-step file\'s and the 8-bit file\'s');
      assert.equal(plain.optimizedCopies.length, 0);
      assert.equal(progress.filter((m) => m.startsWith('Writing onnxruntime\'s optimized form of')).length, 2);
      for (const copy of copies) {
        assert.ok(copy.startsWith(cache));
        assert.ok(statSync(join(dirname(copy), OPTIMIZED_DATA_FILE)).size > 1e6, 'the weights are in the data file');
        assert.ok(statSync(copy).size < 1e6);
      }
      assert.equal(first.model.prefillFile, join(folder, 'onnx', 'model_int8.onnx'));
      assert.ok(first.model.stepPath !== undefined);
      assert.match(first.preparation ?? '', /Sessions load from onnxruntime's optimized copies, mapped: /);
      // Long prompts run on the 8-bit session, steps on the step session: both are compared.
      assert.deepEqual(await greedy(first.model, 8), await greedy(plain, 8));
    } finally {
      await Promise.all([first.model.dispose(), plain.dispose()]);
    }

    progress.length = 0;
    const second = await loadDecoder(folder, 'q4', 1, config.vocabSize, cache, (m) => progress.push(m));
    const fromFiles = await OrtDecoderModel.create(q4, config, 1, { prefillFile: second.files.prefill, stepFile: { onnx: second.model.stepPath!, source: q4 } });
    try {
      assert.deepEqual(second.model.optimizedCopies, copies, 'loaded from the same copies');
      assert.deepEqual(progress, [], 'nothing written again');
      assert.deepEqual(await greedy(second.model, 8), await greedy(fromFiles, 8));
    } finally {
      await Promise.all([second.model.dispose(), fromFiles.dispose()]);
    }

    // A copy spoilt on disk (its data file zeroed, the same size): the load runs on the file, and the copy goes.
    const int8Copy = copies.find((c) => JSON.parse(readFileSync(join(dirname(c), 'source.json'), 'utf8')).named === join(folder, 'onnx', 'model_int8.onnx'))!;
    const data = join(dirname(int8Copy), OPTIMIZED_DATA_FILE);
    writeFileSync(data, Buffer.alloc(statSync(data).size));
    const spoilt = await loadDecoder(folder, 'q4', 1, config.vocabSize, cache);
    try {
      assert.deepEqual(spoilt.model.optimizedCopies, copies.filter((c) => c !== int8Copy));
      assert.equal(spoilt.model.prefillFile, join(folder, 'onnx', 'model_int8.onnx'), 'long prompts still prefill on the 8-bit file');
      assert.deepEqual(readdirSync(dirname(int8Copy)), ['source.json']);
      const fromFiles = await OrtDecoderModel.create(q4, config, 1, { prefillFile: spoilt.files.prefill, stepFile: { onnx: spoilt.model.stepPath!, source: q4 } });
      assert.deepEqual(await greedy(spoilt.model, 8), await greedy(fromFiles, 8));
      await fromFiles.dispose();
    } finally {
      await spoilt.model.dispose();
    }
  });
});
