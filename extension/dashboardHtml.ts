// The latency dashboard's HTML: the template in media/dashboard/index.html with its content security policy,
// nonce and asset URIs filled in. Free of `vscode` so the headless-browser test builds the very same page.
import { randomBytes } from 'node:crypto';

export interface DashboardHtmlInputs {
  /** `webview.cspSource`: the origin the webview serves local resources from. */
  cspSource: string;
  /** Fresh for every page load; only the script tag carrying it may run. */
  nonce: string;
  styleUri: string;
  scriptUri: string;
}

export function createNonce(): string {
  return randomBytes(18).toString('base64');
}

/** Nothing remote, no inline script or style, no eval, no forms or frames: local files and the nonce'd script only. */
export function dashboardCsp(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `style-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
    `img-src ${cspSource} data:`,
    `font-src ${cspSource}`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

const PLACEHOLDER = /\{\{(\w+)\}\}/g;

export function renderDashboardHtml(template: string, inputs: DashboardHtmlInputs): string {
  const values: Record<string, string> = {
    csp: dashboardCsp(inputs.cspSource, inputs.nonce),
    nonce: inputs.nonce,
    styleUri: inputs.styleUri,
    scriptUri: inputs.scriptUri,
  };
  return template.replace(PLACEHOLDER, (match, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`The dashboard template has an unknown placeholder ${match}.`);
    return escapeAttribute(value);
  });
}

function escapeAttribute(value: string): string {
  return value.replaceAll('&', '&amp;').replaceAll('"', '&quot;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}
