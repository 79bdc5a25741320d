import assert from 'node:assert/strict';
import { homedir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULTS, embeddedModelDirs, isLanguageEnabled, locusSection, mergeSettings, needsModelReload, typedModelSettingChanged, validateSettings } from '../../lsp-server/config';

const embedded = embeddedModelDirs('/opt/locus/dist');

describe('validateSettings', () => {
  it('uses the embedded default pair, resolved relative to the bundle, when nothing is set', () => {
    const { config, warnings } = validateSettings(undefined, embedded);
    assert.deepEqual(warnings, []);
    assert.equal(config.modelDir, path.resolve('/opt/locus/models/default/target'));
    assert.equal(config.draftDir, path.resolve('/opt/locus/models/default/draft'));
    assert.equal(config.usesEmbeddedDraft, true);
    assert.equal(config.quantization, DEFAULTS.quantization);
    assert.equal(config.maxNewTokens, DEFAULTS.maxNewTokens);
    assert.equal(config.promptTokenBudget, DEFAULTS.promptTokenBudget);
    assert.equal(config.speculation, 'auto');
  });

  it('takes a speculation mode and rejects an unknown one', () => {
    assert.equal(validateSettings({ completion: { speculation: 'lookup' } }, embedded).config.speculation, 'lookup');
    const { config, warnings } = validateSettings({ completion: { speculation: 'turbo' } }, embedded);
    assert.equal(config.speculation, 'auto');
    assert.deepEqual(warnings, ['locus.completion.speculation must be one of auto, draft, lookup, off; using auto']);
  });

  it('takes valid values and resolves relative paths; a custom model has no draft unless one is set', () => {
    const { config, warnings } = validateSettings(
      { model: { path: 'models/qwen', quantization: 'int8', threads: 2 }, completion: { maxNewTokens: 32, promptTokenBudget: 512 } },
      embedded,
      '/work',
    );
    assert.deepEqual(warnings, []);
    assert.equal(config.modelDir, path.resolve('/work/models/qwen'));
    assert.equal(config.draftDir, undefined);
    assert.equal(config.usesEmbeddedDraft, false);
    assert.equal(config.quantization, 'int8');
    assert.equal(config.threads, 2);
    assert.equal(config.maxNewTokens, 32);
    assert.equal(config.promptTokenBudget, 512);
  });

  it('replaces each invalid value with its default and says so', () => {
    const { config, warnings } = validateSettings(
      { model: { path: 42, quantization: 'q3', threads: -1 }, completion: { maxNewTokens: 2.5, promptTokenBudget: '1k', languages: { python: 'yes', go: false } } },
      embedded,
    );
    assert.equal(config.usesEmbeddedDraft, true);
    assert.equal(config.quantization, 'auto');
    assert.equal(config.threads, DEFAULTS.threads);
    assert.equal(config.maxNewTokens, DEFAULTS.maxNewTokens);
    assert.equal(config.promptTokenBudget, DEFAULTS.promptTokenBudget);
    assert.equal(isLanguageEnabled(config, 'go'), false);
    assert.equal(isLanguageEnabled(config, 'python'), true);
    assert.equal(warnings.length, 6, warnings.join('\n'));
    assert.ok(warnings.some((w) => w.includes('locus.model.quantization')));
  });

  it('warns about a settings section that is not an object', () => {
    const { config, warnings } = validateSettings({ model: 'fast' }, embedded);
    assert.equal(config.usesEmbeddedDraft, true);
    assert.deepEqual(warnings, ['locus.model is not an object; it is ignored']);
  });

  it('enables languages per id, with `*` for the rest', () => {
    const { config } = validateSettings({ completion: { languages: { '*': false, rust: true } } }, embedded);
    assert.equal(isLanguageEnabled(config, 'rust'), true);
    assert.equal(isLanguageEnabled(config, 'typescript'), false);
    assert.equal(isLanguageEnabled(validateSettings(undefined, embedded).config, 'markdown'), false);
  });

  it('reads a leading ~ in model paths as the home folder', () => {
    const { config } = validateSettings({ model: { path: '~/models/qwen', draftPath: '~/models/draft' } }, embedded, '/workspace');
    assert.equal(config.modelDir, path.join(homedir(), 'models', 'qwen'));
    assert.equal(config.draftDir, path.join(homedir(), 'models', 'draft'));
    assert.equal(validateSettings({ model: { path: 'models/~x' } }, embedded, '/workspace').config.modelDir, path.resolve('/workspace', 'models/~x'));
  });

  it('runs the model on automatic requests unless the trigger is manual', () => {
    assert.equal(validateSettings(undefined, embedded).config.trigger, 'automatic');
    assert.equal(validateSettings({ completion: { trigger: 'manual' } }, embedded).config.trigger, 'manual');
    const { config, warnings } = validateSettings({ completion: { trigger: 'onSave' } }, embedded);
    assert.equal(config.trigger, 'automatic');
    assert.deepEqual(warnings, ['locus.completion.trigger must be one of automatic, manual; using automatic']);
    assert.equal(needsModelReload(config, validateSettings({ completion: { trigger: 'manual' } }, embedded).config), false);
  });

  it('reloads the model only for model settings', () => {
    const base = validateSettings(undefined, embedded).config;
    assert.equal(needsModelReload(base, validateSettings({ completion: { maxNewTokens: 10 } }, embedded).config), false);
    assert.equal(needsModelReload(base, validateSettings({ model: { quantization: 'fp32' } }, embedded).config), true);
    assert.equal(needsModelReload(base, validateSettings({ model: { path: '/m' } }, embedded).config), true);
    assert.equal(needsModelReload(base, validateSettings({ model: { threads: 3 } }, embedded).config), true);
  });

  it('waits for typed model settings to settle, not for a quantization picked from its list', () => {
    const base = validateSettings(undefined, embedded).config;
    assert.equal(typedModelSettingChanged(base, validateSettings({ model: { quantization: 'fp32' } }, embedded).config), false);
    assert.equal(typedModelSettingChanged(base, validateSettings({ model: { path: '/m' } }, embedded).config), true);
    assert.equal(typedModelSettingChanged(base, validateSettings({ model: { draftPath: '/d' } }, embedded).config), true);
    assert.equal(typedModelSettingChanged(base, validateSettings({ model: { threads: 3 } }, embedded).config), true);
  });
});

describe('settings from editors other than VS Code', () => {
  it('warns about keys that are not Locus settings, naming the ones there are', () => {
    const { config, warnings } = validateSettings({ completions: { maxNewTokens: 8 }, completion: { maxNewToken: 8, trigger: 'manual' } }, embedded);
    assert.equal(config.trigger, 'manual');
    assert.equal(config.maxNewTokens, DEFAULTS.maxNewTokens);
    assert.equal(warnings.length, 2, warnings.join('\n'));
    assert.match(warnings[0]!, /^locus\.completions is not a Locus setting; ignored \(settings: model, completion, efficiency, exclude, folders, context, telemetry\)$/);
    assert.match(warnings[1]!, /^locus\.completion\.maxNewToken is not a Locus setting; ignored \(locus\.completion has maxNewTokens, /);
  });

  it('unwraps a whole configuration block, { locus: { ... } }', () => {
    assert.deepEqual(locusSection({ locus: { completion: { trigger: 'manual' } } }), { completion: { trigger: 'manual' } });
    assert.deepEqual(locusSection({ completion: { trigger: 'manual' } }), { completion: { trigger: 'manual' } });
    assert.deepEqual(locusSection({ locus: { completion: {} }, pyright: { strict: true } }), { completion: {} }, "another server's section beside it");
    assert.equal(locusSection(undefined), undefined);
  });

  it('merges a pushed part over the settings so far, key by key within a section, values replaced whole', () => {
    const before = { model: { threads: 1 }, completion: { trigger: 'manual', languages: { python: false, '*': true } }, exclude: ['a/**'] };
    const merged = mergeSettings(before, { completion: { maxNewTokens: 32, languages: { '*': true } }, exclude: ['b/**'] });
    assert.deepEqual(merged, { model: { threads: 1 }, completion: { trigger: 'manual', maxNewTokens: 32, languages: { '*': true } }, exclude: ['b/**'] });
    const { config } = validateSettings(merged, embedded);
    assert.equal(config.trigger, 'manual', 'a part pushed later does not reset the rest to defaults');
    assert.equal(config.threads, 1);
    assert.equal(isLanguageEnabled(config, 'python'), true, 'a language table is replaced, not merged');
    assert.deepEqual(mergeSettings(before, null), before);
    assert.deepEqual(mergeSettings(before, { model: { threads: null }, exclude: null }), before, 'null for one key changes nothing either');
  });

  it('ignores a pushed section that is not an object: the values it would have wiped stay', () => {
    const before = { model: { threads: 1 }, completion: { maxNewTokens: 8 }, context: { cacheDir: '/client/storage' } };
    const merged = mergeSettings(before, { model: 'x', completion: 'y', context: null, exclude: ['b/**'] });
    assert.deepEqual(merged, { ...before, exclude: ['b/**'] });
    assert.equal(validateSettings(merged, embedded).config.maxNewTokens, 8);
  });

  it('keeps only Locus keys when merging, so a fixed misspelling is not warned about again', () => {
    const merged = mergeSettings({}, { completions: { x: 1 }, completion: { maxNewToken: 8, trigger: 'manual' } });
    assert.deepEqual(merged, { completion: { trigger: 'manual' } });
    assert.deepEqual(validateSettings(merged, embedded).warnings, []);
  });

  it("takes other editors' language ids in the language table, as documents carry them", () => {
    const { config } = validateSettings({ completion: { languages: { sh: false, text: true } } }, embedded);
    assert.equal(isLanguageEnabled(config, 'shellscript'), false);
    assert.equal(isLanguageEnabled(config, 'plaintext'), true);
  });
});
