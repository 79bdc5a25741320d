import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { toCsv, toJson, EXPORT_COLUMNS } from '../../lsp-server/telemetry/telemetryExport';
import { toSamples } from '../../lsp-server/telemetry/telemetryAggregate';
import { TelemetryFeature } from '../../lsp-server/telemetry/telemetryFeature';
import type { TelemetryClock } from '../../lsp-server/telemetry/telemetryRecorder';
import type { TelemetrySample } from '../../lsp-server/protocol';
import { fixtureEntries } from './telemetryFixtures';

const root = mkdtempSync(join(tmpdir(), 'locus-telemetry-feature-'));
after(() => rmSync(root, { recursive: true, force: true }));

function steppingClock(): TelemetryClock & { step: (ms: number) => void } {
  let wall = 1_750_000_000_000;
  let mono = 0;
  return { now: () => wall, monotonic: () => mono, step: (ms) => ((mono += ms), (wall += ms)) };
}

const bytesIn = (dir: string): number => readdirSync(dir).reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);

describe('TelemetryFeature', () => {
  it('records requests and acceptances and serves them as a summary and as exports', async () => {
    const dir = join(root, 'a');
    const clock = steppingClock();
    const feature = new TelemetryFeature({ dir, enabled: true }, { clock });
    const ids: string[] = [];
    for (const [language, ms] of [['typescript', 100], ['python', 200], ['typescript', 300]] as const) {
      const trace = feature.begin({ language, model: 'locus-small' });
      clock.step(10);
      trace.promptBuilt({ promptTokens: 1000, promptTokensCompressed: 600 });
      clock.step(40);
      trace.firstToken();
      clock.step(ms - 50);
      trace.done({ outcome: 'offered', generatedTokens: 11 });
      assert.deepEqual(feature.acceptanceCommand(trace, 0), { title: 'Completion accepted', command: 'locus.completionAccepted', arguments: [trace.id, 'accepted', 0] });
      ids.push(trace.id);
      clock.step(1000);
    }
    feature.accepted([ids[1]]);
    // Malformed client input is dropped.
    feature.accepted([42]);
    feature.accepted([ids[2], 'rejected']);
    feature.accepted(undefined);
    // From the client, unchecked: arguments that are not a list are ignored, not an internal error.
    feature.accepted({ id: ids[0] } as unknown as unknown[]);

    const summary = await feature.summary({});
    assert.equal(summary.outcomes.requests, 3);
    assert.equal(summary.outcomes.accepted, 1);
    assert.equal(summary.latency?.p50, 200);
    assert.equal(summary.acceptanceRate, 1 / 3);
    assert.deepEqual(summary.byLanguage.map((g) => [g.key, g.outcomes.requests]), [['typescript', 2], ['python', 1]]);
    assert.equal(summary.compressionRatio, 0.6);
    assert.equal(summary.store.files, 1);
    assert.equal(summary.last?.latencyMs, 300);

    const csv = await feature.export({ format: 'csv' });
    assert.equal(csv.records, 3);
    assert.equal(csv.content.split('\r\n')[0], EXPORT_COLUMNS.join(','));
    const json = JSON.parse((await feature.export({ format: 'json', since: clock.now() - 1500 })).content);
    assert.deepEqual(json.records.map((r: TelemetrySample) => r.outcome), ['notAccepted']);
    feature.dispose();
  });

  it('records which suggestion of an answer was accepted, so runners-up taken are counted', async () => {
    const dir = join(root, 'items');
    const feature = new TelemetryFeature({ dir, enabled: true }, { clock: steppingClock() });
    const commands = ['python', 'python', 'go', 'go', 'rust'].map((language, i) => {
      const trace = feature.begin({ language, model: 'locus-small' });
      trace.done({ outcome: 'offered', generatedTokens: 4 });
      // The command of the answer's second item, as the editor runs it when the user takes that item.
      return feature.acceptanceCommand(trace, i === 4 ? 0 : 1)?.arguments ?? [];
    });
    feature.accepted(commands[0]);
    feature.accepted(commands[2]);
    // An item place no answer has, or of the wrong type, is dropped; the acceptance itself still counts.
    feature.accepted([commands[3]?.[0], 'accepted', 1e9]);
    feature.accepted([commands[1]?.[0], 'accepted', '1']);
    feature.accepted(commands[4]);

    const summary = await feature.summary({});
    assert.equal(summary.outcomes.accepted, 5);
    assert.equal(summary.outcomes.acceptedRunnerUp, 2);
    assert.deepEqual(summary.byLanguage.map((g) => [g.key, g.outcomes.acceptedRunnerUp]), [['go', 1], ['python', 1], ['rust', 0]]);
    const json = JSON.parse((await feature.export({ format: 'json' })).content);
    assert.deepEqual(json.records.map((r: TelemetrySample) => r.acceptedItem), [1, null, 1, null, 0]);
    feature.dispose();
  });

  it('writes no bytes while disabled, keeps what was stored, and clears on request', async () => {
    const dir = join(root, 'b');
    const clock = steppingClock();
    const feature = new TelemetryFeature({ dir, enabled: true }, { clock });
    const first = feature.recorder.begin({ language: 'go', model: 'm' });
    first.done({ outcome: 'offered', generatedTokens: 2 });
    const before = bytesIn(dir);
    feature.configure({ dir, enabled: false });
    for (let i = 0; i < 5; i++) {
      const trace = feature.recorder.begin({ language: 'go', model: 'm' });
      trace.done({ outcome: 'offered', generatedTokens: 3 });
      assert.equal(feature.acceptanceCommand(trace, 0), undefined);
      feature.accepted([trace.id]);
    }
    feature.accepted([first.id]);
    assert.equal(bytesIn(dir), before);
    assert.equal((await feature.summary(null)).enabled, false);
    assert.equal((await feature.summary(null)).outcomes.requests, 1);
    feature.configure({ dir, enabled: true });
    assert.equal((await feature.summary(null)).enabled, true);
    assert.deepEqual(feature.clear(), { deletedFiles: 1, failedFiles: 0 });
    assert.equal((await feature.summary(null)).outcomes.requests, 0);
  });

  it('says which file stands where the folder should be, not to check that it is writable', () => {
    const file = join(root, 'not-a-folder');
    writeFileSync(file, 'a file');
    for (const dir of [file, join(file, 'telemetry')]) {
      const logs: string[] = [];
      const feature = new TelemetryFeature({ dir, enabled: true }, { log: (line) => logs.push(line) });
      feature.recorder.begin({ language: 'go', model: 'm' }).done({ outcome: 'empty', generatedTokens: 0 });
      const where = dir === file ? '' : ` to record in ${dir}`;
      assert.deepEqual(logs, [`Local latency telemetry stopped for this session (ENOTDIR): ${file} is a file, not a folder; rename or remove it${where}.`]);
      feature.dispose();
    }
  });

  it('without a directory keeps nothing and reports recording as off', async () => {
    const feature = new TelemetryFeature({ dir: null, enabled: true });
    feature.recorder.begin({ language: 'go', model: 'm' }).done({ outcome: 'empty', generatedTokens: 0 });
    assert.equal((await feature.summary(undefined)).enabled, false);
    assert.equal((await feature.summary(undefined)).outcomes.requests, 0);
  });
});

describe('telemetry export', () => {
  const samples = toSamples(fixtureEntries(20));

  it('writes RFC 4180 CSV: a header, one row per record, empty cells for null', () => {
    const rows = toCsv(samples).split('\r\n');
    assert.equal(rows.length, samples.length + 2); // Header, one row each, and the empty string after the final CRLF.
    assert.equal(rows.at(-1), '');
    const cells = (rows[1] as string).split(',');
    assert.equal(cells.length, EXPORT_COLUMNS.length);
    assert.equal(cells[EXPORT_COLUMNS.indexOf('receivedAt')], new Date((samples[0] as TelemetrySample).receivedAt).toISOString());
    const cancelled = samples.findIndex((s) => s.outcome === 'cancelled');
    assert.equal((rows[cancelled + 1] as string).split(',')[EXPORT_COLUMNS.indexOf('firstTokenMs')], '');
  });

  it('quotes cells that need it', () => {
    const odd = { ...(samples[0] as TelemetrySample), model: 'a,"b"' };
    assert.ok(toCsv([odd]).includes('"a,""b"""'));
  });

  it('keeps a text cell that starts like a formula from being read as one', () => {
    const sample = { ...(samples[0] as TelemetrySample), id: '-Abc123XyZ_q', model: '+1+1' };
    const cells = toCsv([sample]).split('\r\n')[1]!.split(',');
    assert.equal(cells[EXPORT_COLUMNS.indexOf('id')], "'-Abc123XyZ_q");
    assert.equal(cells[EXPORT_COLUMNS.indexOf('model')], "'+1+1");
    assert.equal(cells[EXPORT_COLUMNS.indexOf('doneMs')], String(sample.doneMs), 'numbers stay numbers');
  });

  it('writes JSON that parses back to the same records', () => {
    const parsed = JSON.parse(toJson(samples, Date.UTC(2026, 10, 23)));
    assert.equal(parsed.exportedAt, '2026-11-23T00:00:00.000Z');
    assert.deepEqual(parsed.records, samples);
  });
});
