// The server's lifecycle around a running model, on the embedded model (whose passes are long enough to be caught
// mid-run): a client that goes away while it decodes, reloads and shutdowns while it loads, a reload while a
// request waits for the editor's member list, and a request overtaken by a newer one for the same document.
// Ending the inference thread inside onnxruntime-node aborts the whole process (SIGABRT), so each exit is checked
// for its code and signal.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { describe, it } from 'node:test';
import { ExitNotification, ShutdownRequest } from 'vscode-languageserver-protocol';
import { MemberNamesRequest, type LocusSettingsInput } from '../../lsp-server/protocol';
import { endOf, LspHarness } from './lspHarness';

/** The embedded model writes ~1000 tokens (seconds) into this open object literal. */
const LONG_BLOCK = 'const table = {\n';
const LONG = { completion: { maxNewTokens: 1024, promptTokenBudget: 32, speculation: 'off', timeLimitMs: 0 } } satisfies LocusSettingsInput;
const MEMBER_NAMES = { experimental: { [MemberNamesRequest.capability]: true } };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

async function ready(lsp: LspHarness): Promise<void> {
  const status = await lsp.waitForStatus((s) => s.state !== 'loading', 'model load');
  assert.equal(status.state, 'ready', JSON.stringify(status));
}

/** Starts a long completion and waits until the model is decoding it. */
async function decoding(lsp: LspHarness): Promise<void> {
  await lsp.open('file:///work/table.ts', 'typescript', LONG_BLOCK);
  void lsp.complete('file:///work/table.ts', endOf(LONG_BLOCK)).catch(() => undefined);
  await sleep(500);
}

describe('server lifecycle around a running model', () => {
  /** A server on `settings` that is killed at the end whatever happened. */
  async function withServer(settings: LocusSettingsInput, test: (lsp: LspHarness) => Promise<void>): Promise<void> {
    const lsp = await LspHarness.start(settings);
    try {
      await test(lsp);
    } finally {
      lsp.server.child.kill('SIGKILL');
    }
  }

  for (const [how, leave] of [
    ['closes its end of stdio', (lsp: LspHarness) => void lsp.server.child.stdin!.end()],
    ['sends exit without shutdown', (lsp: LspHarness) => void lsp.server.connection.sendNotification(ExitNotification.type)],
  ] as const) {
    it(`exits with code 1, not an abort, when the client ${how} while the model decodes`, async () => {
      await withServer(LONG, async (lsp) => {
        await ready(lsp);
        await decoding(lsp);
        const exited = exitOf(lsp.server.child);
        leave(lsp);
        assert.deepEqual(await exited, { code: 1, signal: null }, lsp.server.stderr());
      });
    });
  }

  it('shuts down with code 0 when shutdown and exit arrive together while the model decodes', async () => {
    await withServer(LONG, async (lsp) => {
      await ready(lsp);
      await decoding(lsp);
      const exited = exitOf(lsp.server.child);
      void lsp.server.connection.sendRequest(ShutdownRequest.type).catch(() => undefined);
      void lsp.server.connection.sendNotification(ExitNotification.type);
      assert.deepEqual(await exited, { code: 0, signal: null }, lsp.server.stderr());
    });
  });

  it('shuts down with code 0 while the model is still loading', async () => {
    await withServer({}, async (lsp) => {
      await sleep(300);
      const exited = exitOf(lsp.server.child);
      await lsp.stop();
      assert.deepEqual(await exited, { code: 0, signal: null }, lsp.server.stderr());
    });
  });

  it('settles on the last of two model settings changed while the first still loads, and completes', async () => {
    const lsp = await LspHarness.start({});
    try {
      await ready(lsp);
      await lsp.configure({ model: { threads: 1 } });
      await sleep(300);
      await lsp.configure({ model: { threads: 2 } });
      await sleep(200);
      const loads = lsp.statuses.length;
      await lsp.waitForStatus((s) => lsp.statuses.indexOf(s) >= loads && s.state !== 'loading', 'the second reload');
      assert.equal(lsp.statuses.at(-1)!.state, 'ready');
      await lsp.open('file:///work/x.ts', 'typescript', 'const x = ');
      assert.notEqual(await lsp.complete('file:///work/x.ts', endOf('const x = ')), '');
      assert.equal(lsp.server.child.exitCode, null, lsp.server.stderr());
    } finally {
      await lsp.stop();
    }
  });

  it('answers a request that waited for the member list across a reload, and the ones after it', async () => {
    const lsp = await LspHarness.start({}, { capabilities: MEMBER_NAMES });
    // An editor slow with its member list: the request is still building its prompt when the reload starts.
    lsp.server.connection.onRequest(MemberNamesRequest.type, async () => (await sleep(1500), null));
    try {
      await ready(lsp);
      const big = Array.from({ length: 120 }, (_, i) => `const v${i} = compute(${(i * 7919) % 1000}, "k${i}");`).join('\n') + '\nconst z = ';
      await lsp.open('file:///work/big.ts', 'typescript', big);
      const cold = lsp.complete('file:///work/big.ts', endOf(big));
      await sleep(30);
      const member = 'const reader = new Reader();\nreader.';
      await lsp.open('file:///work/member.ts', 'typescript', member);
      const waiting = lsp.complete('file:///work/member.ts', endOf(member));
      await sleep(40);
      const loads = lsp.statuses.length;
      await lsp.configure({ model: { threads: 1 } });
      // complete() rejects after its timeout (lspHarness WAIT_MS): a request left pending for ever fails here.
      await Promise.all([cold, waiting]);
      await lsp.waitForStatus((s) => lsp.statuses.indexOf(s) >= loads && s.state === 'ready', 'the reload');
      assert.notEqual(await lsp.complete('file:///work/member.ts', endOf(member)), '', 'a later request runs the reloaded model');
    } finally {
      await lsp.stop();
    }
  });

  it('answers nothing to a request overtaken by a newer one for its document, and the newer one its completion', async () => {
    const lsp = await LspHarness.start(LONG, { capabilities: MEMBER_NAMES });
    lsp.server.connection.onRequest(MemberNamesRequest.type, async () => (await sleep(1000), null));
    try {
      await ready(lsp);
      const v1 = 'const reader = new Reader();\nreader.';
      await lsp.open('file:///work/b.ts', 'typescript', v1);
      // The older request waits for the member list; the newer one, after an edit, is not preceded by a cancel.
      const older = lsp.complete('file:///work/b.ts', endOf(v1));
      await sleep(5);
      const v2 = `${v1}x;\nconst table = {\n`;
      await lsp.change('file:///work/b.ts', 2, [{ text: v2 }]);
      const newer = lsp.complete('file:///work/b.ts', endOf(v2));
      assert.equal(await older, '');
      assert.notEqual(await newer, '');
    } finally {
      await lsp.stop();
    }
  });
});
