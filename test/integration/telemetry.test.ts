// Local latency telemetry through the built server: a completion is recorded with its phases, the
// `locus.completionAccepted` command marks it accepted, and `locus/telemetry` serves the summary.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ExecuteCommandRequest, InlineCompletionRequest, type InlineCompletionItem, type InlineCompletionList } from 'vscode-languageserver-protocol';
import { withTimeout } from '../../cli/serverProcess';
import { CompletionAcceptedCommand, TelemetryExportRequest, TelemetryRequest } from '../../lsp-server/protocol';
import { FIXTURE_MODEL, LspHarness, WAIT_MS, endOf } from './lspHarness';

const URI = 'file:///workspace/telemetry.py';
const TEXT = 'def add(a, b):\n    return a + b\n\n\ndef mul(a, b):\n    ';
const CANARY = 'telemetry_canary_4711';

describe('telemetry through the server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'locus-telemetry-it-'));
  let harness: LspHarness;

  before(async () => {
    harness = await LspHarness.start({ model: { path: FIXTURE_MODEL }, completion: { maxNewTokens: 16 }, telemetry: { enabled: true, dir } });
    await harness.waitForStatus((s) => s.state === 'ready', 'model ready');
    await harness.open(URI, 'python', `# ${CANARY}\n${TEXT}`);
  });

  after(async () => {
    await harness?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function items(): Promise<InlineCompletionItem[]> {
    const position = endOf(`# ${CANARY}\n${TEXT}`);
    const result = await withTimeout(
      harness.server.connection.sendRequest(InlineCompletionRequest.type, { textDocument: { uri: URI }, position, context: { triggerKind: 2 } }),
      WAIT_MS,
      'inlineCompletion',
    );
    return result === null ? [] : Array.isArray(result) ? result : (result as InlineCompletionList).items;
  }

  it('advertises the acceptance command', () => {
    assert.deepEqual(harness.initializeResult.capabilities.executeCommandProvider?.commands, [CompletionAcceptedCommand.command]);
  });

  it('records a completion, its acceptance and serves the summary and export', async () => {
    const offered = (await items())[0];
    assert.ok(offered, 'the fixture model offered nothing');
    assert.equal(offered.command?.command, CompletionAcceptedCommand.command);
    const [id, acceptance, item] = offered.command?.arguments ?? [];
    assert.deepEqual([typeof id, acceptance, item], ['string', 'accepted', 0]);
    // As the editor runs an accepted item's command: its arguments unchanged.
    await harness.server.connection.sendRequest(ExecuteCommandRequest.type, { command: CompletionAcceptedCommand.command, arguments: offered.command?.arguments });

    const summary = await harness.server.connection.sendRequest(TelemetryRequest.type, {});
    assert.equal(summary.enabled, true);
    assert.equal(summary.outcomes.requests, 1);
    assert.equal(summary.outcomes.accepted, 1);
    assert.equal(summary.acceptanceRate, 1);
    assert.deepEqual(summary.byLanguage.map((g) => g.key), ['python']);
    assert.ok((summary.latency?.p50 ?? 0) > 0);
    assert.ok(summary.phases.prompt && summary.phases.prefill && summary.phases.decode, JSON.stringify(summary.phases));

    const exported = await harness.server.connection.sendRequest(TelemetryExportRequest.type, { format: 'csv' });
    assert.equal(exported.records, 1);
    assert.match(exported.content.split('\r\n')[1] ?? '', /,python,accepted,0$/);

    // Nothing of the document reaches the disk.
    const stored = readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8')).join('');
    assert.ok(stored.length > 0 && !stored.includes(CANARY) && !stored.includes('def '));
  });

  it('writes nothing once locus.telemetry.enabled is off', async () => {
    await harness.configure({ model: { path: FIXTURE_MODEL }, completion: { maxNewTokens: 16 }, telemetry: { enabled: false, dir } });
    const before = readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8')).join('');
    const offered = (await items())[0];
    assert.equal(offered?.command, undefined);
    const summary = await harness.server.connection.sendRequest(TelemetryRequest.type, {});
    assert.equal(summary.enabled, false);
    assert.equal(summary.outcomes.requests, 1);
    assert.equal(readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8')).join(''), before);
  });
});
