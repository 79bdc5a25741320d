import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { excludesChanged, mergeSettings, validateSettings } from '../../lsp-server/config';

const EMBEDDED = { target: '/ext/models/default/target', draft: '/ext/models/default/draft' };

describe('context settings', () => {
  it('joins locus.exclude and files.exclude, dropping what is not a glob', () => {
    const { config, warnings } = validateSettings({ exclude: ['**/generated/**', ' ', 3], context: { filesExclude: ['**/.git'], cacheDir: '/home/u/.storage/index' } }, EMBEDDED);
    assert.deepEqual(config.excludes.window, { index: ['**/generated/**', '**/.git'], prompt: ['**/generated/**'] });
    assert.equal(config.indexCacheDir, '/home/u/.storage/index');
    assert.equal(warnings.length, 1);
  });

  it('defaults to no extra globs and the temp folder, and rejects a relative cache folder', () => {
    assert.deepEqual(validateSettings(undefined, EMBEDDED).config.excludes, { window: { index: [], prompt: [] }, folders: new Map() });
    const { config, warnings } = validateSettings({ exclude: 'dist/**', context: { cacheDir: 'rel/dir' } }, EMBEDDED);
    assert.deepEqual(config.excludes.window, { index: [], prompt: [] });
    assert.equal(config.indexCacheDir, null);
    assert.equal(warnings.length, 2);
  });

  it('tells when the globs changed', () => {
    const a = validateSettings({ exclude: ['a/**'] }, EMBEDDED).config;
    assert.ok(!excludesChanged(a, validateSettings({ exclude: ['a/**'] }, EMBEDDED).config));
    assert.ok(excludesChanged(a, validateSettings({ exclude: ['b/**'] }, EMBEDDED).config));
  });

  it("takes a folder's own globs from locus.folders, the window's for what it leaves out", () => {
    const { config, warnings } = validateSettings(
      {
        exclude: ['dist/**'],
        context: { filesExclude: ['**/.git'] },
        folders: {
          'file:///work/app': { exclude: ['secret/**'] },
          'file:///work/lib': { filesExclude: [], exclude: ['gen/**'], typo: true },
          'vscode-remote://ssh/work/far': { exclude: ['x/**'] },
          'file:///work/odd': 'secret/**',
        },
      },
      EMBEDDED,
    );
    assert.deepEqual(config.excludes.window, { index: ['dist/**', '**/.git'], prompt: ['dist/**'] });
    assert.deepEqual(
      [...config.excludes.folders],
      [
        ['/work/app', { index: ['secret/**', '**/.git'], prompt: ['secret/**'] }],
        ['/work/lib', { index: ['gen/**'], prompt: ['gen/**'] }],
      ],
    );
    assert.deepEqual(
      warnings.map((w) => w.replace(/ \(.*$|;.*$/, '')),
      ['locus.folders["file:///work/lib"].typo is not a folder setting', 'locus.folders["file:///work/odd"] must be an object with exclude and filesExclude'],
    );
  });

  it('warns once about a wrong exclude that every folder repeats, as VS Code resolves the window\'s value for each', () => {
    const { config, warnings } = validateSettings({ exclude: 'src/**', folders: { 'file:///w/one': { exclude: 'src/**' }, 'file:///w/two': { exclude: 'src/**' } } }, EMBEDDED);
    assert.deepEqual(warnings.filter((w) => w.includes('exclude')).map((w) => w.replace(/ must.*| \(.*$|;.*$/, '')), ['locus.exclude']);
    assert.deepEqual(config.excludes.folders.get('/w/one'), config.excludes.window);
    // A folder's own wrong value is its own warning.
    assert.equal(validateSettings({ exclude: ['a/**'], folders: { 'file:///w/one': { exclude: 'b/**' } } }, EMBEDDED).warnings.filter((w) => w.includes('folders')).length, 1);
  });

  it("tells when a folder's globs changed, and not when a folder's entry says what the window says", () => {
    const a = validateSettings({ exclude: ['a/**'], folders: { 'file:///w/one': { exclude: ['b/**'] } } }, EMBEDDED).config;
    assert.ok(!excludesChanged(a, validateSettings({ exclude: ['a/**'], folders: { 'file:///w/one': { exclude: ['b/**'] }, 'file:///w/two': {} } }, EMBEDDED).config));
    assert.ok(excludesChanged(a, validateSettings({ exclude: ['a/**'], folders: { 'file:///w/one': { exclude: ['c/**'] } } }, EMBEDDED).config));
    assert.ok(excludesChanged(a, validateSettings({ exclude: ['a/**'] }, EMBEDDED).config));
  });

  it('replaces the folders whole when settings are pushed again', () => {
    const first = mergeSettings({}, { exclude: ['a/**'], folders: { 'file:///w/one': { exclude: ['b/**'] } } });
    const next = mergeSettings(first, { folders: { 'file:///w/two': { exclude: ['c/**'] } } });
    assert.deepEqual(next, { exclude: ['a/**'], folders: { 'file:///w/two': { exclude: ['c/**'] } } });
    assert.deepEqual(mergeSettings(next, { folders: null }), next, 'null changes nothing');
  });
});
