// A multi-root workspace in code-server: a folder's own `locus.exclude` (its .vscode/settings.json) holds for that
// folder's files alone, and a change to it takes effect without a restart. The client reads each folder's value
// (extension/config.ts) and sends them all; this checks that VS Code gives it the folder's value and says when it changes.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { freshRunDirs, installedManifest, locusLog, locusLogTail, vsixPath } from './artifacts';
import { installExtension, prepareDirs, startCodeServer } from './codeServer';
import { locusStatus, userSettings, waitForReady, type ExtensionManifest } from './scenario';
import { activeEditor, launchBrowser, openFile, openWorkbench, Screenshots, waitFor } from './workbench';

const EXCLUDED = /locus\.exclude names it/;

test("a multi-root workspace: one folder's own locus.exclude keeps its files out, the other folder's alike-named ones stay in", { timeout: 5 * 60_000 }, async (t) => {
  const run = freshRunDirs('code-server-multi-root');
  const multi = path.join(run.root, 'multi');
  const appSettings = path.join(multi, 'app', '.vscode', 'settings.json');
  for (const [file, text] of [
    [path.join(multi, 'app', 'notes', 'appPlan.ts'), 'export function appPlan(): string {\n  return "a";\n}\n'],
    [path.join(multi, 'lib', 'notes', 'libPlan.ts'), 'export function libPlan(): string {\n  return "b";\n}\n'],
    [appSettings, JSON.stringify({ 'locus.exclude': ['notes/**'] })],
  ] as const) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  const workspaceFile = path.join(multi, 'multi.code-workspace');
  writeFileSync(workspaceFile, JSON.stringify({ folders: [{ path: 'app' }, { path: 'lib' }] }));

  const dirs = prepareDirs(run.profile, userSettings);
  await installExtension(vsixPath(), dirs);
  const { manifest } = installedManifest(dirs.extensionsDir, 'locus-dev.locus');
  const server = await startCodeServer(dirs, path.join(run.root, 'code-server.log'));
  const browser = await launchBrowser();
  const shots = new Screenshots(run.screenshots);
  let page: Page | undefined;
  try {
    page = await openWorkbench(browser, server.url, workspaceFile, 'workspace');
    await waitForReady(page, manifest);
    // The folders lie under out/, which this repository's .gitignore ignores: opened on purpose, they are indexed.
    // app holds its .vscode/settings.json and notes/appPlan.ts, which its own locus.exclude keeps out.
    await waitFor("each folder's one file indexed: lib's plan, app's settings (its plan excluded)", async () => {
      const log = locusLog(dirs.userDataDir);
      return /Indexed 1 files .*: \S*multi\/lib$/m.test(log) && /Indexed 1 files .*: \S*multi\/app$/m.test(log) ? true : undefined;
    }, 30_000);

    await typeIn(page, 'appPlan.ts');
    const excluded = await statusFor(page, manifest, 'the status bar to say appPlan.ts is excluded by its folder', (s) => s.icon.includes('codicon-circle-slash') && EXCLUDED.test(s.tooltip));
    assert.match(excluded.tooltip, /Locus makes no prompt of this file/);
    await shots.take(page, 'folder-exclude-app');

    await typeIn(page, 'libPlan.ts');
    await statusFor(page, manifest, "the status bar to show libPlan.ts (same notes/ path in the other folder) as served", (s) => s.icon.includes('codicon-sparkle') && !EXCLUDED.test(s.tooltip));
    await shots.take(page, 'folder-exclude-lib');

    // The folder's settings change on disk: VS Code reports it, and the client sends every folder's values again.
    writeFileSync(appSettings, JSON.stringify({ 'locus.exclude': [] }));
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await typeIn(page, 'appPlan.ts');
    await statusFor(page, manifest, 'the status bar to show appPlan.ts as served once its folder excludes nothing', (s) => s.icon.includes('codicon-sparkle') && !EXCLUDED.test(s.tooltip));
    await shots.take(page, 'folder-exclude-cleared');
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

/** Opens `file` and types at the end of its first line, where a completion is asked. */
async function typeIn(page: Page, file: string): Promise<void> {
  await openFile(page, file);
  await activeEditor(page).locator('.view-lines').click();
  await page.keyboard.press('Control+Home');
  await page.keyboard.press('End');
  await page.keyboard.press('Enter');
  await page.keyboard.type('  const ');
}

function statusFor(
  page: Page,
  manifest: ExtensionManifest,
  what: string,
  holds: (s: { text: string; tooltip: string; icon: string }) => boolean,
): Promise<{ text: string; tooltip: string; icon: string }> {
  return waitFor(what, async () => {
    const s = await locusStatus(page, manifest);
    return s !== undefined && holds(s) ? s : undefined;
  }, 20_000);
}
