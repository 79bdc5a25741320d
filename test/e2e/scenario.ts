// What a user does with Locus in a real VS Code workbench, as node:test subtests. Shared by the code-server
// suite (chromium) and the desktop suite (Electron); both hand in a Playwright page showing the fixture folder.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TestContext } from 'node:test';
import type { Page } from 'playwright-core';
import { probeText, probeTrigger } from './probeExtension';
import {
  activeEditor,
  asRendered,
  clickMenuItem,
  ghostText,
  ghostTextBox,
  ghostTextParts,
  menuLabels,
  notifications,
  openEditorContextMenu,
  openFile,
  openSubmenu,
  runCommand,
  statusBarItems,
  suggestWidget,
  tabLabels,
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
  /**
   * Pids of this workbench's Locus language server processes. A check pauses the server (SIGSTOP, then SIGCONT)
   * so that what it does while a request is in flight does not race the model.
   */
  languageServerPids: () => number[];
  /** The whole Locus Output channel as logged to disk (the client's trace included, when it is on). */
  locusLog: () => string;
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
  // What the client traces of the Locus server when the Locus channel's log level is Trace (one check turns it on).
  'locus.trace.server': 'verbose',
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
  // Menus drawn by the workbench (the web workbench always does), so the suite can read the editor's context menu.
  'window.titleBarStyle': 'custom',
  'window.menuStyle': 'custom',
};

const READY_TIMEOUT_MS = 120_000;
const GHOST_TIMEOUT_MS = 20_000;

function statusItemId(manifest: ExtensionManifest): string {
  return `${manifest.publisher}.${manifest.name}.locus.status`;
}

/** The Locus status bar item as the user sees it; undefined until the extension has created it. */
export async function locusStatus(
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

export async function waitForReady(page: Page, manifest: ExtensionManifest, timeoutMs = READY_TIMEOUT_MS) {
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

export async function errorToasts(page: Page): Promise<string[]> {
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
  return stableRead(page, 'ghost text', () => ghostText(page), first);
}

/** What `read` shows once two reads 500 ms apart agree (it must keep showing something). */
async function stableRead<T>(page: Page, what: string, read: () => Promise<T | undefined>, first: T): Promise<T> {
  let last = JSON.stringify(first);
  return waitFor(`${what} to stop changing`, async () => {
    await page.waitForTimeout(500);
    const now = await read();
    if (now === undefined) throw new Error(`${what} disappeared`);
    const stable = JSON.stringify(now) === last;
    last = JSON.stringify(now);
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
 * saves, and returns what was shown and what the saved file gained after the typed text. `eol`: the file's line
 * end, which Enter types.
 */
async function acceptGhostText(
  page: Page,
  shots: Screenshots,
  file: string,
  relativePath: string,
  chunks: string[],
  shotName = 'ghost-text',
  eol: '\n' | '\r\n' = '\n',
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
  const typedAs = typed.replace(/\n/g, eol);
  assert.equal(after.slice(0, before.length + typedAs.length), before + typedAs, 'the document holds the typed text, unchanged');
  const lastLine = (before + typed).split('\n').pop() ?? '';
  return { typed, shown: ghost, text: after.slice(before.length + typedAs.length), column: asRendered(lastLine, TAB_SIZE, 0).length };
}

export async function runScenario(t: TestContext, env: ScenarioEnv): Promise<void> {
  const { page, workspace, shots, manifest, languageServerPids, locusLog } = env;

  await t.test('the Locus status bar item shows the embedded model as ready', async () => {
    const status = await waitForReady(page, manifest);
    assert.match(status.text, /^Locus\b/);
    // Tooltip: "Locus: <model> (<quantization in words>) with draft model <draft>", and no file names or folders.
    assert.match(status.tooltip, /Locus: \S+ \((4|8|16|32)-bit[a-z ]*\) with draft model \S+/);
    assert.doesNotMatch(status.tooltip, /onnx|Kept copies|globalStorage/);
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

  await t.test('in a secret file no ghost text shows, and the status bar says why', async () => {
    // secrets.json (in the fixture workspace, so Quick Open lists it from the start): a secret file by name, in a
    // language completions are on for.
    await openFile(page, 'secrets.json');
    await activeEditor(page).locator('.view-lines').click();
    await page.keyboard.press('Control+Home');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.type('  "otherKey": "');
    const status = await waitFor('the Locus status bar item to say the secret file gets no completions', async () => {
      const s = await locusStatus(page, manifest);
      return s?.icon.includes('codicon-circle-slash') && s.tooltip.includes('secret file') ? s : undefined;
    }, 15_000);
    assert.match(status.tooltip, /Locus makes no prompt of this file \(no completion, Explain or Compress\): it is a secret file/);
    assert.equal(await ghostText(page), undefined, 'no ghost text in the secret file');
    await shots.take(page, 'secret-file-status');
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

  await t.test('at the end of a header, typing shows the block cut to its sure lines, also with the mouse on it; Alt+\\ shows it whole, and Tab inserts that', async () => {
    // While typing, a block shows the lines the model was sure of (lsp-server/confidentLines.ts); asked for (Alt+\\,
    // Locus: Show Whole Suggestion) it comes whole, also while the cut block shows. Here the model is unsure from the
    // third line. VS Code asks explicitly too when the mouse rests on ghost text; that is no ask of the user's.
    const file = path.join(workspace, 'src', 'shapes.ts');
    const before = readFileSync(file, 'utf8');
    const header = 'export function area(points: Point[]): number {';
    await openFile(page, 'src/shapes.ts');
    await activeEditor(page).locator('.view-lines').click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type(`\n${header}`, { delay: 20 });
    const automatic = await stableGhostText(page, await waitFor('ghost text while typing', () => ghostText(page), GHOST_TIMEOUT_MS));
    const box = await ghostTextBox(page);
    assert.ok(box !== null, 'the ghost text is drawn');
    await page.mouse.move(box.x + 20, box.y + box.height / 2, { steps: 5 });
    await page.waitForTimeout(2_000);
    await shots.take(page, 'block-hovered');
    assert.equal(await ghostText(page), automatic, 'the mouse on the cut block leaves it as it was');
    await page.mouse.move(5, 5);
    await page.keyboard.press('Alt+Backslash');
    const changed = await waitFor('the ghost text to change after Alt+\\', async () => {
      const ghost = await ghostText(page);
      return ghost !== undefined && ghost !== automatic ? ghost : undefined;
    }, GHOST_TIMEOUT_MS / 2).catch(() => automatic);
    const invoked = await stableGhostText(page, changed);
    await shots.take(page, 'block-invoked');
    t.diagnostic(`ghost text at the header's end while typing: ${JSON.stringify(automatic)}; after Alt+\\: ${JSON.stringify(invoked)}`);
    const [cut, whole] = [automatic.split('\n'), invoked.split('\n')];
    assert.ok(cut.length < whole.length && cut.every((line, i) => line === whole[i]), 'the ghost text while typing is a strict line prefix of the one Alt+\\ shows');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+S');
    const after = await savedContent(file, before);
    assert.equal(after.slice(0, before.length + header.length + 1), `${before}\n${header}`, 'the document holds the typed header, unchanged');
    assert.equal(asRendered(after.slice(before.length + header.length + 1), TAB_SIZE, header.length), invoked, 'Tab inserted exactly the whole block that was shown');
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

  await t.test("with the suggest widget open on a member access, ghost text extends the selected item; Tab inserts the item, a second Tab the rest", async () => {
    // VS Code shows an inline completion while the suggest widget is open only if it extends the selected item over the
    // item's range (LSP selectedCompletionInfo): the item's rest is drawn as ghost text, what the completion adds in
    // italics. Tab belongs to the widget (it inserts the item); the rest then shows on its own, and Tab inserts it.
    // The suite's settings keep the widget shut while typing (Tab stays predictable): Ctrl+Space opens it here.
    const file = path.join(workspace, 'src', 'tally.ts');
    const before = readFileSync(file, 'utf8');
    await openFile(page, 'src/tally.ts');
    await activeEditor(page).locator('.view-lines').click();
    await page.keyboard.press('Control+End');
    // Only Counter's advanceQuorum starts with "adv".
    const word = 'adv';
    const typed = `tally.${word}`;
    await page.keyboard.type(typed, { delay: 20 });
    const selected = await openSuggestWidget(page);
    assert.ok(selected.toLowerCase().startsWith(word), `the widget selects a member starting with "${word}": ${selected}`);
    const first = await waitFor('ghost text extending the selected item while the suggest widget is open', async () => {
      const parts = await ghostTextParts(page);
      return parts !== undefined && (parts.beyond !== '' || parts.block.length > 0) ? parts : undefined;
    }, GHOST_TIMEOUT_MS);
    const shown = await stableRead(page, 'ghost text', () => ghostTextParts(page), first);
    await shots.take(page, 'suggest-widget-ghost-text');
    const beyond = [shown.beyond, ...shown.block].join('\n');
    t.diagnostic(`suggest widget item ${JSON.stringify(selected)}; ghost text: its rest ${JSON.stringify(shown.item)}, then ${JSON.stringify(beyond)}`);
    assert.equal(word + shown.item, selected, "the ghost text starts with the rest of the selected item's text");
    assert.ok((await suggestWidget(page))?.selected === selected, 'the widget is still open on that item');

    // Tab: the widget's item.
    await page.keyboard.press('Tab');
    await waitFor('the suggest widget to close', async () => ((await suggestWidget(page)) === undefined ? true : undefined), 5_000);
    const rest = await stableGhostText(page, await waitFor('ghost text after the item', () => ghostText(page), GHOST_TIMEOUT_MS / 2));
    await shots.take(page, 'suggest-widget-item-accepted');
    await page.keyboard.press('Control+S');
    const withItem = await savedContent(file, before);
    assert.equal(withItem, before + 'tally.' + selected, 'the first Tab inserted the selected item');
    assert.equal(rest, beyond, 'the rest of the completion shows after the item as it did beside the widget');
    // Tab again: the rest.
    assert.equal(await ghostText(page), rest, 'the ghost text is still there after saving');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+S');
    const after = await savedContent(file, withItem);
    const column = asRendered(`tally.${selected}`, TAB_SIZE, 0).length;
    assert.equal(asRendered(after.slice(withItem.length), TAB_SIZE, column), rest, 'the second Tab inserted exactly the rest that was shown');
  });

  await t.test('the status bar shows the last completion latency', async () => {
    const status = await waitFor('a latency in the Locus status bar item', async () => {
      const s = await locusStatus(page, manifest);
      return s !== undefined && /Locus \d+ ms/.test(s.text) ? s : undefined;
    }, 10_000);
    assert.match(status.tooltip, /Last completion: \d+ ms( · \d+ tok\/s)?/);
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

  await t.test("the editor's context menu has a Locus submenu (Explain Selection only with a selection), and Explain Selection there explains it", async () => {
    try {
      // No selection: a right-click on the first line puts the cursor there.
      await openFile(page, SELECTION.file);
      const firstLine = readFileSync(path.join(workspace, SELECTION.file), 'utf8').split('\n')[0]!;
      let menu = await openEditorContextMenu(page, activeEditor(page).locator('.view-line', { hasText: firstLine }));
      const topLevel = await menuLabels(menu);
      assert.ok(topLevel.includes('Locus'), `the editor's context menu lists Locus: ${topLevel.join(', ')}`);
      let submenu = await openSubmenu(menu, 'Locus');
      const withoutSelection = await menuLabels(submenu);
      await shots.take(page, 'context-menu-no-selection');
      await closeMenus(page);
      // With the distance function selected.
      await selectCode(page);
      menu = await openEditorContextMenu(page, activeEditor(page).locator('.selected-text'));
      submenu = await openSubmenu(menu, 'Locus');
      const withSelection = await menuLabels(submenu);
      await shots.take(page, 'context-menu-selection');
      t.diagnostic(`Locus submenu without a selection: ${JSON.stringify(withoutSelection)}; with one: ${JSON.stringify(withSelection)}`);
      assert.ok(withoutSelection.includes('Compress Context'), 'Compress Context is offered without a selection');
      assert.ok(!withoutSelection.includes('Explain Selection'), 'Explain Selection is not offered without a selection');
      assert.ok(withSelection.includes('Explain Selection') && withSelection.includes('Compress Context'), 'with a selection, both are offered');
      const shown = await showsSelectionResult(page, 'Explain Selection (context menu)', () => clickMenuItem(submenu, 'Explain Selection'), true);
      await shots.take(page, 'context-menu-explained');
      t.diagnostic(`Explain Selection from the context menu: ${shown.summary}`);
      assert.match(shown.tab ?? '', /explanation/i, 'the explanation opened in a tab');
      assert.ok(shown.text?.includes(selectionName()), `the explanation names the selected lines (${selectionName()}): ${JSON.stringify(shown.text)}`);
      assert.deepEqual(await errorToasts(page), [], 'no error or warning notification');
    } finally {
      // A menu left open would take the keys of the checks after this one.
      await closeMenus(page).catch(() => undefined);
    }
  });

  await t.test("closing an explanation's tab while it is being written stops it: the server stops the model, the Output channel says so", async () => {
    const label = 'Locus: Explain Selection';
    // The client's trace of the Locus server (locus.trace.server: verbose, shown at the channel's Trace level)
    // holds each request's answer: what the server did.
    await setLocusLogLevel(page, 'Trace');
    let tracing = true;
    const traceOff = async (): Promise<void> => {
      if (tracing) await setLocusLogLevel(page, 'Info');
      tracing = false;
    };
    try {
      // An explanation that runs to its end, to compare with.
      await selectCode(page);
      const whole = await showsSelectionResult(page, label, () => runCommand(page, label), true);
      assert.ok(whole.tab !== undefined, `the explanation opened in a tab (${whole.summary})`);
      const wholeId = Number(/explanation (\d+)\.md/i.exec(whole.tab)?.[1]);
      // The server is paused from before the command until the tab is closed: the model is far faster than any
      // click, and this way the close always comes while the explanation is being written.
      await selectCode(page);
      const pids = await waitFor('one Locus language server', async () => {
        const found = languageServerPids();
        return found.length === 1 ? found : undefined;
      }, 30_000);
      const tabsBefore = await tabLabels(page);
      let tab: string;
      process.kill(pids[0]!, 'SIGSTOP');
      try {
        await runCommand(page, label);
        tab = await waitFor('the new explanation tab', async () => (await tabLabels(page)).find((l) => !tabsBefore.includes(l) && /explanation \d+\.md/i.test(l)), 15_000);
        await waitFor('the window progress "Locus: explaining"', async () => ((await locusBusy(page)) ? true : undefined), 10_000);
        const shown = (await tabText(page, tab)).split('\n').filter((l) => l.trim() !== '');
        assert.equal(shown.length, 1, `the tab shows its heading and no explanation yet: ${JSON.stringify(shown)}`);
        await shots.take(page, 'explanation-being-written');
        await page.locator(`.tab[aria-label="${tab}"]`).click({ button: 'middle' });
        await waitFor(`${tab} to close`, async () => ((await tabLabels(page)).includes(tab) ? undefined : true), 10_000);
      } finally {
        process.kill(pids[0]!, 'SIGCONT');
      }
      await waitFor('the explanation request to end', async () => ((await locusBusy(page)) ? undefined : true), 30_000);
      const id = Number(/explanation (\d+)\.md/i.exec(tab)?.[1]);
      // The server: its answer to the closed tab's request says the model was stopped; the whole one's does not.
      const answers = await waitFor('the answers to both explanation requests in the Locus trace', async () => {
        const found = [explainAnswer(locusLog(), wholeId), explainAnswer(locusLog(), id)];
        return found.every((a) => a !== undefined) ? (found as ExplainAnswer[]) : undefined;
      }, 15_000);
      t.diagnostic(`the server's answers: explanation ${wholeId} ${JSON.stringify(answers[0])}; explanation ${id} (tab closed) ${JSON.stringify(answers[1])}`);
      assert.notEqual(answers[0]!.stopReason, 'aborted', 'the explanation left open ran to its end');
      assert.equal(answers[1]!.stopReason, 'aborted', 'the server stopped the model when the tab closed');
      // Back to the default level, so that no trace follows the client's own line in the Output view.
      await traceOff();
      // The client: it says why the explanation stopped (and only for the one whose tab closed while it ran).
      await runCommand(page, 'Locus: Show Output');
      const stopped = `Explanation ${id} stopped: its tab was closed.`;
      await waitFor(`"${stopped}" in the Locus Output channel`, async () => ((await outputText(page)).includes(stopped) ? true : undefined), 15_000)
        .finally(() => shots.take(page, 'explanation-stopped-output'));
      assert.ok(!locusLog().includes(`Explanation ${wholeId} stopped`), 'an explanation that finished is not reported as stopped when its tab closes later');
      assert.deepEqual(await errorToasts(page), [], 'no error or warning notification');
    } finally {
      // A failure here must not hide the check's own.
      await traceOff().catch((err: unknown) => t.diagnostic(`the Locus log level was not set back to Info: ${String(err)}`));
    }
  });

  await t.test('a second Explain Selection stops the first, whose tab keeps what it wrote and says why it stopped', async () => {
    const label = 'Locus: Explain Selection';
    const explanationTab = (before: string[]) => async () => (await tabLabels(page)).find((l) => !before.includes(l) && /explanation \d+\.md/i.test(l));
    const pids = await waitFor('one Locus language server', async () => {
      const found = languageServerPids();
      return found.length === 1 ? found : undefined;
    }, 30_000);
    // Paused while both are asked: they reach the server together, and the second always finds the first running.
    let older: string;
    let newer: string;
    process.kill(pids[0]!, 'SIGSTOP');
    try {
      await selectCode(page);
      const before = await tabLabels(page);
      await runCommand(page, label);
      older = await waitFor('the first explanation tab', explanationTab(before), 15_000);
      await selectCode(page);
      await runCommand(page, label);
      newer = await waitFor('the second explanation tab', explanationTab([...before, older]), 15_000);
    } finally {
      process.kill(pids[0]!, 'SIGCONT');
    }
    await waitFor('both explanation requests to end', async () => ((await locusBusy(page)) ? undefined : true), 30_000);
    const note = 'Stopped: a newer explanation took the model.';
    await page.locator(`.tab[aria-label="${older}"]`).click();
    const olderText = await waitFor(`"${note}" in ${older}`, async () => {
      // The editor wraps the note: its lines joined.
      const text = (await tabText(page, older)).replace(/\s+/g, ' ');
      return text.includes(note) ? text : undefined;
    }, 15_000).finally(() => shots.take(page, 'explanation-superseded'));
    assert.match(olderText, /# Explanation of /, 'the stopped tab keeps its heading');
    await page.locator(`.tab[aria-label="${newer}"]`).click();
    const newerText = (await tabText(page, newer)).replace(/\s+/g, ' ');
    assert.ok(!newerText.includes(note), `the newer explanation ran to its end: ${JSON.stringify(newerText)}`);
    // Its chunks once went to the first's handler, which took them away on ending: the tab kept only its heading.
    assert.match(newerText, /# Explanation of \S+ \S/, `the newer explanation's text is in its tab: ${JSON.stringify(newerText)}`);
    assert.deepEqual(await errorToasts(page), [], 'no error or warning notification');
  });

  await t.test('in a file with CRLF line ends, ghost text shows, Tab inserts it, the saved file keeps CRLF throughout, and the server answered in CRLF', async () => {
    // The server prompts the model with LF and answers in the document's line end. VS Code turns any line end it
    // inserts into the file's, so only the client's trace shows what the server sent. (After the command palette's
    // checks: the trace fills the tail of the Output view, where Show Output's check looks for the client's lines.)
    const relativePath = 'src/sizes.ts';
    const file = path.join(workspace, relativePath);
    writeFileSync(file, CRLF_SOURCE.join('\r\n'));
    await setLocusLogLevel(page, 'Trace');
    let tracing = true;
    try {
      const logStart = locusLog().length;
      // A function's opening line: a block follows, so the completion has line ends of its own.
      const inserted = await acceptGhostText(page, shots, file, relativePath, ['\nexport function perimeter(size: Size): number {'], 'crlf-ghost-text', '\r\n');
      t.diagnostic(`Locus ghost text in a CRLF file after ${JSON.stringify(inserted.typed)}: ${JSON.stringify(inserted.shown)}`);
      const eol = (await statusBarItems(page)).find((i) => i.id === 'status.editor.eol');
      assert.equal(eol?.text, 'CRLF', `the workbench shows the file's line ends as CRLF: ${JSON.stringify(eol)}`);
      assert.ok(inserted.text.length > 0, 'Tab inserted text');
      assert.equal(asRendered(inserted.text.replace(/\r\n/g, '\n'), TAB_SIZE, inserted.column), inserted.shown, 'Tab inserted exactly the ghost text that was shown');
      assert.ok(inserted.text.includes('\r\n'), `the completion has more than one line, so its line ends count: ${JSON.stringify(inserted.text)}`);
      const saved = readFileSync(file, 'utf8');
      const savedEnds = lineEnds(saved);
      assert.ok(savedEnds.crlf > 0 && savedEnds.bareLf === 0 && savedEnds.bareCr === 0, `the saved file has CRLF line ends only, no bare LF or CR: ${JSON.stringify(savedEnds)}`);
      // The server's answer for the completion that was accepted, from the client's trace (written to disk a moment
      // later). It may be one made a character or two earlier, which the editor went on showing while they were typed.
      let answers: string[] = [];
      const answer = await waitFor("the server's answer that was inserted, in the Locus trace", async () => {
        answers = inlineCompletionAnswers(locusLog().slice(logStart), relativePath);
        return answers.find((a) => a.replace(/\r\n/g, '\n').endsWith(inserted.text.replace(/\r\n/g, '\n')));
      }, 10_000).catch(() => assert.fail(`no answer in the trace matches what Tab inserted: ${JSON.stringify(answers)}`));
      const answerEnds = lineEnds(answer);
      assert.ok(answerEnds.crlf > 0 && answerEnds.bareLf === 0 && answerEnds.bareCr === 0, `the server answered with CRLF line ends only: ${JSON.stringify(answer)} ${JSON.stringify(answerEnds)}`);
      await setLocusLogLevel(page, 'Info');
      tracing = false;
    } finally {
      if (tracing) await setLocusLogLevel(page, 'Info').catch((err: unknown) => t.diagnostic(`the Locus log level was not set back to Info: ${String(err)}`));
    }
  });

  await t.test('the latency dashboard is restored after Developer: Reload Window and shows its figures again', async () => {
    const before = await dashboardCheck(env, 'Locus: Show Latency');
    const requests = dashboardRequests(before);
    const reloaded = page.waitForEvent('load', { timeout: 60_000 });
    await runCommand(page, 'Developer: Reload Window');
    await reloaded;
    await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
    await page.locator('.tab', { hasText: /Locus Latency/ }).first().waitFor({ timeout: 60_000 });
    const after = await dashboardText(page, 60_000);
    await shots.take(page, 'dashboard-after-reload');
    t.diagnostic(`dashboard before the reload: ${requests} requests; after: ${dashboardRequests(after)}`);
    assert.ok(dashboardRequests(after) >= Math.max(1, requests), `the restored dashboard counts the requests made before the reload (${requests})`);
    assert.match(after, ACCEPTED, 'the restored dashboard counts the accepted completion');
    // The reload started a new extension host and language server: the model is ready again.
    await waitForReady(page, manifest);
    assert.deepEqual(await errorToasts(page), [], 'no error or warning notification after the reload');
  });
}

/**
 * Presses Ctrl+Space until the suggest widget lists items (TypeScript's server may still say "Loading..." or
 * "No suggestions." for a moment) and returns the selected item's label.
 */
async function openSuggestWidget(page: Page): Promise<string> {
  const seen: string[] = [];
  for (let attempt = 0; attempt < 8; attempt++) {
    await page.keyboard.press('Control+Space');
    const widget = await waitFor('the suggest widget to list items', async () => {
      const w = await suggestWidget(page);
      return w?.selected !== undefined ? w : undefined;
    }, 2_000).catch(async () => suggestWidget(page));
    if (widget?.selected !== undefined) return widget.selected;
    seen.push(widget?.message ?? 'closed');
    await page.keyboard.press('Escape');
    await page.waitForTimeout(1_000);
  }
  throw new Error(`the suggest widget listed no items after Ctrl+Space: ${JSON.stringify(seen)}`);
}

/** A small TypeScript file, to be written with CRLF line ends. */
const CRLF_SOURCE = [
  'export interface Size {',
  '  width: number;',
  '  height: number;',
  '}',
  '',
  'export function area(size: Size): number {',
  '  return size.width * size.height;',
  '}',
  '',
];

/** How `text`'s lines end: CRLF, LF alone, CR alone (a doubled CR, `\r\r\n`, has one CR alone). */
function lineEnds(text: string): { crlf: number; bareLf: number; bareCr: number } {
  return {
    crlf: text.split('\r\n').length - 1,
    bareLf: (text.match(/(?<!\r)\n/g) ?? []).length,
    bareCr: (text.match(/\r(?!\n)/g) ?? []).length,
  };
}

/**
 * The insertTexts the server answered to `textDocument/inlineCompletion` requests for the workspace file
 * `relativePath`, from the client's verbose trace: "Sending request 'textDocument/inlineCompletion - (K)'. Params:
 * {...}", then "Received response 'textDocument/inlineCompletion - (K)' in N ms. Result: {...}".
 */
function inlineCompletionAnswers(log: string, relativePath: string): string[] {
  const entries = log.split(/\n(?=\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ \[)/);
  const requests = new Set<string>();
  const texts: string[] = [];
  for (const e of entries) {
    const sent = /Sending request 'textDocument\/inlineCompletion - \((\d+)\)'/.exec(e);
    if (sent && e.includes(`/${relativePath}"`)) requests.add(sent[1]!);
    const received = /Received response 'textDocument\/inlineCompletion - \((\d+)\)'[\s\S]*?Result: (\{[\s\S]*\})/.exec(e);
    if (received && requests.has(received[1]!)) {
      const result = JSON.parse(received[2]!) as { items?: { insertText: string | { value: string } }[] };
      for (const item of result.items ?? []) texts.push(typeof item.insertText === 'string' ? item.insertText : item.insertText.value);
    }
  }
  return texts;
}

/** Sets the Locus Output channel's log level, as "Developer: Set Log Level..." does: the logger, then the level. */
async function setLocusLogLevel(page: Page, level: 'Trace' | 'Info'): Promise<void> {
  const widget = page.locator('.quick-input-widget');
  const rows = (): Promise<string[]> => widget.locator('.monaco-list-row').evaluateAll((els: DomElement[]) => els.map((e) => e.getAttribute('aria-label') ?? ''));
  await runCommand(page, 'Developer: Set Log Level...', { asks: true });
  // The Locus logger's row ("Locus", or "Locus, Trace" once its level is not the default one).
  const logger = await waitFor('Locus among the loggers', async () => {
    await widget.locator('input.input').fill('Locus');
    return (await rows()).find((r) => /^Locus\b/.test(r));
  }, 10_000);
  await widget.locator(`.monaco-list-row[aria-label="${logger}"]`).click();
  // The levels (the current one marked "check", the default one ", Default").
  const levelRow = new RegExp(`^(check\\s+)?${level}\\b`);
  const row = await waitFor(`the log levels for Locus`, async () => {
    const shown = await rows();
    return shown.includes(logger) ? undefined : shown.find((r) => levelRow.test(r));
  }, 10_000);
  await widget.locator(`.monaco-list-row[aria-label="${row}"]`).click();
  await widget.waitFor({ state: 'hidden', timeout: 10_000 });
}

interface ExplainAnswer {
  stopReason: string;
  generatedTokens: number;
}

/**
 * The server's answer to the `locus/explain` request of explanation `id` (its streamId is `explain-<id>`), from the
 * client's verbose trace in the Locus log: "Sending request 'locus/explain - (K)'. Params: {...}", then
 * "Received response 'locus/explain - (K)' in N ms. Result: {...}".
 */
function explainAnswer(log: string, id: number): ExplainAnswer | undefined {
  const entries = log.split(/\n(?=\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ \[)/);
  let sent = -1;
  entries.forEach((e, i) => {
    if (/Sending request 'locus\/explain - \(\d+\)'/.test(e) && e.includes(`"streamId": "explain-${id}"`)) sent = i;
  });
  if (sent < 0) return undefined;
  const requestId = /\((\d+)\)/.exec(entries[sent]!)![1];
  const answer = entries.slice(sent + 1).find((e) => e.includes(`Received response 'locus/explain - (${requestId})'`));
  const result = answer === undefined ? undefined : /Result: (\{[\s\S]*\})/.exec(answer)?.[1];
  return result === undefined ? undefined : (JSON.parse(result) as ExplainAnswer);
}

/** Closes the open context menu (and its submenu). */
async function closeMenus(page: Page): Promise<void> {
  const menu = page.locator('.context-view .monaco-menu').first();
  for (let i = 0; i < 3 && (await menu.isVisible()); i++) await page.keyboard.press('Escape');
  await menu.waitFor({ state: 'hidden', timeout: 5_000 });
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

  'locus.restartServer': async ({ page, manifest, locusLog }, label) => {
    // Watch the restart in the Locus Output channel: the client logs it, and the new server loads the model again.
    // The load is counted in the channel's log file: its lines after the load line (kept copies, long paths) can
    // push that line out of the panel's view.
    if (!(await page.locator('.part.panel').isVisible())) await runCommand(page, 'Locus: Show Output');
    const loads = (text: string) => text.split('\n').filter((l) => /\[model\] Loaded /.test(l)).length;
    const loadsBefore = loads(locusLog());
    await runCommand(page, label);
    await waitFor('"Restarting the Locus server." in the Output channel', async () =>
      (await outputText(page)).includes('Restarting the Locus server.') || locusLog().includes('Restarting the Locus server.') ? true : undefined, 15_000);
    await waitFor('the restarted server to load the model again', async () => (loads(locusLog()) > loadsBefore ? true : undefined), 60_000);
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

  'locus.showWholeCompletion': async ({ page }, label) => {
    // From the command palette as with Alt+\: the editor that had the focus gets the whole suggestion at its cursor.
    await openFile(page, 'src/main.ts');
    await activeEditor(page).locator('.view-lines').click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type('\nexport function centroidX(points: Point[]): number {', { delay: 20 });
    await page.waitForTimeout(1_500);
    await page.keyboard.press('Escape');
    await waitFor('no ghost text after Escape', async () => ((await ghostText(page)) === undefined ? true : undefined), 5_000);
    await runCommand(page, label);
    const shown = await waitFor('ghost text after the command', () => ghostText(page), GHOST_TIMEOUT_MS / 2);
    assert.ok(shown.includes('\n'), `a block at the end of a header: ${JSON.stringify(shown)}`);
    await page.keyboard.press('Escape');
    await runCommand(page, 'File: Revert File');
    await page.keyboard.press('Control+Home');
  },

  'locus.showLatency': async (env, label) => {
    const text = await dashboardCheck(env, label);
    // The scenario requested completions and accepted one with Tab before this: the dashboard counts them.
    const requests = dashboardRequests(text);
    assert.ok(requests >= 1, `the dashboard counts the completion requests made (${requests})`);
    assert.match(text, ACCEPTED, 'the dashboard counts the accepted completion');
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
  const text = await dashboardText(page, 30_000);
  // The scenario made at least one completion before this, so the dashboard cannot be empty.
  assert.doesNotMatch(text, /no (completions|requests|data) (yet|recorded)/i, 'the dashboard shows the completions made');
  return text;
}

/** The dashboard webview's document, once its script has rendered the summary the server sent. */
export async function dashboardText(page: Page, timeoutMs: number): Promise<string> {
  return waitFor('the dashboard to render numbers', async () => {
    for (const frame of page.frames()) {
      if (frame === page.mainFrame()) continue;
      const body = await frame.locator('body').innerText({ timeout: 500 }).catch(() => '');
      if (/latency/i.test(body) && /\d/.test(body) && !/Loading…/.test(body) && !/could not read/i.test(body)) return body;
    }
    return undefined;
  }, timeoutMs, 500);
}

/** "N requests" on the dashboard. */
const dashboardRequests = (text: string): number => Number(/(\d+) requests?\b/i.exec(text)?.[1] ?? 0);

const ACCEPTED = /Accepted\s+\d+%\s+\d+ of [1-9]\d* suggestions? shown/i;

/** The code the selection checks work on: the `distance` function of src/shapes.ts (lines 6-10). */
const SELECTION = { file: 'src/shapes.ts', firstLine: 6, lines: 5 };

/** Opens `SELECTION.file`, focuses its editor and selects `SELECTION`'s whole lines (the selection ends at the start of the next line). */
async function selectCode(page: Page): Promise<void> {
  await openFile(page, SELECTION.file);
  await activeEditor(page).locator('.view-lines').click();
  await page.keyboard.press('Control+Home');
  for (let i = 1; i < SELECTION.firstLine; i++) await page.keyboard.press('ArrowDown');
  for (let i = 0; i < SELECTION.lines; i++) await page.keyboard.press('Shift+ArrowDown');
}

/** `shapes.ts:6-10`: how the selection's lines are named. */
const selectionName = (): string => `${path.basename(SELECTION.file)}:${SELECTION.firstLine}-${SELECTION.firstLine + SELECTION.lines - 1}`;

/**
 * Selects the `distance` function in src/shapes.ts and runs the command (Explain, Compress). It must open a tab
 * (editor or webview, possibly beside the source with the focus kept there) whose text grows beyond a heading and
 * then settles, or write to the panel, or show an information notification that does not ask for a selection.
 */
async function selectionCommandCheck({ page }: ScenarioEnv, label: string): Promise<void> {
  await selectCode(page);
  const shown = await showsSelectionResult(page, label, () => runCommand(page, label));
  assert.ok(shown.summary.length > 0);
}

/** A window progress item ("Locus: explaining") says a request is still running. */
async function locusBusy(page: Page): Promise<boolean> {
  return (await statusBarItems(page)).some((i) => /Locus: \w+ing\b/.test(`${i.text} ${i.tooltip}`));
}

interface SelectionResult {
  summary: string;
  /** The tab the result opened, and the text it settled on. */
  tab?: string;
  text?: string;
}

/**
 * Runs `run` (which starts `label` on the selection) and waits until its result has shown and stopped changing.
 * `inTab`: only a new tab counts (the Output panel may be writing meanwhile).
 */
async function showsSelectionResult(page: Page, label: string, run: () => Promise<void>, inTab = false): Promise<SelectionResult> {
  const before = await snapshot(page);
  await run();
  let last = '';
  let settledSince = 0;
  return waitFor(`${label} to show its result and finish`, async (): Promise<SelectionResult | undefined> => {
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
      return lines.length >= 2 && !(await locusBusy(page)) && Date.now() - settledSince >= 3_000
        ? { summary: `${newTab}: ${lines.length} lines`, tab: newTab, text }
        : undefined;
    }
    if (inTab) return undefined;
    if (now.panelText !== before.panelText && now.panelText.trim() !== '') return { summary: 'text in the panel' };
    const toasts = now.toasts.filter((t) => !before.toasts.includes(t));
    if (toasts.length > 0) {
      assert.doesNotMatch(toasts.join(' '), /select|no (code|text)/i, `${label} saw the selection`);
      return { summary: `a notification: ${toasts.join(' | ')}` };
    }
    return undefined;
  }, 120_000, 500);
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
    tabs: await tabLabels(page),
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
