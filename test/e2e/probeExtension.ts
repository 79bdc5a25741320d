// Packs test/e2e/ghost-probe (a test-only extension with one known inline completion) into a .vsix for the suites.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './codeServer';

const probeDir = path.join(repoRoot, 'test', 'e2e', 'ghost-probe');

const probe = JSON.parse(readFileSync(path.join(probeDir, 'probe.json'), 'utf8')) as { trigger: string; text: string };
/** What to type on an empty line for the probe to offer its completion. */
export const probeTrigger = probe.trigger;
/** The completion the probe offers, as Tab inserts it. */
export const probeText = probe.text;

export function buildProbeVsix(outDir: string): string {
  const out = path.join(outDir, 'ghost-probe.vsix');
  execFileSync(
    path.join(repoRoot, 'node_modules', '.bin', 'vsce'),
    ['package', '--allow-missing-repository', '--skip-license', '--out', out],
    { cwd: probeDir, stdio: 'pipe', timeout: 120_000 },
  );
  return out;
}
