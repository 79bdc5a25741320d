// runtime/int8PrefillFile.ts and runtime/prefillCopyCache.ts: a large 4-bit model without an 8-bit file gets the
// 8-bit copy a small one builds in memory, written once to a cache folder and reused; runtime/modelLoader.ts loads
// it for long prefills. The shipped target stands in for the 4-bit file (padded past the large-file size where the
// loader must treat it as large).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { writeInt8PrefillFile } from '../../runtime/int8PrefillFile';
import { int8PrefillModel } from '../../runtime/int8PrefillModel';
import { TokenizerMismatchError } from '../../runtime/errors';
import { readModelConfig } from '../../runtime/modelConfig';
import { loadDecoder } from '../../runtime/modelLoader';
import { bytesSource, graphSkeleton } from '../../runtime/onnxSkeleton';
import { isLargeModelFile, OrtDecoderModel } from '../../runtime/ortBackend';
import { defaultModelCacheFolder } from '../../runtime/modelCacheFolder';
import { prefillCopy } from '../../runtime/prefillCopyCache';
import { TextTokenizer } from '../../runtime/tokenizer';
import { withoutLogitsToKeep } from './optimumExport';
import { coldPromptFeeds, paddedPastLargeFileSize, ROOT } from './runtimeFixtures';

const SHIPPED = join(ROOT, 'models', 'default', 'target');
const FILE = join(SHIPPED, 'onnx', 'model_q4.onnx');
const config = readModelConfig(SHIPPED);
const tokenizer = TextTokenizer.fromDirectory(join(ROOT, 'models', 'default'));
const ids = tokenizer.encode(readFileSync(join(ROOT, 'training', 'llama.py'), 'utf8'));

const feeds = (tokens: number[]) => coldPromptFeeds(config, tokens);

/** A copy of the shipped model folder whose 4-bit file is `onnxBytes`. */
function modelFolder(at: string, onnxBytes: Uint8Array): string {
  mkdirSync(join(at, 'onnx'), { recursive: true });
  for (const name of ['config.json', 'generation_config.json']) copyFileSync(join(SHIPPED, name), join(at, name));
  copyFileSync(join(ROOT, 'models', 'default', 'tokenizer.json'), join(at, 'tokenizer.json'));
  writeFileSync(join(at, 'onnx', 'model_q4.onnx'), onnxBytes);
  return join(at, 'onnx', 'model_q4.onnx');
}

describe('the 8-bit prefill copy of a large 4-bit file', () => {
  const shipped = readFileSync(FILE);
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'locus-prefill-copy-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('is the in-memory copy written to a file: the same weights, so the same logits bit for bit', async () => {
    const dest = join(dir, 'written.onnx');
    const written = writeInt8PrefillFile(FILE, dest);
    const inMemory = int8PrefillModel(shipped)!;
    assert.ok('converted' in written);
    assert.equal(written.converted, inMemory.converted);
    assert.equal(written.bytes, statSync(dest).size);
    const skeleton = graphSkeleton(bytesSource(readFileSync(dest)))!;
    assert.equal(skeleton.nodes.filter((n) => n.opType === 'DynamicQuantizeMatMul').length, inMemory.converted);
    // The 4-bit weights of converted layers are gone; the output layer keeps its own.
    assert.equal(skeleton.nodes.filter((n) => n.opType === 'MatMulNBits').length, graphSkeleton(bytesSource(shipped))!.nodes.filter((n) => n.opType === 'MatMulNBits').length - inMemory.converted);
    const names = skeleton.initializers.map((w) => w.name).sort();
    assert.deepEqual(names, onnx.ModelProto.decode(inMemory.bytes).graph!.initializer!.map((t) => t.name!).sort(), 'the weights the in-memory copy keeps, no more');
    const known = new Set([...names, ...skeleton.inputs.map((v) => v.name), ...skeleton.nodes.flatMap((n) => n.output)]);
    assert.deepEqual(skeleton.nodes.flatMap((n) => n.input).filter((i) => i !== '' && !known.has(i)), [], 'every tensor a node reads is there');
    const [a, b] = await Promise.all([dest, inMemory.bytes].map((m) => (typeof m === 'string' ? ort.InferenceSession.create(m, { intraOpNumThreads: 1 }) : ort.InferenceSession.create(m, { intraOpNumThreads: 1 }))));
    const prompt = ids.slice(0, 40);
    const [x, y] = await Promise.all([a!.run(feeds(prompt)), b!.run(feeds(prompt))]);
    assert.deepEqual(x.logits!.data, y.logits!.data);
    await Promise.all([a!.release(), b!.release()]);
  });

  it('is not written where it is refused, or where there is nothing to convert or the weights are external', () => {
    const dest = join(dir, 'refused.onnx');
    let asked = 0;
    let disk = 0;
    const refused = writeInt8PrefillFile(FILE, dest, (bytes, diskBytes) => {
      [asked, disk] = [bytes, diskBytes];
      return 'no room';
    });
    assert.deepEqual(refused, { skipped: 'no room' });
    assert.ok(asked > shipped.length, `the size it asks room for (${asked}) is the copy's, larger than the 4-bit file`);
    assert.equal(disk, asked, 'written in one pass: the file has num_logits_to_keep');
    assert.ok(!existsSync(dest));
    const float = writeInt8PrefillFile(join(ROOT, 'test', 'fixtures', 'tiny-llama', 'onnx', 'model.onnx'), dest);
    assert.deepEqual(float, { skipped: 'it has no 4-bit weights this can convert (MatMulNBits of 4 bits, float32 scales, no zero points)' });
    const model = onnx.ModelProto.decode(shipped);
    const big = model.graph!.initializer!.find((t) => (t.rawData?.length ?? 0) > 1024)!;
    big.externalData = [{ key: 'location', value: 'weights.bin' }];
    big.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
    big.rawData = new Uint8Array(0);
    writeFileSync(join(dir, 'external.onnx'), onnx.ModelProto.encode(model).finish());
    assert.deepEqual(writeInt8PrefillFile(join(dir, 'external.onnx'), dest), { skipped: 'its weights are in external data files' });
    assert.ok(!existsSync(dest));
  });

  it('gives an export without num_logits_to_keep (Optimum\'s) the input, as its 4-bit file gets it at load', async () => {
    const exported = join(dir, 'exported.onnx');
    writeFileSync(exported, withoutLogitsToKeep(shipped));
    const dest = join(dir, 'exported-copy.onnx');
    let disk = 0;
    const written = writeInt8PrefillFile(exported, dest, (bytes, diskBytes) => {
      disk = diskBytes;
      assert.equal(diskBytes, 2 * bytes, 'the input is added in a second pass, beside the first');
      return undefined;
    });
    assert.ok('converted' in written && disk > 0);
    assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('exported-copy')), ['exported-copy.onnx'], 'the first pass is removed');
    const skeleton = graphSkeleton(bytesSource(readFileSync(dest)))!;
    assert.ok(skeleton.inputs.some((v) => v.name === 'num_logits_to_keep'));
    // The same model as the copy of the shipped file, which has the input: the same logits.
    const shippedCopy = join(dir, 'shipped-copy.onnx');
    writeInt8PrefillFile(FILE, shippedCopy);
    const [a, b] = await Promise.all([dest, shippedCopy].map((m) => ort.InferenceSession.create(m, { intraOpNumThreads: 1 })));
    const prompt = ids.slice(0, 40);
    const [x, y] = await Promise.all([a!.run(feeds(prompt)), b!.run(feeds(prompt))]);
    assert.deepEqual(x.logits!.data, y.logits!.data);
    await Promise.all([a!.release(), b!.release()]);
  });

  it('is built once per 4-bit file and reused; a changed file gets a new one and the old one goes', () => {
    const source = modelFolder(join(dir, 'cached-model'), shipped);
    const cache = join(dir, 'cache');
    const builds: number[] = [];
    const onBuild = (bytes: number) => builds.push(bytes);
    const first = prefillCopy(source, cache, { onBuild });
    assert.ok('file' in first && first.builtMs !== undefined, JSON.stringify(first));
    assert.equal(first.file.bytes, statSync(first.file.onnx).size);
    assert.equal(builds.length, 1, 'the caller hears of the build as it starts');
    assert.ok(Math.abs(builds[0]! - first.file.bytes) < 1024, `announced ${builds[0]} bytes, wrote ${first.file.bytes}`);
    const again = prefillCopy(source, cache, { onBuild });
    assert.equal(builds.length, 1, 'and not of a reuse');
    assert.deepEqual(again, { file: first.file }, 'found again, not built');

    // A load killed while writing leaves a partial copy; the next build in that folder removes it, but not the
    // partial of a process that still runs (this test's parent stands in for one).
    rmSync(first.file.onnx);
    const abandoned = `${first.file.onnx}.999999999.partial`;
    const inProgress = `${first.file.onnx}.${process.ppid}.partial`;
    // And one named after this process's pid but written before it started: an earlier process's, after pids repeated.
    const earlierPid = `${first.file.onnx}.${process.pid}.partial.int8`;
    writeFileSync(abandoned, 'cut short');
    writeFileSync(inProgress, 'being written');
    writeFileSync(earlierPid, 'cut short before a restart');
    const longAgo = new Date(performance.timeOrigin - 3_600_000);
    utimesSync(earlierPid, longAgo, longAgo);
    const rebuilt = prefillCopy(source, cache);
    assert.ok('file' in rebuilt && rebuilt.builtMs !== undefined && rebuilt.file.onnx === first.file.onnx);
    assert.ok(!existsSync(abandoned));
    assert.ok(!existsSync(earlierPid));
    assert.ok(existsSync(inProgress));
    rmSync(inProgress);

    // A copy cut short (its size is not the recorded one) is built again.
    writeFileSync(first.file.onnx, readFileSync(first.file.onnx).subarray(0, 1000));
    const whole = prefillCopy(source, cache);
    assert.ok('file' in whole && whole.builtMs !== undefined && statSync(whole.file.onnx).size === first.file.bytes);

    // While another running process holds the build's lock, this one goes without; a dead holder's lock is taken.
    rmSync(first.file.onnx);
    const lock = `${dirname(first.file.onnx)}.lock`;
    writeFileSync(lock, String(process.ppid));
    assert.deepEqual(prefillCopy(source, cache), { skipped: 'another Locus process is building it now; a later load will use it' });
    writeFileSync(lock, '999999999');
    const relocked = prefillCopy(source, cache);
    assert.ok('file' in relocked && relocked.builtMs !== undefined);
    rmSync(relocked.file.onnx);
    // A lock left by a killed build whose pid a later process was given (after a container's restart, this one).
    writeFileSync(lock, String(process.pid));
    const before = new Date(performance.timeOrigin - 3_600_000);
    utimesSync(lock, before, before);
    const afterRestart = prefillCopy(source, cache);
    assert.ok('file' in afterRestart && afterRestart.builtMs !== undefined, JSON.stringify(afterRestart));
    assert.ok(!existsSync(lock), 'released');

    // Another model's copy stays; one whose 4-bit file is gone goes.
    const other = prefillCopy(modelFolder(join(dir, 'other-model'), shipped), cache);
    const gone = prefillCopy(modelFolder(join(dir, 'gone-model'), shipped), cache);
    assert.ok('file' in other && 'file' in gone);
    rmSync(join(dir, 'gone-model'), { recursive: true });
    utimesSync(source, new Date(), new Date(Date.now() + 60_000));
    const changed = prefillCopy(source, cache);
    assert.ok('file' in changed && changed.builtMs !== undefined);
    assert.notEqual(changed.file.onnx, first.file.onnx);
    assert.deepEqual(readdirSync(cache).sort(), [dirname(changed.file.onnx), dirname(other.file.onnx)].map((f) => basename(f)).sort(), 'the copies of earlier contents and of a removed file are removed');
  });

  it('is skipped, with the reason, where it would not fit in memory or cannot be written', () => {
    const source = modelFolder(join(dir, 'skipped-model'), shipped);
    const cache = join(dir, 'small-cache');
    const tight = prefillCopy(source, cache, { availableMemory: 1e6 });
    assert.ok('skipped' in tight && /MB would take more than half the memory available/.test(tight.skipped), JSON.stringify(tight));
    assert.deepEqual(existsSync(cache) ? readdirSync(cache) : [], [], 'nothing is left behind');
    writeFileSync(join(dir, 'a-file'), '');
    const unwritable = prefillCopy(source, join(dir, 'a-file', 'cache'));
    assert.ok('skipped' in unwritable && unwritable.skipped.startsWith('it could not be built in'), JSON.stringify(unwritable));
    if (existsSync('/proc/self')) {
      // A folder that cannot exist under a parent that does: Node's recursive mkdir loops forever there, so this
      // runs in a child process with a time limit.
      const child = spawnSync(
        process.execPath,
        ['--import', 'tsx', '-e', `process.stdout.write(JSON.stringify(require('./runtime/prefillCopyCache').prefillCopy(${JSON.stringify(source)}, '/proc/locus-none/cache')))`],
        { cwd: ROOT, timeout: 60_000, encoding: 'utf8' },
      );
      assert.equal(child.signal, null, 'it returned');
      assert.match(JSON.parse(child.stdout).skipped, /^it could not be built in \/proc\/locus-none\/cache \(ENOENT/);
    }
  });

  it('goes to the user\'s cache folder as each system names it', () => {
    assert.equal(defaultModelCacheFolder({ XDG_CACHE_HOME: '/x/cache' }, 'linux', '/home/u'), join('/x/cache', 'locus', 'models'));
    assert.equal(defaultModelCacheFolder({}, 'linux', '/home/u'), join('/home/u', '.cache', 'locus', 'models'));
    assert.equal(defaultModelCacheFolder({}, 'darwin', '/Users/u'), join('/Users/u', 'Library', 'Caches', 'locus', 'models'));
    assert.equal(defaultModelCacheFolder({ LOCALAPPDATA: 'C:\\Users\\u\\AppData\\Local' }, 'win32', 'C:\\Users\\u'), join('C:\\Users\\u\\AppData\\Local', 'locus', 'models'));
  });

  it('is not written for another model\'s tokenizer: the load is refused before any copy', async () => {
    const cache = join(dir, 'refused-cache');
    const tinyVocab = TextTokenizer.fromDirectory(join(ROOT, 'test', 'fixtures', 'tiny-llama')).vocabSize;
    await assert.rejects(loadDecoder(SHIPPED, 'q4', 1, tinyVocab, cache), (e: Error) => {
      assert.ok(e instanceof TokenizerMismatchError, e.message);
      assert.match(e.message, /^The tokenizer has only \d+ tokens but config\.json of the model in .* gives vocab_size 16384; they do not belong together\.$/);
      return true;
    });
    assert.equal(existsSync(cache), false, 'no kept copy written');
  });

  it('is what the loader prefills a large 4-bit file on, with the prefills of the in-memory copy', async () => {
    // The shipped file with an unused 136 MB weight: large to the loader, and the same graph.
    const large = modelFolder(join(dir, 'large-model'), paddedPastLargeFileSize(shipped));
    assert.ok(isLargeModelFile(large));
    const cache = join(dir, 'loader-cache');
    const loaded = await loadDecoder(join(dir, 'large-model'), 'auto', 1, tokenizer.vocabSize, cache);
    assert.match(loaded.prefillCopy ?? '', /^Long prompts prefill on an 8-bit copy of onnx\/model_q4\.onnx \(\d+ MB in .*, built once in [\d.]+ s\)\.$/);
    // Its steps run on its decode-step file (decodeStepFile.test.ts), which fetches the rows it adds to the arena.
    assert.ok(loaded.model.stepPath?.startsWith(cache));
    assert.equal(loaded.model.kvCache, 'rows');
    const copyFile = loaded.model.prefillFile!;
    assert.ok(copyFile.startsWith(cache));

    const inMemoryCopy = join(dir, 'in-memory-copy.onnx');
    writeFileSync(inMemoryCopy, int8PrefillModel(shipped)!.bytes);
    const want = await OrtDecoderModel.create(FILE, config, 1, { kvCache: 'shared', prefillFile: { onnx: inMemoryCopy, bytes: statSync(inMemoryCopy).size } });
    assert.equal(want.prefillFile, inMemoryCopy);
    const prompt = ids.slice(0, 48);
    const [x, y] = await Promise.all([want.forward(prompt, want.emptyKv(), 1), loaded.model.forward(prompt, loaded.model.emptyKv(), 1)]);
    assert.deepEqual(y.logits, x.logits);
    await Promise.all([want.dispose(), loaded.model.dispose()]);

    const reloaded = await loadDecoder(join(dir, 'large-model'), 'q4', 1, tokenizer.vocabSize, cache);
    assert.match(reloaded.prefillCopy ?? '', /^Long prompts prefill on an 8-bit copy of onnx\/model_q4\.onnx \(\d+ MB in [^,]*\)\.$/, 'reused, not built again');
    await reloaded.model.dispose();

    const small = await loadDecoder(SHIPPED, 'q4', 1, tokenizer.vocabSize, cache);
    assert.match(small.prefillCopy ?? '', /^Long prompts prefill on an 8-bit copy of onnx\/model_q4\.onnx \(\d+ MB in /, 'a small 4-bit file keeps a copy of its own (smallFileCopies.test.ts)');
    assert.notEqual(small.model.prefillFile, copyFile);
    await small.model.dispose();

    // A kept copy onnxruntime cannot read (the same size, its bytes spoilt) is left out, and not tried again.
    const spoilt = readFileSync(copyFile);
    spoilt.fill(0, 0, 4096);
    writeFileSync(copyFile, spoilt);
    const refused = await loadDecoder(join(dir, 'large-model'), 'q4', 1, tokenizer.vocabSize, cache);
    assert.equal(refused.model.prefillFile, undefined);
    assert.equal(refused.model.stepPath, undefined, 'no decode-step file without an 8-bit file');
    assert.equal(refused.model.kvCache, 'shared');
    assert.match(refused.prefillCopy ?? '', /^The 8-bit copy of onnx\/model_q4\.onnx \(.*\) was not used: onnxruntime refused it/);
    await refused.model.dispose();
    const after = await loadDecoder(join(dir, 'large-model'), 'q4', 1, tokenizer.vocabSize, cache);
    assert.match(after.prefillCopy ?? '', /^No 8-bit copy of onnx\/model_q4\.onnx for long prompts: the copy in .* was not used at an earlier load/);
    await after.model.dispose();
  });
});
