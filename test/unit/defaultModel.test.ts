// The embedded default pair as shipped: within the 30 MiB the package allows, and it loads and completes code.
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { defaultModelDirs, LocalEngine } from '../../runtime/localEngine';
import { TextTokenizer } from '../../runtime/tokenizer';
import { GREEDY, ROOT } from './runtimeFixtures';

const DEFAULT_DIR = join(ROOT, 'models', 'default');

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

describe('embedded default model pair', () => {
  it('stays under 30 MiB, tokenizer included', () => {
    const bytes = filesUnder(DEFAULT_DIR)
      .filter((f) => !f.endsWith('.md'))
      .reduce((sum, f) => sum + statSync(f).size, 0);
    assert.ok(bytes < 30 * 2 ** 20, `${(bytes / 2 ** 20).toFixed(2)} MiB`);
  });

  it('loads with its draft and completes a line of code', async () => {
    const engine = new LocalEngine();
    const info = await engine.load({ ...defaultModelDirs(ROOT), quantization: 'auto', threads: 1 });
    try {
      assert.equal(info.name, 'locus-target');
      assert.equal(info.draft?.name, 'locus-draft');
      assert.ok(info.fim?.fileSeparator !== undefined, 'FIM and repository tokens');
      const tokenizer = TextTokenizer.fromDirectory(defaultModelDirs(ROOT).modelDir);
      const promptIds = [info.fim!.suffix, ...tokenizer.encode('\n'), info.fim!.prefix, ...tokenizer.encode('def add(a, b):\n    return'), info.fim!.middle];
      const result = await engine.generate({ promptIds, maxNewTokens: 8, sampling: GREEDY, stopStrings: ['\n'] });
      assert.ok(result.text.trim().length > 0, JSON.stringify(result.text));
      const scores = await engine.draftLogProbs(promptIds);
      assert.equal(scores.length, promptIds.length);
    } finally {
      await engine.dispose();
    }
  });
});
