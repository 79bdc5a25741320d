import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseEntry, RECORD_VERSION, sanitizeLabel, serializeEntry, type RequestRecord } from '../../lsp-server/telemetry/telemetryRecord';
import { seededRandom } from './telemetryFixtures';

const base: RequestRecord = {
  v: RECORD_VERSION,
  kind: 'request',
  id: 'abc_DEF-123',
  receivedAt: 1_750_000_000_000,
  promptBuiltMs: 10.5,
  firstTokenMs: null,
  doneMs: 20,
  retrievalMs: null,
  compressionMs: 0,
  promptTokens: 10,
  promptTokensCompressed: 10,
  generatedTokens: 0,
  tokensPerSecond: null,
  draftProposed: null,
  draftAccepted: null,
  prefixCacheHit: null,
  servedFromCache: false,
  cachedFrom: null,
  model: 'locus-small-q4',
  language: 'cpp',
  outcome: 'cancelled',
};

describe('telemetry record lines', () => {
  it('round-trip through one newline-terminated line', () => {
    const line = serializeEntry(base);
    assert.ok(line.endsWith('}\n') && !line.slice(0, -1).includes('\n'));
    assert.deepEqual(parseEntry(line), base);
    const outcome = { v: RECORD_VERSION, kind: 'outcome', id: 'x', at: 5, acceptance: 'accepted' } as const;
    assert.deepEqual(parseEntry(serializeEntry(outcome)), outcome);
  });

  it('keep which suggestion of an answer was accepted, and read acceptances written before they said', () => {
    const outcome = { v: RECORD_VERSION, kind: 'outcome', id: 'x', at: 5, acceptance: 'accepted', item: 2 } as const;
    assert.deepEqual(parseEntry(serializeEntry(outcome)), outcome);
    const { item: _, ...older } = outcome;
    assert.deepEqual(parseEntry(JSON.stringify(older)), older);
    for (const item of [-1, 1.5, '2', null, 64]) assert.equal(parseEntry(JSON.stringify({ ...outcome, item })), null, String(item));
  });

  it('keep the model run a cache answer continues, and read lines written before they named it', () => {
    const cached: RequestRecord = { ...base, servedFromCache: true, cachedFrom: 'run_1', outcome: 'offered' };
    assert.deepEqual(parseEntry(serializeEntry(cached)), cached);
    const { cachedFrom: _, ...older } = cached;
    assert.deepEqual(parseEntry(JSON.stringify(older)), { ...cached, cachedFrom: null });
  });

  it('write only allowlisted fields, whatever the object carries', () => {
    const polluted = { ...base, prompt: 'const apiKey = "sk-canary"', path: '/home/me/secret.ts' } as RequestRecord;
    const line = serializeEntry(polluted);
    assert.ok(!line.includes('canary') && !line.includes('secret'));
    assert.deepEqual(Object.keys(JSON.parse(line)), Object.keys(base));
  });

  it('reject every proper prefix of a line (a write torn by a crash)', () => {
    const line = serializeEntry({ ...base, firstTokenMs: 12.25, tokensPerSecond: 99.5, prefixCacheHit: true }).trimEnd();
    for (let cut = 0; cut < line.length; cut++) assert.equal(parseEntry(line.slice(0, cut)), null, line.slice(0, cut));
  });

  it('reject wrong types, unknown enums, other versions and free-text labels', () => {
    const bad: Record<string, unknown>[] = [
      { ...base, v: 2 },
      { ...base, kind: 'other' },
      { ...base, doneMs: -1 },
      { ...base, doneMs: '20' },
      { ...base, generatedTokens: 1.5 },
      { ...base, outcome: 'shown' },
      { ...base, language: 'has space' },
      { ...base, id: 'x'.repeat(65) },
      { ...base, prefixCacheHit: 'yes' },
      { ...base, servedFromCache: undefined },
      { ...base, cachedFrom: 'not an id' },
      { ...base, cachedFrom: 7 },
      { ...base, receivedAt: 0 },
      // Out of range: a date no Date holds, a first token or a built prompt after the request ended.
      { ...base, receivedAt: 9e15 },
      { ...base, firstTokenMs: 1656, doneMs: 20 },
      { ...base, promptBuiltMs: 21 },
      // Phases out of order (a negative prefill), and a duration no request has (it hung the dashboard's axis).
      { ...base, promptBuiltMs: 15, firstTokenMs: 10 },
      { ...base, doneMs: 1.7e308 },
    ];
    for (const value of bad) assert.equal(parseEntry(JSON.stringify(value)), null, JSON.stringify(value));
  });

  it('keep only identifier characters in labels', () => {
    assert.equal(sanitizeLabel('typescriptreact'), 'typescriptreact');
    assert.equal(sanitizeLabel('c++'), 'c++');
    assert.equal(sanitizeLabel(''), 'other');
    assert.equal(sanitizeLabel('a/b'), 'other');
    const random = seededRandom(3);
    for (let i = 0; i < 200; i++) {
      const label = Array.from({ length: 1 + Math.floor(random() * 20) }, () => String.fromCharCode(32 + Math.floor(random() * 95))).join('');
      assert.match(sanitizeLabel(label), /^[A-Za-z0-9_.+#-]+$/);
    }
  });
});
