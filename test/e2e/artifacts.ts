// Where a run leaves its screenshots and logs (out/e2e/<suite>/, git-ignored), and what the suite reads back.
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './codeServer';
import type { ExtensionManifest } from './scenario';

export const fixtureWorkspace = path.join(repoRoot, 'test', 'e2e', 'fixtures', 'workspace');

export interface RunDirs {
  root: string;
  workspace: string;
  screenshots: string;
  profile: string;
}

/** A fresh out/e2e/<suite>/ with a copy of the fixture workspace, so typing never touches committed files. */
export function freshRunDirs(suite: string): RunDirs {
  const root = path.join(repoRoot, 'out', 'e2e', suite);
  rmSync(root, { recursive: true, force: true });
  const workspace = path.join(root, 'workspace');
  cpSync(fixtureWorkspace, workspace, { recursive: true });
  const screenshots = path.join(root, 'screenshots');
  const profile = path.join(root, 'profile');
  mkdirSync(screenshots, { recursive: true });
  mkdirSync(profile, { recursive: true });
  return { root, workspace, screenshots, profile };
}

/** The .vsix the suite installs: $LOCUS_E2E_VSIX, or what `npm run package` wrote for this machine. */
export function vsixPath(): string {
  const fromEnv = process.env.LOCUS_E2E_VSIX;
  if (fromEnv) return path.resolve(fromEnv);
  const manifest = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { name: string; version: string };
  const file = path.join(repoRoot, 'out', 'vsix', `${manifest.name}-${process.platform}-${process.arch}-${manifest.version}.vsix`);
  if (!existsSync(file)) throw new Error(`${file} does not exist: run \`npm run package\` first (npm run test:e2e does).`);
  return file;
}

/** package.json of the extension as installed from the .vsix. */
export function installedManifest(extensionsDir: string, id: string): { dir: string; manifest: ExtensionManifest } {
  const dir = readdirSync(extensionsDir).find((d) => d.toLowerCase().startsWith(`${id.toLowerCase()}-`));
  if (dir === undefined) throw new Error(`${id} is not in ${extensionsDir}: ${readdirSync(extensionsDir).join(', ')}`);
  const full = path.join(extensionsDir, dir);
  return { dir: full, manifest: JSON.parse(readFileSync(path.join(full, 'package.json'), 'utf8')) as ExtensionManifest };
}

function findFiles(dir: string, match: (name: string) => boolean, found: string[] = []): string[] {
  if (!existsSync(dir)) return found;
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) findFiles(full, match, found);
    else if (match(name)) found.push(full);
  }
  return found;
}

/** The whole Locus Output channel, from its log files under a VS Code user-data dir (one per extension host, in order). */
export function locusLog(userDataDir: string): string {
  return findFiles(path.join(userDataDir, 'logs'), (n) => /locus/i.test(n) && n.endsWith('.log'))
    .sort()
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n');
}

/** The last lines of the Locus Output channel's log files under a VS Code user-data dir. */
export function locusLogTail(userDataDir: string, lines = 40): string {
  return findFiles(path.join(userDataDir, 'logs'), (n) => /locus/i.test(n) && n.endsWith('.log'))
    .map((f) => `--- ${f}\n${readFileSync(f, 'utf8').split('\n').slice(-lines).join('\n')}`)
    .join('\n');
}
