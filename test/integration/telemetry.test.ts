// Local latency telemetry through the built server: a completion is recorded with its phases, the
// `locus.completionAccepted` command marks it accepted, and `locus/telemetry` serves the summary.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { ExecuteCommandRequest, InlineCompletionRequest, type InlineCompletionItem, type InlineCompletionList } from 'vscode-languageserver-protocol';
import { withTimeout } from '../../cli/serverProcess';
import { CompletionAcceptedCommand, TelemetryExportRequest, TelemetryRequest } from '../../lsp-server/protocol';
import { parseEntry, type RequestRecord } from '../../lsp-server/telemetry/telemetryRecord';
import { FIXTURE_MODEL, LspHarness, WAIT_MS, endOf, retrievedFunctionsUntil } from './lspHarness';

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

describe('telemetry of a prompt with workspace context', () => {
  const root = mkdtempSync(join(tmpdir(), 'locus-telemetry-ctx-'));
  const dir = join(root, 'telemetry');
  const workspace = join(root, 'ws');
  // A class of many methods, retrieved for `a.dist`: more lines than a 48-token prompt has room for.
  const methods = ['add', 'sub', 'scale', 'dot', 'cross', 'length', 'normalized', 'rotated'].map(
    (name) => `  ${name}(other: Vector): Vector {\n    return new Vector(this.x + other.x * ${name.length}, this.y - other.y);\n  }\n`,
  );
  const VECTOR = `export class Vector {\n  constructor(readonly x: number, readonly y: number) {}\n\n${methods.join('\n')}\n  distanceTo(other: Vector): number {\n    return Math.hypot(this.x - other.x, this.y - other.y);\n  }\n}\n`;
  const MAIN = `import { Vector } from './vector';\n\nexport function far(a: Vector, b: Vector): boolean {\n  return a.dist`;
  let harness: LspHarness;

  before(async () => {
    mkdirSync(join(workspace, 'src'), { recursive: true });
    writeFileSync(join(workspace, 'src', 'vector.ts'), VECTOR);
    writeFileSync(join(workspace, 'src', 'main.ts'), MAIN);
    harness = await LspHarness.start(
      { model: { path: FIXTURE_MODEL }, completion: { maxNewTokens: 8, promptTokenBudget: 48 }, telemetry: { enabled: true, dir }, context: { cacheDir: join(root, 'cache') } },
      { workspace },
    );
    await harness.waitForStatus((s) => s.state === 'ready', 'model ready');
  });

  after(async () => {
    await harness?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('records the prompt before and after compression and the retrieval and compression times', async () => {
    const uri = pathToFileURL(join(workspace, 'src', 'main.ts')).href;
    await harness.open(uri, 'typescript', MAIN);
    const position = endOf(MAIN);
    await retrievedFunctionsUntil(harness.server, uri, position, (names) => names.length > 0, harness.logs);
    await withTimeout(
      harness.server.connection.sendRequest(InlineCompletionRequest.type, { textDocument: { uri }, position, context: { triggerKind: 2 } }),
      WAIT_MS,
      'inlineCompletion',
    );

    const records = readdirSync(dir)
      .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n'))
      .map((line) => parseEntry(line))
      .filter((entry): entry is RequestRecord => entry?.kind === 'request');
    assert.equal(records.length, 1);
    const [record] = records as [RequestRecord];
    assert.ok(record.promptTokensCompressed !== null && record.promptTokensCompressed <= 48, JSON.stringify(record));
    assert.ok(record.promptTokens !== null && record.promptTokens > record.promptTokensCompressed, JSON.stringify(record));
    assert.ok(record.retrievalMs !== null && record.compressionMs !== null, JSON.stringify(record));
    assert.ok(record.promptBuiltMs !== null && record.retrievalMs + record.compressionMs <= record.promptBuiltMs + 0.2, JSON.stringify(record));

    const summary = await harness.server.connection.sendRequest(TelemetryRequest.type, {});
    assert.ok(summary.compressionRatio !== null && summary.compressionRatio < 1, String(summary.compressionRatio));
    assert.equal(summary.phases.retrieval?.count, 1);
    assert.equal(summary.phases.compression?.count, 1);
  });
});
