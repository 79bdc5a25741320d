// The e2e suite in desktop VS Code, when LOCUS_VSCODE_EXECUTABLE points at one (it cannot be downloaded here).
//   1. @vscode/test-electron: installs the .vsix through the desktop CLI into its own extensions dir, and runs
//      hostSuite.js in the extension host (activation, every contributed command registered, a completion
//      accepted with editor.action.inlineSuggest.commit).
//   2. The same Playwright scenario as the code-server suite, over Electron (_electron.launch), on the same
//      workbench DOM: status bar, ghost text read from the DOM and accepted with Tab, every contributed command.
// On Linux without a display, run it under xvfb-run.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { resolveCliArgsFromVSCodeExecutablePath, runTests } from '@vscode/test-electron';
import { _electron as electron } from 'playwright-core';
import { freshRunDirs, installedManifest, locusLog, locusLogTail, vsixPath } from '../artifacts';
import { languageServerPids, prepareDirs } from '../codeServer';
import { buildProbeVsix } from '../probeExtension';
import { runScenario, userSettings } from '../scenario';
import { Screenshots } from '../workbench';

const executable = process.env.LOCUS_VSCODE_EXECUTABLE;
const skip = executable
  ? false
  : 'LOCUS_VSCODE_EXECUTABLE is not set: no desktop VS Code here (it cannot be downloaded); the code-server suite covers the workbench';

// Chromium's sandbox refuses to run as root on Linux; VS Code then needs --no-sandbox.
const sandboxArgs = process.platform === 'linux' && process.getuid?.() === 0 ? ['--no-sandbox'] : [];

test('Locus in desktop VS Code (Electron)', { skip, timeout: 15 * 60_000 }, async (t) => {
  const exe = executable!;
  const run = freshRunDirs('electron');
  const vsix = vsixPath();
  const dirs = prepareDirs(run.profile, userSettings);
  const [cli, ...cliArgs] = resolveCliArgsFromVSCodeExecutablePath(exe, { reuseMachineInstall: true });
  for (const extension of [vsix, buildProbeVsix(run.root)]) {
    execFileSync(
      cli,
      [...cliArgs, `--extensions-dir=${dirs.extensionsDir}`, `--user-data-dir=${dirs.userDataDir}`, '--install-extension', extension, '--force'],
      { stdio: 'inherit', timeout: 120_000, shell: process.platform === 'win32' },
    );
  }
  const { dir: extensionDir, manifest } = installedManifest(dirs.extensionsDir, 'locus-dev.locus');
  const id = `${manifest.publisher}.${manifest.name}`;

  await t.test('extension host (@vscode/test-electron runTests): activation, commands, a completion accepted', async () => {
    // The installed extension as the development extension, in a profile of its own (no second copy loaded).
    const hostProfile = path.join(run.root, 'host-profile');
    const hostDirs = prepareDirs(hostProfile, userSettings);
    mkdirSync(hostDirs.extensionsDir, { recursive: true });
    const code = await runTests({
      vscodeExecutablePath: exe,
      extensionDevelopmentPath: extensionDir,
      extensionTestsPath: path.join(__dirname, 'hostSuite.js'),
      extensionTestsEnv: { LOCUS_E2E_EXTENSION_ID: id },
      launchArgs: [
        run.workspace,
        `--user-data-dir=${hostDirs.userDataDir}`,
        `--extensions-dir=${hostDirs.extensionsDir}`,
        '--disable-workspace-trust',
        '--skip-welcome',
        '--skip-release-notes',
        '--disable-updates',
      ],
      reuseMachineInstall: true,
    });
    if (code !== 0) throw new Error(`hostSuite.js failed in the extension host (exit ${code})`);
  });

  await t.test('workbench (the shared scenario, Playwright over Electron)', async (t2) => {
    const app = await electron.launch({
      executablePath: exe,
      args: [
        run.workspace,
        `--user-data-dir=${dirs.userDataDir}`,
        `--extensions-dir=${dirs.extensionsDir}`,
        '--disable-workspace-trust',
        '--skip-welcome',
        '--skip-release-notes',
        '--disable-telemetry',
        '--disable-updates',
        '--new-window',
        ...sandboxArgs,
      ],
      timeout: 60_000,
    });
    const shots = new Screenshots(run.screenshots);
    try {
      const page = await app.firstWindow({ timeout: 60_000 });
      await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
      await page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ state: 'visible', timeout: 60_000 });
      await runScenario(t2, {
        page,
        workspace: run.workspace,
        shots,
        manifest,
        languageServerPids: () => languageServerPids(dirs.extensionsDir),
        locusLog: () => locusLog(dirs.userDataDir),
      });
    } finally {
      t2.diagnostic(`screenshots: ${shots.taken.join(', ') || 'none'}`);
      await app.close();
      t2.diagnostic(`Locus Output channel (last lines):\n${locusLogTail(dirs.userDataDir, 15)}`);
    }
  });
});
