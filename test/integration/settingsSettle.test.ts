// Settings as the Settings editor writes them, over the built server (dist/server.js): a model path typed with pauses
// reloads the model once, after the last value (the client told of each value's wait), and an untrusted workspace with
// efficiency checks enabled says once that they are off.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EfficiencyNotification, WorkspaceTrustNotification, type EfficiencyReport } from '../../lsp-server/protocol';
import { endOf, FIXTURE_MODEL, LspHarness } from './lspHarness';

const SETTINGS = { model: { path: FIXTURE_MODEL }, completion: { maxNewTokens: 8, timeLimitMs: 0 }, telemetry: { enabled: false } };
const TEXT = 'function add(a, b) {\n  return ';
const URI = 'file:///work/settle.js';
/** Past the server's wait for settings to settle (MODEL_SETTINGS_SETTLE_MS, 3 s), with room for a loaded machine. */
const SETTLED_MS = 4500;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const withPath = (path: string) => ({ ...SETTINGS, model: { path } });

describe('model settings changed in quick succession', () => {
  let lsp: LspHarness;

  before(async () => {
    lsp = await LspHarness.start(SETTINGS);
    await lsp.waitForStatus((s) => s.state === 'ready', 'the fixture model ready');
    await lsp.open(URI, 'javascript', TEXT);
  });

  after(async () => {
    await lsp?.stop();
  });

  it('keeps answering with the model in place while a path is typed, then tries only the last value, once', async () => {
    const before = lsp.statuses.length;
    const logsBefore = lsp.logs.length;
    for (const path of ['/nonexistent/models', '/nonexistent/models/qwen', '/nonexistent/models/qwen-coder']) {
      await lsp.configure(withPath(path));
      await sleep(400);
    }
    assert.notEqual(await lsp.complete(URI, endOf(TEXT)), '', 'the working model still answers');
    await lsp.waitForStatus((s) => lsp.statuses.indexOf(s) >= before && s.state === 'error', 'the last path tried');
    await sleep(1000);
    const after = lsp.statuses.slice(before);
    assert.deepEqual(after.map((s) => s.state), ['pending', 'pending', 'pending', 'loading', 'error'], 'each value said to be waiting, then one load attempt');
    assert.deepEqual(
      after.slice(0, 3).map((s) => s.state === 'pending' && [s.modelDir, s.embedded, s.inMs]),
      ['/nonexistent/models', '/nonexistent/models/qwen', '/nonexistent/models/qwen-coder'].map((dir) => [dir, false, 3000]),
    );
    const failure = after[4]!;
    assert.ok(failure.state === 'error' && failure.code === 'MODEL_NOT_FOUND');
    assert.match(failure.message, /\/nonexistent\/models\/qwen-coder/);
    assert.equal(failure.setting, 'locus.model.path');
    const loads = lsp.logs.slice(logsBefore).filter((line) => line.includes('Model settings changed; loading'));
    assert.deepEqual(loads, ['[server] Model settings changed; loading /nonexistent/models/qwen-coder.']);

    // Fixed: the fixture again loads (after the same wait).
    await lsp.configure(SETTINGS);
    await lsp.waitForStatus((s) => lsp.statuses.indexOf(s) >= before + 2 && s.state === 'ready', 'the fixture model again');
  });

  it('reloads nothing when the model settings go back to those of the model in place before they settle', async () => {
    const ready = lsp.statuses.at(-1);
    assert.equal(ready?.state, 'ready');
    const before = lsp.statuses.length;
    await lsp.configure(withPath('/nonexistent/typo'));
    await sleep(500);
    await lsp.configure(SETTINGS);
    await sleep(SETTLED_MS);
    assert.deepEqual(lsp.statuses.slice(before), [{ state: 'pending', modelDir: '/nonexistent/typo', embedded: false, inMs: 3000 }, ready], 'the wait said, then the model in place again; no reload');
    assert.notEqual(await lsp.complete(URI, endOf(TEXT)), '');
  });
});

describe('a model setting changed while the model loads', () => {
  it('says the change to come again when the load in flight ends, so the client does not show that model as the last word', async () => {
    const lsp = await LspHarness.start(SETTINGS);
    try {
      await lsp.configure(withPath('/nonexistent/other'));
      await lsp.waitForStatus((s) => s.state === 'error', 'the new path tried');
      const states = lsp.statuses.map((s) => s.state);
      const ready = states.indexOf('ready');
      assert.ok(states.indexOf('pending') < ready, `the change arrived while the model loaded: ${states.join(', ')}`);
      assert.deepEqual(states.slice(ready), ['ready', 'pending', 'loading', 'error']);
    } finally {
      await lsp.stop();
    }
  });
});

describe('efficiency checks enabled in an untrusted workspace', () => {
  it('says once, in the log and to the client, that they are off until the workspace is trusted', async () => {
    const settings = { ...SETTINGS, efficiency: { enabled: true, samples: 2 } };
    const lsp = await LspHarness.start(settings);
    const reports: EfficiencyReport[] = [];
    lsp.server.connection.onNotification(EfficiencyNotification.type, (report) => void reports.push(report));
    try {
      await lsp.waitForStatus((s) => s.state === 'ready', 'model ready');
      await lsp.server.connection.sendNotification(WorkspaceTrustNotification.type, { trusted: false });
      await lsp.open(URI, 'javascript', TEXT);
      // Completions and settings pushes (each keystroke, each edit of settings.json) say nothing more.
      for (let i = 0; i < 3; i++) {
        assert.equal(typeof (await lsp.complete(URI, endOf(TEXT))), 'string');
        await lsp.configure(settings);
      }
      await sleep(300);
      const notice = '[efficiency] Efficiency checks are off in this untrusted workspace: they run generated code, so they start once the workspace is trusted.';
      assert.deepEqual(lsp.logs.filter((line) => line.includes('untrusted')), [notice]);
      assert.deepEqual(reports, [{ kind: 'untrusted', reason: notice.slice('[efficiency] '.length) }]);

      // Trusted: the notice is not repeated (the checks start: efficiencyWiring.test.ts).
      await lsp.server.connection.sendNotification(WorkspaceTrustNotification.type, { trusted: true });
      await lsp.configure(settings);
      await sleep(300);
      assert.equal(lsp.logs.filter((line) => line.includes('untrusted')).length, 1);
      assert.equal(reports.filter((r) => r.kind === 'untrusted').length, 1);
    } finally {
      await lsp.stop();
    }
  });

  it('says nothing before the client has said whether the workspace is trusted', async () => {
    const settings = { ...SETTINGS, efficiency: { enabled: true, samples: 2 } };
    const lsp = await LspHarness.start(settings);
    try {
      await lsp.waitForStatus((s) => s.state === 'ready', 'model ready');
      await lsp.configure(settings);
      await sleep(300);
      assert.deepEqual(lsp.logs.filter((line) => line.includes('untrusted')), []);
    } finally {
      await lsp.stop();
    }
  });
});
