// A Jupyter notebook in code-server (VS Code's built-in ipynb support, no kernel): typing in a code cell shows ghost
// text made with the notebook's other cells in its prompt, and Tab puts it into the cell. A name defined only in an
// earlier cell is what the model completes, which it can know only from that cell, and Alt+] shows beam search's
// runner-up there. Explain names the cell it
// explains; in a notebook `locus.exclude` names, the status bar says why in every cell, not only the one typed in.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { freshRunDirs, installedManifest, locusLogTail, vsixPath } from './artifacts';
import { installExtension, prepareDirs, startCodeServer } from './codeServer';
import { dashboardText, locusStatus, userSettings, waitForReady } from './scenario';
import { ghostText, launchBrowser, openFile, openWorkbench, runCommand, Screenshots, tabLabels, tabText, waitFor } from './workbench';

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

test('a Jupyter notebook: ghost text in a code cell uses a name from an earlier cell, Alt+] shows the next suggestion, Tab inserts it into the cell and the dashboard counts it as a further one, Explain names the cell, an excluded notebook says why in every cell', { timeout: 5 * 60_000 }, async (t) => {
  const run = freshRunDirs('code-server-notebook');
  writeFileSync(path.join(run.workspace, 'analysis.ipynb'), notebookJson());
  mkdirSync(path.join(run.workspace, 'drafts'));
  writeFileSync(path.join(run.workspace, 'drafts', 'survey.ipynb'), notebookJson());
  mkdirSync(path.join(run.workspace, '.vscode'), { recursive: true });
  writeFileSync(path.join(run.workspace, '.vscode', 'settings.json'), JSON.stringify({ 'locus.exclude': ['drafts/**'] }));
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

    // Beam search's runner-up comes as a second suggestion: Alt+] shows it, Alt+[ the first again.
    await page.keyboard.press('Alt+BracketRight');
    const next = await waitFor('the next suggestion', async () => {
      const ghost = await ghostText(page!, focusedCellEditor(page!));
      return ghost !== undefined && ghost !== shown ? ghost : undefined;
    }, 10_000);
    await shots.take(page, 'notebook-next-suggestion');
    t.diagnostic(`next suggestion (Alt+]): ${JSON.stringify(next)}`);
    assert.ok(next.startsWith('of_readings'), `the runner-up names the function too: ${JSON.stringify(next)}`);
    await page.keyboard.press('Alt+BracketLeft');
    await waitFor('the first suggestion again', async () => ((await ghostText(page!, focusedCellEditor(page!))) === shown ? true : undefined), 10_000);
    // Back to the runner-up, and Tab takes it: the record says a further suggestion was accepted.
    await page.keyboard.press('Alt+BracketRight');
    await waitFor('the next suggestion again', async () => ((await ghostText(page!, focusedCellEditor(page!))) === next ? true : undefined), 10_000);
    await page.keyboard.press('Tab');
    const text = await waitFor('the cell to hold the accepted text', async () => {
      const lines = await focusedCellEditor(page!).locator('.view-lines').innerText();
      const flat = lines.replace(/\u00a0/g, ' ');
      return flat.includes('print(spread_of_readings') ? flat : undefined;
    }, 10_000);
    assert.ok(text.startsWith('readings = [3, 1, 4]'), `the completion went into the cell being typed in: ${JSON.stringify(text)}`);

    // Explain on the cell's text: its heading names the notebook, the cell and the cell's own lines.
    await page.keyboard.press('Control+A');
    const tabsBefore = await tabLabels(page);
    await runCommand(page, 'Locus: Explain Selection');
    const explanation = await waitFor('the explanation tab', async () => (await tabLabels(page!)).find((label) => label.startsWith('Locus explanation') && !tabsBefore.includes(label)), 20_000);
    // The narrow editor wraps the heading: its lines joined.
    const shownText = await waitFor('the explanation heading', async () => {
      const joined = (await tabText(page!, explanation)).replace(/\s+/g, ' ');
      return joined.includes('# Explanation of') ? joined : undefined;
    }, 20_000);
    assert.match(shownText, /^# Explanation of analysis\.ipynb, cell 3, lines 1-2(?!\d)/);

    // An excluded notebook: typed in its last cell, the status bar says why; in its first code cell too.
    const excludedCell = lastCodeCell(page);
    await openFile(page, 'drafts/survey.ipynb', excludedCell.locator('.view-lines'));
    await excludedCell.locator('.view-lines').click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type('print(spread_');
    await page.keyboard.press('Alt+Backslash');
    const excluded = (s: { tooltip: string; icon: string } | undefined) => s !== undefined && s.icon.includes('codicon-circle-slash') && /locus\.exclude names it/.test(s.tooltip);
    await waitFor('the status bar to say the notebook is excluded', async () => (excluded(await locusStatus(page!, manifest)) ? true : undefined), 20_000);
    await firstCodeCell(page).locator('.view-lines').click();
    await waitFor('the status bar to say so in the first code cell too', async () => (excluded(await locusStatus(page!, manifest)) ? true : undefined), 10_000);
    await shots.take(page, 'notebook-excluded');

    // The dashboard counts the accepted suggestion as one taken from a further one: VS Code ran that item's command.
    await runCommand(page, 'Locus: Show Latency');
    const dashboard = await dashboardText(page, 30_000);
    t.diagnostic(`dashboard: ${JSON.stringify(/Accepted[^·]*·[^\n]*/.exec(dashboard)?.[0])}`);
    assert.match(dashboard, /1 of [1-9]\d* suggestions? shown · 1 from a further one \(Alt\+\]\)/);
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

// The notebook editor draws its cells in an overlay above the editor group, not inside it; a notebook in a tab not
// shown keeps its overlay, hidden and inert.
const shownNotebook = (page: Page): Locator => page.locator('.notebookOverlay:not([inert])').filter({ visible: true });
const codeCellEditors = (page: Page): Locator => shownNotebook(page).locator('.code-cell-row .cell-editor-container .monaco-editor');

/** The last code cell's editor in the notebook shown. */
function lastCodeCell(page: Page): Locator {
  return codeCellEditors(page).last();
}

function firstCodeCell(page: Page): Locator {
  return codeCellEditors(page).first();
}

function focusedCellEditor(page: Page): Locator {
  return shownNotebook(page).locator('.cell-editor-container .monaco-editor.focused').first();
}
