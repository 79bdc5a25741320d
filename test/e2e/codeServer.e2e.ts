// End to end in a real VS Code workbench: code-server 4.99.4 (scripts/install-code-server.sh) driven by
// Debian's chromium through playwright-core. Installs the packed .vsix, opens the fixture workspace and runs
// the shared scenario (status bar, ghost text accepted with Tab, every contributed command). The test-only
// ghost-probe extension is installed next to Locus to check the suite's ghost-text reader against known text.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { freshRunDirs, installedManifest, locusLogTail, vsixPath } from './artifacts';
import { installExtension, languageServerEnvironments, listExtensions, prepareDirs, startCodeServer } from './codeServer';
import { buildProbeVsix } from './probeExtension';
import { runScenario, userSettings } from './scenario';
import { launchBrowser, openWorkbench, Screenshots } from './workbench';

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
  let page;
  try {
    page = await openWorkbench(browser, server.url, run.workspace);
    await runScenario(t, { page, workspace: run.workspace, shots, manifest });
    await t.test("the extension starts its language server with onnxruntime's telemetry off and glibc's malloc asking for huge pages", () => {
      const servers = languageServerEnvironments(dirs.extensionsDir);
      assert.equal(servers.length, 1, 'one Locus language server runs');
      assert.match(servers[0]!.GLIBC_TUNABLES ?? 'none', /(^|:)glibc\.malloc\.hugetlb=1(:|$)/);
      assert.equal(servers[0]!.ORT_DISABLE_TELEMETRY, '1', "onnxruntime's telemetry is off");
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
