// What a user does with Locus in a real VS Code workbench, as node:test subtests. Shared by the code-server
// suite (chromium) and the desktop suite (Electron); both hand in a Playwright page showing the fixture folder.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { TestContext } from 'node:test';
import type { Page } from 'playwright-core';
import { probeText, probeTrigger } from './probeExtension';
import {
  activeEditor,
  asRendered,
  ghostText,
  notifications,
  openFile,
  runCommand,
  statusBarItems,
  tabText,
  waitFor,
  type DomElement,
  type Screenshots,
} from './workbench';

export interface ScenarioEnv {
  page: Page;
  /** The (temporary copy of the) fixture folder the workbench has open. */
  workspace: string;
  shots: Screenshots;
  /** The packed extension's package.json. */
  manifest: ExtensionManifest;
}

export interface ExtensionManifest {
  publisher: string;
  name: string;
  contributes?: { commands?: { command: string; title: string; category?: string }[] };
}

const TAB_SIZE = 4;

/** The VS Code settings both suites start with: a quiet workbench, and nothing that competes with Tab. */
export const userSettings = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.colorTheme': 'Default Dark Modern',
  'telemetry.telemetryLevel': 'off',
  'security.workspace.trust.enabled': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'update.mode': 'none',
  'chat.commandCenter.enabled': false,
  'git.enabled': false,
  'files.autoSave': 'off',
  'editor.inlineSuggest.enabled': true,
  // A fixed tab size, so the suite knows how tabs in ghost text are rendered.
  'editor.detectIndentation': false,
  'editor.tabSize': TAB_SIZE,
  'editor.insertSpaces': true,
  // The suggest widget would take Tab; typed brackets must not gain a closing twin behind the cursor.
  'editor.quickSuggestions': { other: 'off', comments: 'off', strings: 'off' },
  'editor.suggestOnTriggerCharacters': false,
  'editor.parameterHints.enabled': false,
  'editor.autoClosingBrackets': 'never',
  'editor.autoClosingQuotes': 'never',
  // Enter inserts exactly "\n", so the document after Tab is predictable from what was typed.
  'editor.autoIndent': 'none',
  'editor.formatOnType': false,
  'editor.formatOnSave': false,
};

const READY_TIMEOUT_MS = 120_000;
const GHOST_TIMEOUT_MS = 20_000;

function statusItemId(manifest: ExtensionManifest): string {
  return `${manifest.publisher}.${manifest.name}.locus.status`;
}

/** The Locus status bar item as the user sees it; undefined until the extension has created it. */
async function locusStatus(
  page: Page,
  manifest: ExtensionManifest,
): Promise<{ text: string; tooltip: string; icon: string } | undefined> {
  const found = await page.locator(`[id="${statusItemId(manifest)}"]`).evaluateAll((els: DomElement[]) =>
    els.map((el) => ({
      text: (el.textContent ?? '').trim(),
      tooltip: el.getAttribute('aria-label') ?? '',
      icon: Array.from(el.querySelector('.codicon')?.classList ?? []).filter((c) => c !== 'codicon').join(' '),
    })),
  );
  return found[0];
}

async function waitForReady(page: Page, manifest: ExtensionManifest, timeoutMs = READY_TIMEOUT_MS) {
  return waitFor(
    'the Locus status bar item to show the model as ready ($(sparkle), or $(circle-slash) in a language it leaves alone)',
    async () => {
      const s = await locusStatus(page, manifest);
      if (s === undefined) return undefined;
      if (s.icon.includes('codicon-error')) throw new Error(`Locus shows an error: ${s.tooltip}`);
      return s.icon.includes('codicon-sparkle') || s.icon.includes('codicon-circle-slash') ? s : undefined;
    },
    timeoutMs,
    500,
  );
}

async function errorToasts(page: Page): Promise<string[]> {
  return (await notifications(page)).filter((n) => /^(error|warning):/.test(n) || /not found|failed|exception|could not/i.test(n));
}

/** Reads `file` from disk until it differs from `previous` (after a save). */
async function savedContent(file: string, previous: string): Promise<string> {
  return waitFor(`${path.basename(file)} to be saved`, async () => {
    const text = readFileSync(file, 'utf8');
    return text !== previous ? text : undefined;
  }, 10_000);
}

/** Types `chunks` one at a time at the end of the active editor until ghost text shows; returns it and what was typed. */
async function typeUntilGhostText(page: Page, chunks: string[]): Promise<{ typed: string; ghost: string }> {
  let typed = '';
  for (const chunk of chunks) {
    await page.keyboard.type(chunk, { delay: 40 });
    typed += chunk;
    try {
      const ghost = await waitFor('ghost text', () => ghostText(page), GHOST_TIMEOUT_MS / 2);
      return { typed, ghost: await stableGhostText(page, ghost) };
    } catch {
      // The automatic trigger gave nothing here (the model may have stopped at once): ask explicitly (Alt+\).
      await page.keyboard.press('Alt+Backslash');
      const ghost = await waitFor('ghost text', () => ghostText(page), GHOST_TIMEOUT_MS / 2).catch(() => undefined);
      if (ghost !== undefined) return { typed, ghost: await stableGhostText(page, ghost) };
    }
  }
  throw new Error(`no ghost text after typing ${JSON.stringify(typed)} and triggering inline suggestions explicitly`);
}

/** Ghost text can be replaced by a newer completion; wait until two reads 500 ms apart agree. */
async function stableGhostText(page: Page, first: string): Promise<string> {
  let last = first;
  return waitFor('ghost text to stop changing', async () => {
    await page.waitForTimeout(500);
    const now = await ghostText(page);
    if (now === undefined) throw new Error('ghost text disappeared');
    const stable = now === last;
    last = now;
    return stable ? now : undefined;
  }, 10_000, 0);
}

interface AcceptedGhostText {
  typed: string;
  /** The ghost text as read from the DOM just before Tab. */
  shown: string;
  /** What Tab inserted, read from the saved file. */
  text: string;
  /** Visual column where the ghost text started. */
  column: number;
}

/**
 * Opens `relativePath`, types `chunks` at its end until ghost text shows, screenshots it, accepts it with Tab,
 * saves, and returns what was shown and what the saved file gained after the typed text.
 */
async function acceptGhostText(
  page: Page,
  shots: Screenshots,
  file: string,
  relativePath: string,
  chunks: string[],
  shotName = 'ghost-text',
): Promise<AcceptedGhostText> {
  const before = readFileSync(file, 'utf8');
  assert.ok(before.endsWith('\n'), `${relativePath} ends with a newline, so Ctrl+End lands on an empty last line`);
  await openFile(page, relativePath);
  await activeEditor(page).locator('.view-lines').click();
  await page.keyboard.press('Control+End');
  const { typed, ghost: first } = await typeUntilGhostText(page, chunks);
  await shots.take(page, shotName);
  // Read it again right before Tab: a newer completion may have replaced it while the screenshot was taken.
  const ghost = await stableGhostText(page, first);
  // Tab accepts; Escape then hides whatever the provider offers at the new position (it is not accepted either way).
  await page.keyboard.press('Tab');
  await page.keyboard.press('Escape');
  await page.keyboard.press('Control+S');
  const after = await savedContent(file, before);
  await shots.take(page, `${shotName}-accepted`);
  assert.equal(after.slice(0, before.length + typed.length), before + typed, 'the document holds the typed text, unchanged');
  const lastLine = (before + typed).split('\n').pop() ?? '';
  return { typed, shown: ghost, text: after.slice(before.length + typed.length), column: asRendered(lastLine, TAB_SIZE, 0).length };
}

export async function runScenario(t: TestContext, env: ScenarioEnv): Promise<void> {
  const { page, workspace, shots, manifest } = env;

  await t.test('the Locus status bar item shows the embedded model as ready', async () => {
    const status = await waitForReady(page, manifest);
    assert.match(status.text, /^Locus\b/);
    // Tooltip: "Locus: <model> (<quantization>, onnx/<file>.onnx)" and the draft model line.
    assert.match(status.tooltip, /Locus: \S+ \([\w-]+, onnx\/[\w.-]+\.onnx\)/);
    assert.match(status.tooltip, /Draft: \S+/);
    await shots.take(page, 'status-bar-ready');
  });

  await t.test('the suite reads ghost text as VS Code renders it (ghost-probe extension, known multi-line text)', async () => {
    const file = path.join(workspace, 'ghost-probe.txt');
    const inserted = await acceptGhostText(page, shots, file, 'ghost-probe.txt', [probeTrigger], 'ghost-probe');
    assert.equal(inserted.text, probeText, 'Tab inserted the probe completion');
    assert.equal(inserted.shown, asRendered(probeText, TAB_SIZE, probeTrigger.length), 'the reader saw the probe completion as rendered');
    // Plain text is off by default (locus.completion.languages): the status bar says so while it is the active editor.
    const status = await waitFor('the Locus status bar item to say plain text is off', async () => {
      const s = await locusStatus(page, manifest);
      return s?.icon.includes('codicon-circle-slash') ? s : undefined;
    }, 10_000);
    assert.match(status.tooltip, /No completions in plaintext files/);
  });

  await t.test('typing in a TypeScript file shows ghost text, and Tab inserts exactly that text', async () => {
    const file = path.join(workspace, 'src', 'main.ts');
    // Further chunks only if a chunk brings no ghost text (the model may stop at once there).
    const inserted = await acceptGhostText(page, shots, file, 'src/main.ts', [
      '\nexport function centroid(points: Point[]): Point {\n  const x = ',
      'points',
      '.reduce(',
    ]);
    t.diagnostic(`Locus ghost text after ${JSON.stringify(inserted.typed)}: ${JSON.stringify(inserted.shown)}`);
    assert.ok(inserted.text.length > 0, 'Tab inserted text');
    assert.equal(
      asRendered(inserted.text, TAB_SIZE, inserted.column),
      inserted.shown,
      'Tab inserted exactly the ghost text that was shown (tabs and control characters compared as rendered)',
    );
  });

  await t.test("a member access completes with a member the editor's TypeScript lists (locus/memberNames)", async () => {
    // `tally` is an object, not a module: only the editor's language support knows its members. Counter's are
    // named so the model would not write them unprompted (count is private). TypeScript's server may still be
    // starting at the first try, when the completion goes on without its list: the dot is typed again until the list is there.
    const member = /^(advanceQuorum|resetQuorum|quorumTotal)(?![\w$])/;
    await openFile(page, 'src/tally.ts');
    await activeEditor(page).locator('.view-lines').click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type('\ntally', { delay: 20 });
    const shown: string[] = [];
    for (let attempt = 0; attempt < 6 && !member.test(shown[shown.length - 1] ?? ''); attempt++) {
      await page.keyboard.type('.', { delay: 20 });
      const ghost = await waitFor('ghost text', () => ghostText(page), GHOST_TIMEOUT_MS / 2).catch(() => undefined);
      shown.push(ghost === undefined ? '' : await stableGhostText(page, ghost).catch(() => ghost));
      if (!member.test(shown[shown.length - 1]!)) {
        await page.keyboard.press('Escape');
        await page.keyboard.press('Backspace');
        await page.waitForTimeout(1_000);
      }
    }
    await shots.take(page, 'member-names');
    t.diagnostic(`ghost text after "tally.", attempt by attempt: ${JSON.stringify(shown)}`);
    assert.match(shown[shown.length - 1]!, member, 'the completion starts with one of Counter\'s public members');
    await runCommand(page, 'File: Revert File');
  });

  await t.test('the status bar shows the last completion latency', async () => {
    const status = await waitFor('a latency in the Locus status bar item', async () => {
      const s = await locusStatus(page, manifest);
      return s !== undefined && /Locus \d+ ms/.test(s.text) ? s : undefined;
    }, 10_000);
    assert.match(status.tooltip, /Last completion: first token \d+ ms, generation \d+ ms, ([\d.]+ tokens\/s|1 token), request \d+ ms/);
    await page.locator(`[id="${statusItemId(manifest)}"]`).hover();
    await page.waitForTimeout(1_000);
    await shots.take(page, 'status-bar-latency-tooltip');
    await page.mouse.move(700, 400);
  });

  const commands = manifest.contributes?.commands ?? [];
  assert.ok(commands.length > 0, 'package.json contributes commands');
  for (const command of commands) {
    const label = command.category ? `${command.category}: ${command.title}` : command.title;
    await t.test(`command palette: ${label} (${command.command})`, async () => {
      const check = checkFor(command.command, label);
      t.diagnostic(`${command.command}: ${check.name}`);
      try {
        await check.run(env, label);
        assert.deepEqual(await errorToasts(page), [], `no error or warning notification after ${label}`);
      } finally {
        await shots.take(page, `command-${command.command.replace(/^locus\./, '')}`);
      }
    });
  }
}

type CommandCheck = (env: ScenarioEnv, label: string) => Promise<unknown>;

async function outputText(page: Page): Promise<string> {
  return page
    .locator('.part.panel .monaco-editor .view-lines')
    .first()
    .evaluate((el: DomElement) => el.innerText.replace(/\u00a0/g, ' '));
}

const commandChecks: Record<string, CommandCheck> = {
  'locus.showOutput': async ({ page }, label) => {
    await runCommand(page, label);
    await page.locator('.part.panel').waitFor({ state: 'visible', timeout: 10_000 });
    // The Output view's channel picker names the channel shown.
    await waitFor('the Output view to show the Locus channel', async () => {
      const picker = await page.locator('.part.panel select.monaco-select-box').first().inputValue().catch(() => '');
      const title = await page.locator('.part.panel .monaco-select-box').first().getAttribute('title').catch(() => '');
      return /Locus/.test(`${picker} ${title}`) ? true : undefined;
    }, 10_000);
    const text = await waitFor('log lines in the Locus Output channel', async () => {
      const t = await outputText(page);
      return t.trim() !== '' ? t : undefined;
    }, 10_000);
    // The server logs the model it loaded.
    assert.match(text, /\[(info|warning|error)\]/, 'the Locus channel holds log lines');
  },

  'locus.restartServer': async ({ page, manifest }, label) => {
    // Watch the restart in the Locus Output channel: the client logs it, and the new server loads the model again.
    if (!(await page.locator('.part.panel').isVisible())) await runCommand(page, 'Locus: Show Output');
    const loads = (text: string) => text.split('\n').filter((l) => /\[model\] Loaded /.test(l)).length;
    const loadsBefore = loads(await outputText(page));
    await runCommand(page, label);
    await waitFor('"Restarting the Locus server." in the Output channel', async () =>
      (await outputText(page)).includes('Restarting the Locus server.') ? true : undefined, 15_000);
    await waitFor('the restarted server to load the model again', async () =>
      loads(await outputText(page)) > loadsBefore ? true : undefined, 60_000);
    await waitForReady(page, manifest, 30_000);
  },

  'locus.toggleAutomaticCompletions': async ({ page, manifest }, label) => {
    // Manual: typing shows no ghost text, Alt+\ asks for it; toggled back, the status bar says so again.
    await runCommand(page, label);
    await waitFor('"(manual)" in the Locus status bar item', async () => ((await locusStatus(page, manifest))?.text.includes('(manual)') ? true : undefined), 10_000);
    await openFile(page, 'src/main.ts');
    await activeEditor(page).locator('.view-lines').click();
    await page.keyboard.press('Control+End');
    let asked: string | undefined;
    for (const chunk of ['\nexport function spread(points: Point[]): number {\n  const x = ', 'points', '.map(']) {
      await page.keyboard.type(chunk, { delay: 40 });
      await page.waitForTimeout(3_000);
      assert.equal(await ghostText(page), undefined, `no ghost text while typing ${JSON.stringify(chunk)} in manual mode`);
      await page.keyboard.press('Alt+Backslash');
      asked = await waitFor('ghost text', () => ghostText(page), GHOST_TIMEOUT_MS / 2).catch(() => undefined);
      if (asked !== undefined) break;
    }
    assert.notEqual(asked, undefined, 'Alt+\\ shows a suggestion in manual mode');
    await page.keyboard.press('Escape');
    await runCommand(page, 'File: Revert File');
    await runCommand(page, label);
    await waitFor('"(manual)" gone from the Locus status bar item', async () => {
      const text = (await locusStatus(page, manifest))?.text;
      return text !== undefined && !text.includes('(manual)') ? true : undefined;
    }, 10_000);
  },

  'locus.showLatency': async (env, label) => {
    const text = await dashboardCheck(env, label);
    // The scenario requested completions and accepted one with Tab before this: the dashboard counts them.
    const requests = Number(/(\d+) requests?\b/i.exec(text)?.[1] ?? 0);
    assert.ok(requests >= 1, `the dashboard counts the completion requests made (${requests})`);
    assert.match(text, /Accepted\s+\d+%\s+of\s+[1-9]\d* shown/i, 'the dashboard counts the accepted completion');
  },
};

/**
 * The check for a contributed command: a specific one for the commands known today, else one chosen by what the
 * command's id and title say it does, else the generic "shows something, no error". No command is skipped.
 */
export function checkFor(id: string, label: string): { name: string; run: CommandCheck } {
  if (commandChecks[id]) return { name: `specific check for ${id}`, run: commandChecks[id] };
  const words = `${id} ${label}`;
  if (/latency|dashboard/i.test(words)) return { name: 'dashboard check (a webview tab with numbers)', run: dashboardCheck };
  if (/explain|compress/i.test(words)) return { name: 'selection check (select code, expect a result with text)', run: selectionCommandCheck };
  return { name: 'generic check (shows something, no error)', run: genericCommandCheck };
}

async function dashboardCheck({ page }: ScenarioEnv, label: string): Promise<string> {
  await runCommand(page, label);
  await page.locator('.tab.active', { hasText: /Latency|Dashboard/i }).waitFor({ timeout: 15_000 });
  // The webview's document, once its script has rendered the summary the server sent.
  const text = await waitFor('the dashboard to render numbers', async () => {
    for (const frame of page.frames()) {
      if (frame === page.mainFrame()) continue;
      const body = await frame.locator('body').innerText({ timeout: 500 }).catch(() => '');
      if (/latency/i.test(body) && /\d/.test(body) && !/Loading…/.test(body)) return body;
    }
    return undefined;
  }, 30_000, 500);
  // The scenario made at least one completion before this, so the dashboard cannot be empty.
  assert.doesNotMatch(text, /no (completions|requests|data) (yet|recorded)/i, 'the dashboard shows the completions made');
  return text;
}

/**
 * Selects the `distance` function in src/shapes.ts and runs the command (Explain, Compress). It must open a tab
 * (editor or webview, possibly beside the source with the focus kept there) whose text grows beyond a heading and
 * then settles, or write to the panel, or show an information notification that does not ask for a selection.
 */
async function selectionCommandCheck({ page }: ScenarioEnv, label: string): Promise<void> {
  await openFile(page, 'src/shapes.ts');
  await activeEditor(page).locator('.view-lines').click();
  await page.keyboard.press('Control+Home');
  for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowDown');
  for (let i = 0; i < 5; i++) await page.keyboard.press('Shift+ArrowDown');
  const before = await snapshot(page);
  await runCommand(page, label);
  let last = '';
  let settledSince = 0;
  const shown = await waitFor(`${label} to show its result and finish`, async () => {
    const errors = await errorToasts(page);
    if (errors.length > 0) throw new Error(`${label} failed: ${errors.join(' | ')}`);
    const now = await snapshot(page);
    const newTab = now.tabs.find((t) => !before.tabs.includes(t));
    if (newTab !== undefined) {
      const text = (await tabText(page, newTab)) || (await webviewText(page));
      // Results may stream in: wait until the text has more than a heading line and stops changing for 3 s.
      if (text !== last) {
        last = text;
        settledSince = Date.now();
        return undefined;
      }
      const lines = text.split('\n').filter((l) => l.trim() !== '');
      // A window progress item ("Locus: explaining") means the request is still running.
      const busy = (await statusBarItems(page)).some((i) => /Locus: \w+ing\b/.test(`${i.text} ${i.tooltip}`));
      return lines.length >= 2 && !busy && Date.now() - settledSince >= 3_000 ? `${newTab}: ${lines.length} lines` : undefined;
    }
    if (now.panelText !== before.panelText && now.panelText.trim() !== '') return 'text in the panel';
    const toasts = now.toasts.filter((t) => !before.toasts.includes(t));
    if (toasts.length > 0) {
      assert.doesNotMatch(toasts.join(' '), /select|no (code|text)/i, `${label} saw the selection`);
      return `a notification: ${toasts.join(' | ')}`;
    }
    return undefined;
  }, 120_000, 500);
  assert.ok(shown.length > 0);
}

/** The text of the first webview document with any. */
async function webviewText(page: Page): Promise<string> {
  for (const frame of page.frames()) {
    if (frame === page.mainFrame()) continue;
    const body = await frame.locator('body').innerText({ timeout: 500 }).catch(() => '');
    if (body.trim() !== '') return body;
  }
  return '';
}

interface WorkbenchSnapshot {
  tabs: string[];
  toasts: string[];
  panelText: string;
  quickInput: boolean;
}

async function snapshot(page: Page): Promise<WorkbenchSnapshot> {
  return {
    tabs: await page.locator('.tab').evaluateAll((els: DomElement[]) => els.map((e) => e.getAttribute('aria-label') ?? '')),
    toasts: await notifications(page),
    panelText: (await page.locator('.part.panel').isVisible()) ? await outputText(page).catch(() => '') : '',
    quickInput: await page.locator('.quick-input-widget').isVisible(),
  };
}

/**
 * For a command with no specific check yet: it must show something (a new editor or webview tab, a notification,
 * new Output text, or a quick pick) and no error.
 */
async function genericCommandCheck({ page }: ScenarioEnv, label: string): Promise<void> {
  const before = await snapshot(page);
  await runCommand(page, label);
  const change = await waitFor(`${label} to show something`, async () => {
    const now = await snapshot(page);
    const newTabs = now.tabs.filter((t) => !before.tabs.includes(t));
    if (newTabs.length > 0) return `opened ${newTabs.join(', ')}`;
    const newToasts = now.toasts.filter((t) => !before.toasts.includes(t));
    if (newToasts.length > 0) return `notified ${newToasts.join(' | ')}`;
    if (now.panelText !== before.panelText && now.panelText.trim() !== '') return 'wrote to the panel';
    if (now.quickInput && !before.quickInput) return 'opened a quick pick';
    return undefined;
  }, 60_000, 500);
  const errors = await errorToasts(page);
  assert.deepEqual(errors, [], `${label} ${change} without errors`);
  if (await page.locator('.quick-input-widget').isVisible()) await page.keyboard.press('Escape');
}
