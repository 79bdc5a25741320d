import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createNonce, dashboardCsp, renderDashboardHtml } from '../../extension/dashboardHtml';

const TEMPLATE = readFileSync(join(import.meta.dirname, '..', '..', 'media', 'dashboard', 'index.html'), 'utf8');
const INPUTS = {
  cspSource: 'https://file+.vscode-resource.vscode-cdn.net',
  nonce: 'bm9uY2U+PQ==',
  styleUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/media/dashboard/dashboard.css',
  scriptUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/media/dashboard/dashboard.js',
};

describe('dashboard HTML', () => {
  it('fills every placeholder of the template', () => {
    const html = renderDashboardHtml(TEMPLATE, INPUTS);
    assert.doesNotMatch(html, /\{\{/);
    assert.ok(html.includes(`<script nonce="bm9uY2U+PQ==" src="${INPUTS.scriptUri}">`));
    assert.ok(html.includes(`<link rel="stylesheet" href="${INPUTS.styleUri}">`));
  });

  it('has a strict policy: nothing remote, no inline code, scripts only with the nonce', () => {
    const csp = dashboardCsp(INPUTS.cspSource, 'abc');
    assert.match(csp, /^default-src 'none'; /);
    assert.match(csp, /script-src 'nonce-abc'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:\/\/\*|\*/);
    const html = renderDashboardHtml(TEMPLATE, INPUTS);
    assert.ok(html.includes(`content="${dashboardCsp(INPUTS.cspSource, INPUTS.nonce)}"`));
    // The only script is the nonce'd file; no inline handlers or inline styles in the template.
    assert.equal(html.match(/<script/g)?.length, 1);
    assert.doesNotMatch(TEMPLATE, /\son\w+=|style=/);
  });

  it('rejects a template with an unknown placeholder and escapes attribute values', () => {
    assert.throws(() => renderDashboardHtml('{{other}}', INPUTS), /unknown placeholder \{\{other\}\}/);
    assert.equal(renderDashboardHtml('{{nonce}}', { ...INPUTS, nonce: '"><script>' }), '&quot;&gt;&lt;script&gt;');
  });

  it('makes a fresh, unguessable nonce each time', () => {
    const nonces = new Set(Array.from({ length: 50 }, createNonce));
    assert.equal(nonces.size, 50);
    for (const nonce of nonces) assert.match(nonce, /^[A-Za-z0-9+/]{24}$/);
  });
});
