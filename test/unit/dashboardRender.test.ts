// Renders the latency dashboard from fixture records in headless Chromium, exactly as the webview gets it
// (same template, same CSP), and checks what it shows. Screenshots go to the OS temp folder.
// Needs Debian's chromium (scripts/install-chromium.sh); skipped without it, except in CI where it must run.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createNonce, renderDashboardHtml } from '../../extension/dashboardHtml';
import { summarize, toSamples } from '../../lsp-server/telemetry/telemetryAggregate';
import type { TelemetrySample, TelemetrySummary } from '../../lsp-server/protocol';
import { fixtureEntries } from './telemetryFixtures';

const CHROMIUM = process.env.LOCUS_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const ORIGIN = 'https://locus-dashboard.test';
const MEDIA = join(import.meta.dirname, '..', '..', 'media', 'dashboard');
const SCREENSHOT_DIR = tmpdir();

const missing = !existsSync(CHROMIUM);
const skip = missing && !process.env.CI ? `no Chromium at ${CHROMIUM}; run scripts/install-chromium.sh` : false;

/** VS Code's Dark Modern and Light Modern values for the variables the dashboard uses. */
const THEMES: Record<'dark' | 'light', Record<string, string>> = {
  dark: {
    'font-family': 'system-ui, "Segoe UI", Ubuntu, "Droid Sans", sans-serif',
    'font-size': '13px',
    foreground: '#cccccc',
    descriptionForeground: '#9d9d9d',
    'editor-background': '#1f1f1f',
    'sideBar-background': '#181818',
    'widget-border': '#313131',
    'panel-border': '#2b2b2b',
    'charts-lines': 'rgba(204, 204, 204, 0.5)',
    'charts-blue': '#3794ff',
    'charts-orange': '#d18616',
    'charts-green': '#89d185',
    'charts-purple': '#b180d7',
    'charts-yellow': '#cca700',
    'charts-red': '#f14c4c',
    disabledForeground: 'rgba(204, 204, 204, 0.5)',
    'button-background': '#0078d4',
    'button-foreground': '#ffffff',
    'button-hoverBackground': '#026ec1',
    'button-border': 'rgba(255, 255, 255, 0.07)',
    'button-secondaryBackground': '#313131',
    'button-secondaryForeground': '#cccccc',
    'button-secondaryHoverBackground': '#3c3c3c',
    'dropdown-background': '#313131',
    'dropdown-foreground': '#cccccc',
    'dropdown-border': '#3c3c3c',
    focusBorder: '#0078d4',
    'textLink-foreground': '#4daafc',
    'textBlockQuote-background': '#2b2b2b',
  },
  light: {
    'font-family': 'system-ui, "Segoe UI", Ubuntu, "Droid Sans", sans-serif',
    'font-size': '13px',
    foreground: '#3b3b3b',
    descriptionForeground: '#616161',
    'editor-background': '#ffffff',
    'sideBar-background': '#f8f8f8',
    'widget-border': '#e5e5e5',
    'panel-border': '#e5e5e5',
    'charts-lines': 'rgba(97, 97, 97, 0.5)',
    'charts-blue': '#1a85ff',
    'charts-orange': '#d18616',
    'charts-green': '#388a34',
    'charts-purple': '#652d90',
    'charts-yellow': '#bf8803',
    'charts-red': '#e51400',
    disabledForeground: 'rgba(97, 97, 97, 0.5)',
    'button-background': '#005fb8',
    'button-foreground': '#ffffff',
    'button-hoverBackground': '#0258a8',
    'button-border': 'rgba(0, 0, 0, 0.1)',
    'button-secondaryBackground': '#e5e5e5',
    'button-secondaryForeground': '#3b3b3b',
    'button-secondaryHoverBackground': '#cccccc',
    'dropdown-background': '#ffffff',
    'dropdown-foreground': '#3b3b3b',
    'dropdown-border': '#cecece',
    focusBorder: '#005fb8',
    'textLink-foreground': '#005fb8',
    'textBlockQuote-background': '#f8f8f8',
  },
};

const STORE = { files: 2, bytes: 104_448, maxBytes: 20 * 1024 * 1024, skippedLines: 0, disabledReason: null };

function fixtureSummary(): TelemetrySummary {
  return summarize(toSamples(fixtureEntries()), { enabled: true, generatedAt: Date.UTC(2026, 10, 23, 14), store: STORE });
}

/** The dashboard's own millisecond format, restated: the test must not import the code it checks. */
function expectedMs(value: number): string {
  if (value < 9.95) return `${value.toFixed(1)} ms`;
  if (value < 999.5) return `${Math.round(value)} ms`;
  return `${(value / 1000).toFixed(2)} s`;
}

/** The fixture's finished model runs (no cache answers), the first `count` of them. */
function finishedRuns(count: number): TelemetrySample[] {
  return toSamples(fixtureEntries())
    .filter((s) => s.outcome !== 'cancelled' && s.outcome !== 'error' && !s.servedFromCache)
    .slice(0, count);
}

function summaryOf(samples: TelemetrySample[], generatedAt = Date.UTC(2026, 10, 23, 14)): TelemetrySummary {
  return summarize(samples, { enabled: true, generatedAt, store: STORE });
}

async function kpiText(page: Page, key: string): Promise<string> {
  return page.$eval(`[data-kpi="${key}"] .value`, (node) => {
    const [value, unit] = [node.firstChild?.textContent ?? '', node.querySelector('.unit')?.textContent ?? ''];
    return unit ? `${value} ${unit}` : value;
  });
}

/**
 * Stand-in for the webview host: `acquireVsCodeApi` records what the page posts, and CSP violations are kept.
 * Page-side code is passed as strings, not functions: tsx adds name helpers to a function's source that do not
 * exist in the page, and the type check has no DOM library.
 */
const WEBVIEW_HOST_SHIM = `
  window.__posted = [];
  window.__violations = [];
  let saved;
  window.acquireVsCodeApi = () => ({
    postMessage: (message) => window.__posted.push(message),
    getState: () => saved,
    setState: (state) => { saved = state; },
  });
  document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));
`;

interface PageProbe {
  page: Page;
  consoleErrors: string[];
  externalRequests: string[];
}

async function openDashboard(browser: Browser, theme: 'dark' | 'light', width = 1200): Promise<PageProbe> {
  const page = await browser.newPage({ viewport: { width, height: 900 }, deviceScaleFactor: 1 });
  const consoleErrors: string[] = [];
  const externalRequests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  const html = renderDashboardHtml(readFileSync(join(MEDIA, 'index.html'), 'utf8'), {
    cspSource: ORIGIN,
    nonce: createNonce(),
    styleUri: `${ORIGIN}/dashboard.css`,
    scriptUri: `${ORIGIN}/dashboard.js`,
  });
  await page.route('**/*', async (route) => {
    const url = new URL(route.request().url());
    if (url.origin !== ORIGIN) {
      externalRequests.push(url.href);
      return route.abort();
    }
    if (url.pathname === '/') return route.fulfill({ contentType: 'text/html', body: html });
    const file = join(MEDIA, url.pathname.slice(1));
    if (!/^\/[\w.-]+$/.test(url.pathname) || !existsSync(file)) return route.fulfill({ status: 404 });
    return route.fulfill({ contentType: file.endsWith('.css') ? 'text/css' : 'text/javascript', body: readFileSync(file) });
  });
  await page.addInitScript({ content: WEBVIEW_HOST_SHIM });
  await page.goto(`${ORIGIN}/`);
  await page.waitForFunction("window.__posted.some((m) => m.type === 'ready')");
  // VS Code puts the theme's colours on the html element as CSS variables; do the same.
  await page.evaluate(
    `for (const [name, value] of Object.entries(${JSON.stringify(THEMES[theme])})) ` +
      "document.documentElement.style.setProperty('--vscode-' + name, value)",
  );
  return { page, consoleErrors, externalRequests };
}

async function postSummary(page: Page, summary: TelemetrySummary): Promise<void> {
  await page.evaluate(`window.postMessage(${JSON.stringify({ type: 'summary', summary })}, '*')`);
}

describe('latency dashboard in headless Chromium', { skip }, () => {
  let browser: Browser;
  before(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  after(async () => {
    await browser?.close();
  });

  it('shows the fixture summary: percentiles, histogram, phases and per-language and per-model rows', async () => {
    const summary = fixtureSummary();
    const { page, consoleErrors, externalRequests } = await openDashboard(browser, 'dark');
    await postSummary(page, summary);
    await page.waitForSelector('body[data-rendered]');

    const kpi = async (key: string): Promise<string> =>
      page.$eval(`[data-kpi="${key}"] .value`, (node) => {
        const [value, unit] = [node.firstChild?.textContent ?? '', node.querySelector('.unit')?.textContent ?? ''];
        return unit ? `${value} ${unit}` : value;
      });
    assert.equal(await kpi('p50'), expectedMs(summary.latency?.p50 as number));
    assert.equal(await kpi('p95'), expectedMs(summary.latency?.p95 as number));
    assert.equal(await kpi('first-token'), expectedMs(summary.firstToken?.p50 as number));
    assert.equal(await kpi('acceptance'), `${Math.round((summary.acceptanceRate as number) * 100)}%`);
    assert.equal(await kpi('speculative'), `${Math.round((summary.speculativeAcceptanceRate as number) * 100)}%`);
    assert.match((await page.textContent('#subtitle')) ?? '', new RegExp(`^${summary.outcomes.requests} requests · .+ · kept on this machine only$`));
    assert.equal(await page.textContent('[data-kpi="p50"] .detail'), `${summary.latency?.count} runs · ${summary.servedFromCache} cached`);

    const bars = await page.$$eval('#histogram rect.bar', (nodes) => nodes.map((n) => Number(n.getAttribute('data-count'))));
    assert.equal(bars.length, summary.histogram.length);
    assert.deepEqual(bars, summary.histogram.map((b) => b.count));
    assert.ok(bars.length >= 8, `only ${bars.length} histogram bars`);

    const points = await page.$$eval('#over-time circle.point', (nodes) => nodes.length);
    assert.equal(points, 2 * summary.overTime.points.length);

    const phases = await page.$$eval('#phases tr[data-phase]', (rows) => rows.map((r) => r.getAttribute('data-phase')));
    assert.deepEqual(phases, ['prompt', 'retrieval', 'compression', 'prefill', 'decode']);
    const prefillMean = await page.textContent('#phases tr[data-phase="prefill"] td:nth-child(2)');
    assert.equal(prefillMean, expectedMs(summary.phases.prefill?.mean as number));

    const languages = await page.$$eval('#by-language tr[data-key]', (rows) =>
      rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent)),
    );
    assert.deepEqual(
      languages.map((cells) => cells.slice(0, 4)),
      summary.byLanguage.map((g) => [g.key, String(g.outcomes.requests), expectedMs(g.latency?.p50 as number), expectedMs(g.latency?.p95 as number)]),
    );
    const models = await page.$$eval('#by-model tr[data-key]', (rows) => rows.map((r) => r.getAttribute('data-key')));
    assert.deepEqual(models, ['locus-small-q4', 'locus-small-fp32']);
    // One definition of acceptance: the KPI's suggestions are the outcomes' first four kinds; the outcomes count requests.
    const o = summary.outcomes;
    assert.ok(o.acceptedRunnerUp > 0 && o.acceptedRunnerUp < o.accepted && o.typedOut > 0, JSON.stringify(o));
    assert.equal(
      await page.textContent('[data-kpi="acceptance"] .detail'),
      `${o.accepted + o.partiallyAccepted} of ${o.accepted + o.partiallyAccepted + o.typedOut + o.notAccepted} suggestions shown · ${o.acceptedRunnerUp} from a further one (Alt+]) · ${o.typedOut} typed out instead`,
    );
    assert.equal(await page.textContent('[data-outcome="typedOut"] .count'), String(o.typedOut));
    assert.equal(await page.textContent('#outcomes-title'), `Outcomes of ${o.requests} requests`);
    assert.equal(await page.textContent('[data-outcome="accepted"] .count'), String(o.accepted));
    assert.equal(await page.textContent('[data-outcome="shownAgain"] .count'), String(o.shownAgain));
    assert.equal(await page.textContent('[data-outcome="error"] .count'), '1');
    assert.equal(await page.locator('.actions button:disabled').count(), 0);

    await page.screenshot({ path: join(SCREENSHOT_DIR, 'locus-dashboard-dark.png'), fullPage: true });
    assert.deepEqual(consoleErrors, []);
    assert.deepEqual(externalRequests, []);
    assert.deepEqual(await page.evaluate<string[]>('window.__violations'), []);
    await page.close();
  });

  it('fits every card and table in an editor beside a sidebar (860 px), in a narrow one (480 px) and down to 300 px', async () => {
    for (const width of [860, 480, 326, 300]) {
      const { page } = await openDashboard(browser, 'dark', width);
      await postSummary(page, fixtureSummary());
      await page.waitForSelector('body[data-rendered]');
      // Anything wider than its box is clipped (cards hide overflow) or scrolls the whole page sideways.
      const overflowing = await page.evaluate<string[]>(
        "[document.documentElement, ...document.querySelectorAll('.card, table')]" +
          '.filter((e) => e.scrollWidth > e.clientWidth + 1)' +
          ".map((e) => (e.id || e.className || e.tagName) + ': ' + e.scrollWidth + ' > ' + e.clientWidth)",
      );
      assert.deepEqual(overflowing, [], `at ${width} px`);
      // Nor does anything reach into a card's padding, but a table that scrolls inside its card (.table-scroll).
      const outside = await page.evaluate<string[]>(
        "[...document.querySelectorAll('.card')].flatMap((card) => {" +
          '  const style = getComputedStyle(card);' +
          '  const right = card.getBoundingClientRect().right - parseFloat(style.borderRightWidth) - parseFloat(style.paddingRight);' +
          "  return [...card.querySelectorAll('*')]" +
          "    .filter((e) => !(e.parentElement.closest('.table-scroll') || e.parentElement.closest('svg')))" +
          '    .filter((e) => e.getBoundingClientRect().right > right + 1)' +
          "    .map((e) => (e.id || e.className || e.tagName) + ': ' + Math.round(e.getBoundingClientRect().right) + ' > ' + Math.round(right));" +
          '})',
      );
      assert.deepEqual(outside, [], `at ${width} px`);
      await page.screenshot({ path: join(SCREENSHOT_DIR, `locus-dashboard-${width}px.png`), fullPage: true });
      await page.close();
    }
  });

  it('asks the extension to export, refresh and clear with the chosen range', async () => {
    const { page } = await openDashboard(browser, 'light');
    await postSummary(page, fixtureSummary());
    await page.waitForSelector('body[data-rendered]');
    await page.click('#export-csv');
    await page.selectOption('#range', '86400000');
    await page.click('#export-json');
    await page.click('#clear');
    const posted = await page.evaluate<Record<string, unknown>[]>('window.__posted');
    // The range's length, not its start: the extension takes the start at each refresh.
    assert.deepEqual(posted.map((m) => [m.type, m.format ?? null, m.rangeMs]), [
      ['ready', null, null],
      ['export', 'csv', null],
      ['refresh', null, 86400000],
      ['export', 'json', 86400000],
      ['clear', null, 86400000],
    ]);
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'locus-dashboard-light.png'), fullPage: true });
    await page.close();
  });

  it('counts requests in whole numbers on the histogram axis, and says when prompts were not compressed', async () => {
    // Three requests, one per latency bin: the axis must not read 0.25, 0.5, 0.75.
    const few = summarize(toSamples(fixtureEntries()).slice(0, 3), { enabled: true, generatedAt: Date.UTC(2026, 10, 23, 14), store: STORE });
    const { page, consoleErrors } = await openDashboard(browser, 'dark');
    await postSummary(page, { ...few, compressionRatio: 1 });
    await page.waitForSelector('body[data-rendered]');
    const labels = await page.$$eval('#histogram text', (nodes) => nodes.map((n) => n.textContent ?? ''));
    const counts = labels.filter((l) => /^\d+(\.\d+)?$/.test(l));
    assert.ok(counts.length >= 2 && counts.every((l) => Number.isInteger(Number(l))), `axis labels ${labels.join(', ')}`);
    assert.match((await page.textContent('#phases')) ?? '', /nothing was compressed before prefill/);
    assert.deepEqual(consoleErrors, []);
    await page.close();
  });

  it('keeps the p50 and p95 labels apart where both markers fall in the last bin', async () => {
    const few = summarize(toSamples(fixtureEntries()).slice(0, 3), { enabled: true, generatedAt: Date.UTC(2026, 10, 23, 14), store: STORE });
    const { page, consoleErrors } = await openDashboard(browser, 'dark');
    await postSummary(page, { ...few, latency: { ...few.latency!, p50: 1e6, p95: 2e6 } });
    await page.waitForSelector('body[data-rendered]');
    const boxes = await page.$$eval('#histogram .marker-label', (nodes) => nodes.map((n) => n.getBoundingClientRect()).map((r) => ({ left: r.left, right: r.right, top: r.top, bottom: r.bottom })));
    assert.equal(boxes.length, 2);
    const [a, b] = boxes as [(typeof boxes)[0], (typeof boxes)[0]];
    const overlap = a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
    assert.ok(!overlap, JSON.stringify(boxes));
    assert.deepEqual(consoleErrors, []);
    await page.close();
  });

  it('shows the year where the records span two calendar years or are of another year, and only there', async () => {
    const runs = finishedRuns(40);
    const newYear = runs.map((s, i) => ({ ...s, receivedAt: (i < 20 ? Date.UTC(2025, 11, 20, 12) : Date.UTC(2026, 0, 10, 12)) + i * 60_000 }));
    const spanning = summaryOf(newYear, Date.UTC(2026, 0, 11));
    assert.equal(spanning.overTime.bucketMs, 86_400_000);
    const lastYear = summaryOf(newYear.slice(0, 20), Date.UTC(2026, 0, 11));
    const { page, consoleErrors } = await openDashboard(browser, 'dark');

    await postSummary(page, spanning);
    await page.waitForSelector('body[data-rendered]');
    assert.match((await page.textContent('#subtitle')) ?? '', /2025.* – .*2026/);
    const labels = await page.$$eval('#over-time text', (nodes) => nodes.map((n) => n.textContent ?? ''));
    const dates = labels.filter((l) => /[A-Z][a-z]{2}/.test(l));
    assert.ok(dates.length >= 2 && dates.every((l) => /\b202[56]\b/.test(l)), labels.join(', '));

    await postSummary(page, { ...lastYear, generatedAt: lastYear.generatedAt + 1 });
    await page.waitForSelector(`body[data-rendered="${lastYear.generatedAt + 1}"]`);
    assert.match((await page.textContent('#subtitle')) ?? '', /2025.* – .*2025/);

    // This year's records need no year.
    const thisYear = fixtureSummary();
    await postSummary(page, thisYear);
    await page.waitForSelector(`body[data-rendered="${thisYear.generatedAt}"]`);
    assert.doesNotMatch((await page.textContent('#subtitle')) ?? '', /\b20\d\d\b/);
    assert.deepEqual(consoleErrors, []);
    await page.close();
  });

  it('says "1 request" and "1 run", not "1 requests", in figures and tooltips', async () => {
    const { page, consoleErrors } = await openDashboard(browser, 'dark');
    await postSummary(page, summaryOf(finishedRuns(1)));
    await page.waitForSelector('body[data-rendered]');
    assert.match((await page.textContent('#subtitle')) ?? '', /^1 request · /);
    assert.equal(await page.textContent('[data-kpi="p50"] .detail'), '1 run');
    assert.equal(await page.textContent('#outcomes-title'), 'Outcomes of 1 request');
    const tooltips = await page.$$eval('#histogram rect.bar title, #over-time circle title, #outcomes .stack span', (nodes) =>
      nodes.map((n) => n.textContent || n.getAttribute('title') || ''),
    );
    assert.ok(tooltips.filter((t) => / 1 request$| 1 request \(/.test(t)).length >= 4 && !tooltips.some((t) => / 1 requests/.test(t)), tooltips.join(' | '));
    assert.deepEqual(consoleErrors, []);
    await page.close();
  });

  it('rounds at the edges of its units and of whole percentages: 1.00 s, 10 ms, >99%, <1%', async () => {
    const summary = fixtureSummary();
    const { page } = await openDashboard(browser, 'dark');
    await postSummary(page, {
      ...summary,
      latency: { ...summary.latency!, p50: 999.6, p95: 9.97, max: 999.4 },
      acceptanceRate: 0.999,
      prefixCacheHitRate: 0.001,
    });
    await page.waitForSelector('body[data-rendered]');
    assert.equal(await kpiText(page, 'p50'), '1.00 s');
    assert.equal(await kpiText(page, 'p95'), '10 ms');
    assert.equal(await page.textContent('[data-kpi="p95"] .detail'), 'max 999 ms');
    assert.equal(await kpiText(page, 'acceptance'), '>99%');
    assert.equal(await kpiText(page, 'prefix-cache'), '<1%');
    await page.close();
  });

  it('shows no phases but says so, as the other cards do, when no model run finished', async () => {
    const cancelled = toSamples(fixtureEntries()).filter((s) => s.outcome === 'cancelled');
    const summary = summaryOf(cancelled);
    assert.ok(summary.compressionRatio !== null && summary.outcomes.requests > 0);
    const { page, consoleErrors } = await openDashboard(browser, 'dark');
    await postSummary(page, summary);
    await page.waitForSelector('body[data-rendered]');
    assert.equal(await page.textContent('#phases'), 'No finished requests.');
    assert.equal(await page.textContent('#histogram'), 'No finished requests.');
    assert.deepEqual(consoleErrors, []);
    await page.close();
  });

  it('says that the telemetry folder is a file where recording stopped for it', async () => {
    const { page } = await openDashboard(browser, 'dark');
    const summary = fixtureSummary();
    await postSummary(page, { ...summary, store: { ...summary.store, disabledReason: 'ENOTDIR' } });
    await page.waitForSelector('#notice:not([hidden])');
    assert.match((await page.textContent('#notice')) ?? '', /^Recording stopped for this session: the telemetry folder is a file, not a folder \(ENOTDIR\)/);
    await page.close();
  });

  it('says there are no figures when the extension could not read them', async () => {
    const { page } = await openDashboard(browser, 'dark');
    await page.evaluate(`window.postMessage(${JSON.stringify({ type: 'error', message: 'Locus could not read its latency records.' })}, '*')`);
    await page.waitForSelector('#notice:not([hidden])');
    assert.equal(await page.textContent('#subtitle'), 'No figures.');
    await page.close();
  });

  it('says so when nothing is recorded and recording is off', async () => {
    const { page, consoleErrors } = await openDashboard(browser, 'dark');
    await postSummary(page, summarize([], { enabled: false, generatedAt: 1, store: { ...STORE, files: 0, bytes: 0 } }));
    await page.waitForSelector('#notice:not([hidden])');
    const notice = (await page.textContent('#notice')) ?? '';
    assert.match(notice, /Recording is off \(setting locus\.telemetry\.enabled\)/);
    assert.match(notice, /No completion requests recorded yet/);
    assert.equal(await page.isHidden('#content'), true);
    // Nothing to export or delete: the buttons are off and say why, rather than offering to save or delete nothing.
    for (const id of ['export-json', 'export-csv', 'clear']) assert.equal(await page.isDisabled(`#${id}`), true, id);
    assert.equal(await page.getAttribute('#export-json', 'title'), 'Nothing recorded yet to export.');
    assert.equal(await page.getAttribute('#clear', 'title'), 'Nothing recorded to delete.');
    await page.click('#clear', { force: true });
    assert.deepEqual((await page.evaluate<Record<string, unknown>[]>('window.__posted')).map((m) => m.type), ['ready']);
    assert.deepEqual(consoleErrors, []);
    await page.close();
  });

  it('enforces its content security policy: an injected inline script does not run', async () => {
    const { page } = await openDashboard(browser, 'dark');
    const ran = await page.evaluate<boolean>(`(async () => {
      const script = document.createElement('script');
      script.textContent = 'window.__injected = true;';
      document.body.append(script);
      await new Promise((resolve) => setTimeout(resolve, 50));
      return window.__injected === true;
    })()`);
    assert.equal(ran, false);
    const violations = await page.evaluate<string[]>('window.__violations');
    assert.ok(violations.some((v) => v.startsWith('script-src')), violations.join(', '));
    await page.close();
  });
});
