// Renders media/icon.svg to media/icon.png (128x128, transparent corners) with Debian's chromium through
// playwright-core, so the marketplace icon is reproducible: `node scripts/make-icon.mjs`.
import { readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';

const executablePath = process.env.LOCUS_CHROMIUM ?? '/usr/bin/chromium';
const svg = readFileSync(new URL('../media/icon.svg', import.meta.url), 'utf8');
const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
try {
  const page = await browser.newPage({ viewport: { width: 128, height: 128 }, deviceScaleFactor: 1 });
  await page.setContent(`<html><body style="margin:0;background:transparent">${svg}</body></html>`);
  const out = new URL('../media/icon.png', import.meta.url).pathname;
  await page.locator('svg').screenshot({ path: out, omitBackground: true });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
}
