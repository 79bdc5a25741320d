// Drives the VS Code workbench that code-server serves, through playwright-core and Debian's chromium.
// Every wait is bounded; failures say what was being waited for.
import { chromium, type Browser, type Page, type Locator } from 'playwright-core';
import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** The few DOM members the page functions below use (tsconfig has no DOM lib; they run in the browser). */
export interface DomElement {
  id: string;
  textContent: string | null;
  innerText: string;
  classList: Iterable<string>;
  getAttribute(name: string): string | null;
  querySelector(selector: string): DomElement | null;
  querySelectorAll(selector: string): Iterable<DomElement>;
  closest(selector: string): DomElement | null;
}

export const chromiumPath = process.env.LOCUS_CHROMIUM ?? '/usr/bin/chromium';

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    // Root in a container: chromium's own sandbox needs user namespaces that CI machines often lack.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  });
}

/** Opens `target`: a folder, or with `kind` `workspace` a `.code-workspace` file (a multi-root workspace). */
export async function openWorkbench(browser: Browser, url: string, target: string, kind: 'folder' | 'workspace' = 'folder'): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${url}/?${kind}=${encodeURIComponent(target)}`, { timeout: 60_000 });
  await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
  // The explorer lists the fixture once the remote file system answers.
  await page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ state: 'visible', timeout: 60_000 });
  return page;
}

export class Screenshots {
  readonly taken: string[] = [];
  private index = 0;
  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }
  async take(page: Page, name: string): Promise<string> {
    const file = path.join(this.dir, `${String(++this.index).padStart(2, '0')}-${name}.png`);
    await page.screenshot({ path: file });
    this.taken.push(`${file} (${Math.round(statSync(file).size / 1024)} KB)`);
    return file;
  }
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  intervalMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
}

const quickInput = (page: Page): Locator => page.locator('.quick-input-widget');

async function closeQuickInput(page: Page): Promise<void> {
  if (await quickInput(page).isVisible()) await page.keyboard.press('Escape');
  await quickInput(page).waitFor({ state: 'hidden', timeout: 5_000 });
}

/**
 * Runs a command from the command palette by its title (as `Category: Title`), like a user would. `asks`: the
 * command goes on in the quick input (a pick of its own), so the palette is not waited on to close.
 */
export async function runCommand(page: Page, label: string, { asks = false }: { asks?: boolean } = {}): Promise<void> {
  await closeQuickInput(page).catch(() => undefined);
  await page.keyboard.press('F1');
  const input = quickInput(page).locator('input.input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(`>${label}`);
  const row = quickInput(page).locator('.monaco-list-row', { hasText: label }).first();
  await row.waitFor({ state: 'visible', timeout: 10_000 });
  const rowLabel = (await row.getAttribute('aria-label')) ?? '';
  if (!rowLabel.toLowerCase().startsWith(label.toLowerCase())) {
    throw new Error(`command palette's first match for "${label}" is "${rowLabel}"`);
  }
  await row.click();
  if (!asks) await quickInput(page).waitFor({ state: 'hidden', timeout: 10_000 }).catch(() => undefined);
}

/** Opens a workspace file with Quick Open and waits until its editor (or `shown`, for other editors) is shown. */
export async function openFile(page: Page, relativePath: string, shown: Locator = activeEditor(page).locator('.view-lines')): Promise<void> {
  await closeQuickInput(page).catch(() => undefined);
  await page.keyboard.press('Control+P');
  const input = quickInput(page).locator('input.input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(relativePath);
  const base = path.basename(relativePath);
  // Until the filter applies, the recently opened list shows (it may hold the file further down): Enter opens the first row.
  await waitFor(`Quick Open to list ${base} first`, async () => {
    const first = await quickInput(page).locator('.monaco-list-row').first().getAttribute('aria-label').catch(() => null);
    return first?.startsWith(base) ? true : undefined;
  }, 10_000);
  await page.keyboard.press('Enter');
  await page.locator(`.tab.active[aria-label^="${base}"]`).waitFor({ timeout: 10_000 });
  await shown.waitFor({ timeout: 10_000 });
}

export const activeEditor = (page: Page): Locator =>
  page.locator('.editor-group-container.active .monaco-editor').first();

/**
 * Right-clicks `target` (a line or the selection in the active editor) near its start and returns the context menu
 * that opens. The workbench draws its menus in the DOM (in a shadow root, which Playwright's CSS locators pierce).
 */
export async function openEditorContextMenu(page: Page, target: Locator): Promise<Locator> {
  // The editor draws a new selection or cursor position on its next frame.
  const box = await waitFor(`${target.toString()} to be shown`, () => target.first().boundingBox({ timeout: 1_000 }).then((b) => b ?? undefined), 10_000);
  // A selection's highlight lies under the text layer: click the point, not the element.
  await page.mouse.click(box.x + Math.min(20, box.width / 2), box.y + box.height / 2, { button: 'right' });
  const menu = page.locator('.context-view .monaco-menu').first();
  await menu.waitFor({ state: 'visible', timeout: 10_000 });
  return menu;
}

/** The labels of a DOM menu's own items, in order (not its submenus' items, no separators). */
export async function menuLabels(menu: Locator): Promise<string[]> {
  return menu.evaluate((el: DomElement) =>
    Array.from(el.querySelectorAll('.action-label'))
      .filter((label) => label.closest('.monaco-menu') === el)
      .map((label) => (label.textContent ?? '').trim())
      .filter((text) => text !== ''),
  );
}

/** Hovers the item labelled `label` of `menu` and returns the submenu it opens. */
export async function openSubmenu(menu: Locator, label: string): Promise<Locator> {
  const item = menu.locator('.action-item').filter({ has: menu.page().locator('.action-label', { hasText: new RegExp(`^${escapeRegExp(label)}$`) }) }).first();
  await item.hover();
  const submenu = item.locator('.monaco-submenu .monaco-menu').first();
  await submenu.waitFor({ state: 'visible', timeout: 10_000 });
  return submenu;
}

/** Clicks the item labelled `label` of `menu`. */
export async function clickMenuItem(menu: Locator, label: string): Promise<void> {
  await menu.locator('.action-label', { hasText: new RegExp(`^${escapeRegExp(label)}$`) }).first().click();
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Texts of the visible status bar items. */
export async function statusBarItems(page: Page): Promise<{ id: string; text: string; tooltip: string }[]> {
  return page.locator('#workbench\\.parts\\.statusbar .statusbar-item').evaluateAll((els: DomElement[]) =>
    els.map((el) => ({
      id: el.id,
      text: (el.textContent ?? '').trim(),
      tooltip: el.getAttribute('aria-label') ?? '',
    })),
  );
}

/** The notification toasts on screen, each as "<severity>: <message>" (severity from its icon: info, warning, error). */
export async function notifications(page: Page): Promise<string[]> {
  return page.locator('.notifications-toasts .notification-list-item').evaluateAll((els: DomElement[]) =>
    els.map((el) => {
      const icon = Array.from(el.querySelector('.notification-list-item-icon')?.classList ?? []).join(' ');
      const severity = /codicon-error/.test(icon) ? 'error' : /codicon-warning/.test(icon) ? 'warning' : 'info';
      const message = (el.querySelector('.notification-list-item-message')?.textContent ?? '').trim();
      return `${severity}: ${message}`;
    }),
  );
}

/** The toast whose message matches `message`, and the labels of its buttons. */
export async function notificationButtons(page: Page, message: RegExp): Promise<{ toast: Locator; buttons: string[] }> {
  const toast = page.locator('.notifications-toasts .notification-list-item').filter({ has: page.locator('.notification-list-item-message', { hasText: message }) }).first();
  const buttons = await toast.locator('.notification-list-item-buttons-container .monaco-button').allTextContents();
  return { toast, buttons: buttons.map((b) => b.trim()) };
}

/** The aria-labels of the editor tabs, in every group. */
export async function tabLabels(page: Page): Promise<string[]> {
  return page.locator('.tab').evaluateAll((els: DomElement[]) => els.map((e) => e.getAttribute('aria-label') ?? ''));
}

/** The text shown by the editor group whose active tab is labelled `tabLabel` (a text editor's visible lines). */
export async function tabText(page: Page, tabLabel: string): Promise<string> {
  const texts = await page.locator('.editor-group-container').evaluateAll(
    (groups: DomElement[], label: string) =>
      groups
        .filter((g) => Array.from(g.querySelectorAll('.tab.active')).some((t) => t.getAttribute('aria-label') === label))
        .map((g) => g.querySelector('.monaco-editor .view-lines')?.innerText ?? ''),
    tabLabel,
  );
  return (texts[0] ?? '').replace(/\u00a0/g, ' ');
}

/**
 * The ghost text the editor shows at the cursor, as rendered: the inline part on the cursor line, then each line of
 * the block below it (a view zone). VS Code renders spaces as U+00A0, tabs as spaces up to the next tab stop, and
 * control characters as Unicode "control pictures" (U+2400 + code); compare with `asRendered(inserted text)`.
 */
export async function ghostText(page: Page, editor: Locator = activeEditor(page)): Promise<string | undefined> {
  const parts = await ghostTextParts(page, editor);
  return parts === undefined ? undefined : [parts.item + parts.beyond, ...parts.block].join('\n');
}

/** Where the ghost text at the cursor is drawn: its first block line below the cursor line, or else its inline part. */
export async function ghostTextBox(page: Page, editor: Locator = activeEditor(page)): Promise<{ x: number; y: number; width: number; height: number } | null> {
  const zone = editor.locator('.view-zones .suggest-preview-text .view-line').first();
  if ((await zone.count()) > 0) return zone.boundingBox();
  return editor.locator('.view-lines .ghost-text-decoration').first().boundingBox();
}

/**
 * The ghost text at the cursor in its parts. While the suggest widget is open, VS Code shows an inline completion
 * only if it extends the selected item: the rest of the item (`item`) is drawn like any ghost text, what the
 * completion adds after it (`beyond`) in italics (`.ghost-text-decoration-preview`). Without the widget, all of the
 * inline part is `item`. `block`: the lines below the cursor line, whichever part they belong to.
 */
export async function ghostTextParts(page: Page, editor: Locator = activeEditor(page)): Promise<{ item: string; beyond: string; block: string[] } | undefined> {
  // No named functions in here: the test runner's compiler would wrap them in a helper the page does not have.
  return editor.evaluate((editor: DomElement) => {
    const [item, beyond] = ['ghost-text-decoration', 'ghost-text-decoration-preview'].map((cls) =>
      Array.from(editor.querySelectorAll(`.view-lines .${cls}`))
        .map((el) => el.textContent ?? '')
        .join('')
        .replace(/\u00a0/g, ' '),
    ) as [string, string];
    const block = Array.from(editor.querySelectorAll('.view-zones .suggest-preview-text .view-line')).map(
      (el) => (el.textContent ?? '').replace(/\u00a0/g, ' '),
    );
    if (item === '' && beyond === '' && block.length === 0) return undefined;
    return { item, beyond, block };
  });
}

/**
 * The suggest widget of the active editor while it is open: the label of its selected item, or the message it shows
 * instead of items ("Loading...", "No suggestions.").
 */
export async function suggestWidget(page: Page): Promise<{ selected?: string; message?: string } | undefined> {
  return page.evaluate(() => {
    const doc = (globalThis as unknown as { document: DomElement }).document;
    const widget = doc.querySelector('.editor-group-container.active .suggest-widget.visible');
    if (widget === null) return undefined;
    if (Array.from(widget.classList).includes('message')) return { message: (widget.querySelector('.message')?.textContent ?? '').trim() };
    const selected = widget.querySelector('.monaco-list-row.focused .label-name')?.textContent ?? undefined;
    return { selected };
  });
}

/**
 * How VS Code renders `text` as ghost text when it starts at visual `column` (0-based): tabs become spaces up to
 * the next multiple of `tabSize`, control characters become U+2400 + code (U+2421 for DEL).
 */
export function asRendered(text: string, tabSize: number, column: number): string {
  let out = '';
  let col = column;
  for (const ch of text) {
    if (ch === '\n') {
      out += ch;
      col = 0;
    } else if (ch === '\t') {
      const n = tabSize - (col % tabSize);
      out += ' '.repeat(n);
      col += n;
    } else {
      const code = ch.charCodeAt(0);
      out += code < 0x20 ? String.fromCharCode(0x2400 + code) : code === 0x7f ? '\u2421' : ch;
      col += 1;
    }
  }
  return out;
}
