// End to end in a real VS Code workbench: code-server 4.99.4 (scripts/install-code-server.sh) driven by
// Debian's chromium through playwright-core. Installs the packed .vsix, opens the fixture workspace and runs
// the shared scenario (status bar, ghost text accepted with Tab, ghost text beside the suggest widget, every
// contributed command, the context menu, a stopped explanation, a CRLF file, the dashboard after a reload), then
// checks the language server's process: its environment, and a crash loop (the server killed until the client
// gives up and offers to restart it). The test-only ghost-probe extension is installed next to Locus to check the
// suite's ghost-text reader against known text.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { freshRunDirs, installedManifest, locusLog, locusLogTail, vsixPath } from './artifacts';
import { installExtension, languageServerEnvironments, languageServerPids, listExtensions, prepareDirs, startCodeServer } from './codeServer';
import { buildProbeVsix } from './probeExtension';
import { errorToasts, locusStatus, runScenario, userSettings, waitForReady } from './scenario';
import { launchBrowser, notificationButtons, openWorkbench, runCommand, Screenshots, waitFor } from './workbench';

test('Locus in code-server (VS Code workbench in chromium)', { timeout: 10 * 60_000 }, async (t) => {
  const run = freshRunDirs('code-server');
  const vsix = vsixPath();
  const dirs = prepareDirs(run.profile, userSettings);
  t.diagnostic(`installing ${path.relative(process.cwd(), vsix)}`);
  await installExtension(vsix, dirs);
  await installExtension(buildProbeVsix(run.root), dirs);
  const { manifest } = installedManifest(dirs.extensionsDir, 'locus-dev.locus');
  const id = `${manifest.publisher}.${manifest.name}`;
  const listed = await listExtensions(dirs);
  assert.ok(listed.some((l) => l.startsWith(`${id}@`)), `code-server lists ${id}: ${listed.join(', ')}`);

  const server = await startCodeServer(dirs, path.join(run.root, 'code-server.log'));
  const browser = await launchBrowser();
  const shots = new Screenshots(run.screenshots);
  let page: Page | undefined;
  try {
    const workbench = await openWorkbench(browser, server.url, run.workspace);
    page = workbench;
    const serverPids = () => languageServerPids(dirs.extensionsDir);
    await runScenario(t, { page: workbench, workspace: run.workspace, shots, manifest, languageServerPids: serverPids, locusLog: () => locusLog(dirs.userDataDir) });
    await t.test("the extension starts its language server with onnxruntime's telemetry off and glibc's malloc asking for huge pages", async () => {
      // A reload (the scenario's last check) ends the previous window's server a moment later.
      const servers = await waitFor('one Locus language server', async () => {
        const found = languageServerEnvironments(dirs.extensionsDir);
        return found.length === 1 ? found : undefined;
      }, 30_000).catch(() => languageServerEnvironments(dirs.extensionsDir));
      assert.equal(servers.length, 1, 'one Locus language server runs');
      assert.match(servers[0]!.GLIBC_TUNABLES ?? 'none', /(^|:)glibc\.malloc\.hugetlb=1(:|$)/);
      assert.equal(servers[0]!.ORT_DISABLE_TELEMETRY, '1', "onnxruntime's telemetry is off");
    });
    await t.test('a crash loop: killed 5 times, the server is restarted 4 times, then an error offers Restart Server (and Show Output), which brings it back', async () => {
      const loads = () => locusLog(dirs.userDataDir).split('\n').filter((l) => /\[model\] Loaded /.test(l)).length;
      const killed: number[] = [];
      const aliveServer = (what: string) =>
        waitFor(what, async () => {
          const found = serverPids().filter((p) => !killed.includes(p));
          return found.length === 1 ? found[0] : undefined;
        }, 60_000);
      for (let crash = 1; crash <= 5; crash++) {
        const pid = await aliveServer('one running Locus language server');
        const loaded = loads();
        process.kill(pid, 'SIGKILL');
        killed.push(pid);
        if (crash === 5) break;
        // Restarted: a new process, which loads the model and says it is ready.
        await aliveServer(`the server restarted after crash ${crash}`);
        await waitFor(`the restarted server to load the model (crash ${crash})`, async () => (loads() > loaded ? true : undefined), 60_000);
        await waitForReady(workbench, manifest, 60_000);
      }
      const gaveUp = /crashed 5 times in the last 3 minutes/;
      // The toast slides in: its buttons come a moment after its message.
      const { toast, buttons } = await waitFor('the crash-loop error notification and its buttons', async () => {
        const found = await notificationButtons(workbench, gaveUp);
        return found.buttons.length > 0 ? found : undefined;
      }, 30_000);
      await shots.take(workbench, 'crash-loop');
      const shown = (await errorToasts(workbench)).filter((n) => gaveUp.test(n));
      assert.ok(shown.length === 1 && shown[0]!.startsWith('error:'), `one error notification says the server crashed 5 times: ${JSON.stringify(shown)}`);
      assert.deepEqual(buttons, ['Restart Server', 'Show Output'], 'the notification offers Restart Server and Show Output');
      const status = await locusStatus(workbench, manifest);
      assert.ok(status?.icon.includes('codicon-error'), `the status bar shows the error: ${JSON.stringify(status)}`);
      assert.match(status?.tooltip ?? '', gaveUp, 'the status bar tooltip says why');
      assert.deepEqual(serverPids().filter((p) => !killed.includes(p)), [], 'the server was not restarted a fifth time');
      const loaded = loads();
      await toast.locator('.monaco-button', { hasText: 'Restart Server' }).click();
      await aliveServer('the server started again by Restart Server');
      await waitFor('the server to load the model again', async () => (loads() > loaded ? true : undefined), 60_000);
      await waitForReady(workbench, manifest, 60_000);
      await shots.take(workbench, 'crash-loop-restarted');
      assert.match(locusLog(dirs.userDataDir), /Restarting the Locus server\./, 'Restart Server restarted it');
      assert.deepEqual(await errorToasts(workbench), [], 'no error notification is left');
    });
    await t.test('a server stuck in long work (stopped with SIGSTOP): one Restart Server brings a new one', async () => {
      const stuck = await waitFor('one running Locus language server', async () => {
        const found = serverPids();
        return found.length === 1 ? found[0] : undefined;
      }, 30_000);
      const loads = () => locusLog(dirs.userDataDir).split('\n').filter((l) => /\[model\] Loaded /.test(l)).length;
      const loaded = loads();
      process.kill(stuck, 'SIGSTOP');
      try {
        // It cannot answer the shutdown request: the stop times out, and the restart used to fail there.
        await runCommand(workbench, 'Locus: Restart Server');
        await waitFor('a new server started by one Restart Server', async () => (serverPids().some((p) => p !== stuck) ? true : undefined), 60_000);
        await waitFor('the new server to load the model', async () => (loads() > loaded ? true : undefined), 60_000);
        await waitForReady(workbench, manifest, 60_000);
        assert.deepEqual((await errorToasts(workbench)).filter((n) => /could not restart/.test(n)), [], 'no "could not restart" error');
        await waitFor('the stuck server to be ended by the client', async () => (serverPids().includes(stuck) ? undefined : true), 30_000);
      } finally {
        if (serverPids().includes(stuck)) process.kill(stuck, 'SIGKILL');
      }
    });
  } catch (err) {
    if (page) await shots.take(page, 'failure').catch(() => undefined);
    throw err;
  } finally {
    t.diagnostic(`screenshots: ${shots.taken.join(', ') || 'none'}`);
    await browser.close();
    await server.stop();
    t.diagnostic(`Locus Output channel (last lines):\n${locusLogTail(dirs.userDataDir, 15)}`);
  }
});
