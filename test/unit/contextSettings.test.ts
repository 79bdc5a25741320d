import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { excludesChanged, validateSettings } from '../../lsp-server/config';

const EMBEDDED = { target: '/ext/models/default/target', draft: '/ext/models/default/draft' };

describe('context settings', () => {
  it('joins locus.exclude and files.exclude, dropping what is not a glob', () => {
    const { config, warnings } = validateSettings({ exclude: ['**/generated/**', ' ', 3], context: { filesExclude: ['**/.git'], cacheDir: '/home/u/.storage/index' } }, EMBEDDED);
    assert.deepEqual(config.excludeGlobs, ['**/generated/**', '**/.git']);
    assert.equal(config.indexCacheDir, '/home/u/.storage/index');
    assert.equal(warnings.length, 1);
  });

  it('defaults to no extra globs and the temp folder, and rejects a relative cache folder', () => {
    assert.deepEqual(validateSettings(undefined, EMBEDDED).config.excludeGlobs, []);
    const { config, warnings } = validateSettings({ exclude: 'dist/**', context: { cacheDir: 'rel/dir' } }, EMBEDDED);
    assert.deepEqual(config.excludeGlobs, []);
    assert.equal(config.indexCacheDir, null);
    assert.equal(warnings.length, 2);
  });

  it('tells when the globs changed', () => {
    const a = validateSettings({ exclude: ['a/**'] }, EMBEDDED).config;
    assert.ok(!excludesChanged(a, validateSettings({ exclude: ['a/**'] }, EMBEDDED).config));
    assert.ok(excludesChanged(a, validateSettings({ exclude: ['b/**'] }, EMBEDDED).config));
  });
});
