// A Jupyter notebook in code-server (VS Code's built-in ipynb support, no kernel): typing in a code cell shows ghost
// text made with the notebook's other cells in its prompt, and Tab puts it into the cell. A name defined only in an
// earlier cell is what the model completes, which it can know only from that cell.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { freshRunDirs, installedManifest, locusLogTail, vsixPath } from './artifacts';
import { installExtension, prepareDirs, startCodeServer } from './codeServer';
import { userSettings, waitForReady } from './scenario';
import { ghostText, launchBrowser, openFile, openWorkbench, Screenshots, waitFor } from './workbench';

const DEFINITION = 'import statistics\n\ndef spread_of_readings(values):\n    return max(values) - min(values)\n';

function notebookJson(): string {
  const cell = (cell_type: 'markdown' | 'code', source: string) => ({
    cell_type,
    metadata: {},
    source: source.split(/(?<=\n)/),
    ...(cell_type === 'code' && { execution_count: null, outputs: [] }),
  });
  return JSON.stringify({
    cells: [cell('markdown', '# Sensor readings\n\nThe spread of each sensor.'), cell('code', DEFINITION), cell('code', 'readings = [3, 1, 4]\n')],
    metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' }, language_info: { name: 'python' } },
    nbformat: 4,
    nbformat_minor: 5,
  });
}

test('a Jupyter notebook: ghost text in a code cell uses a name from an earlier cell, and Tab inserts it into the cell', { timeout: 5 * 60_000 }, async (t) => {
  const run = freshRunDirs('code-server-notebook');
  writeFileSync(path.join(run.workspace, 'analysis.ipynb'), notebookJson());
  const dirs = prepareDirs(run.profile, userSettings);
  await installExtension(vsixPath(), dirs);
  const { manifest } = installedManifest(dirs.extensionsDir, 'locus-dev.locus');
  const server = await startCodeServer(dirs, path.join(run.root, 'code-server.log'));
  const browser = await launchBrowser();
  const shots = new Screenshots(run.screenshots);
  let page: Page | undefined;
  try {
    page = await openWorkbench(browser, server.url, run.workspace);
    await waitForReady(page, manifest);
    const cell = lastCodeCell(page);
    await openFile(page, 'analysis.ipynb', cell.locator('.view-lines'));
    await cell.locator('.view-lines').click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type('print(spread_');
    const shown = await waitFor('ghost text in the notebook cell', async () => {
      const ghost = await ghostText(page!, focusedCellEditor(page!));
      if (ghost !== undefined) return ghost;
      // Asked again if typing brought none (the model may have answered before the last key).
      await page!.keyboard.press('Alt+Backslash');
      return undefined;
    }, 60_000);
    await shots.take(page, 'notebook-ghost-text');
    t.diagnostic(`ghost text after "print(spread_": ${JSON.stringify(shown)}`);
    assert.ok(shown.startsWith('of_readings'), `the completion names the earlier cell's function: ${JSON.stringify(shown)}`);

    await page.keyboard.press('Tab');
    const text = await waitFor('the cell to hold the accepted text', async () => {
      const lines = await focusedCellEditor(page!).locator('.view-lines').innerText();
      const flat = lines.replace(/\u00a0/g, ' ');
      return flat.includes('print(spread_of_readings') ? flat : undefined;
    }, 10_000);
    assert.ok(text.startsWith('readings = [3, 1, 4]'), `the completion went into the cell being typed in: ${JSON.stringify(text)}`);
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

// The notebook editor draws its cells in an overlay above the editor group, not inside it.
/** The last code cell's editor in the open notebook. */
function lastCodeCell(page: Page): Locator {
  return page.locator('.notebookOverlay .code-cell-row .cell-editor-container .monaco-editor').last();
}

function focusedCellEditor(page: Page): Locator {
  return page.locator('.notebookOverlay .cell-editor-container .monaco-editor.focused').first();
}
