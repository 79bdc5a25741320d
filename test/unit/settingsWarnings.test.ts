// lsp-server/settingsWarnings.ts: an invalid setting is warned about once while it stays, not at every push of the
// section (VS Code pushes all of it at any change), and again once it was fixed and then broken again.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SettingsWarnings } from '../../lsp-server/settingsWarnings';

describe('settings warnings', () => {
  it('says a warning when it first holds, not while it stays, and again after a push without it', () => {
    const warnings = new SettingsWarnings();
    assert.deepEqual(warnings.fresh(['locus.completion.beamWidth must be 1-8']), ['locus.completion.beamWidth must be 1-8']);
    // The telemetry toggle pushes the whole section again.
    assert.deepEqual(warnings.fresh(['locus.completion.beamWidth must be 1-8']), []);
    assert.deepEqual(warnings.fresh(['locus.completion.beamWidth must be 1-8', 'locus.exclude must be a list']), ['locus.exclude must be a list']);
    assert.deepEqual(warnings.fresh([]), []);
    assert.deepEqual(warnings.fresh(['locus.exclude must be a list']), ['locus.exclude must be a list']);
  });
});

describe('settings warnings through the server', () => {
  it('warns about an invalid value once, though every change of another setting pushes it again', async () => {
    const { DidChangeConfigurationNotification, LogMessageNotification } = await import('vscode-languageserver-protocol');
    const { FakeEngine } = await import('./fakeEngine');
    const { startInProcessServer } = await import('./inProcessServer');
    const server = await startInProcessServer(new FakeEngine(() => 'x'));
    try {
      const logged: string[] = [];
      server.connection.onNotification(LogMessageNotification.type, (message) => void logged.push(message.message));
      for (const enabled of [true, false, true]) {
        await server.connection.sendNotification(DidChangeConfigurationNotification.type, { settings: { locus: { completion: { beamWidth: 0 }, telemetry: { enabled } } } });
      }
      await server.connection.sendRequest('locus/unknownRequestToFlush').catch(() => undefined);
      assert.equal(logged.filter((m) => m.includes('beamWidth')).length, 1, logged.join('\n'));
    } finally {
      await server.stop();
    }
  });
});
