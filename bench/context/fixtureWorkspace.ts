// Assembles the benchmark workspace from the sources of permissively licensed npm packages that the lockfile
// pins (so every run sees the same code). These packages are held out of the training corpus.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

/**
 * Multi-file packages whose files call into each other, none of them in the training corpus
 * (training/corpus/packages.tsv). One build per package (`roots`), so no file has a CommonJS/ESM twin that
 * would hand retrieval the very line being completed.
 */
export const FIXTURE_PACKAGES: readonly FixtureSource[] = [
  { name: 'vscode-languageclient', roots: ['lib'] },
  { name: '@typescript-eslint/scope-manager', roots: ['dist'], skip: ['dist/lib'] },
  { name: 'cockatiel', roots: ['dist'], skip: ['dist/esm'] },
  { name: '@azure/core-rest-pipeline', roots: ['dist/commonjs'] },
  { name: '@azure/core-client', roots: ['dist/commonjs'] },
  { name: 'table', roots: ['dist/src'] },
  { name: 'fast-glob', roots: ['out'] },
];

/**
 * TypeScript sources (not compiled output), where an editor knows the types of objects and `this`: the context
 * bench's `--fixture ts-sources`. Neither package is in the training corpus; msal-common's sources import only
 * each other.
 */
export const TS_SOURCE_PACKAGES: readonly FixtureSource[] = [
  { name: '@azure/msal-common', roots: ['src'] },
  { name: 'onnxruntime-common', roots: ['lib'] },
];

export interface FixtureSource {
  name: string;
  /** Folders of the package copied into the workspace. */
  roots: string[];
  skip?: string[];
}

const PERMISSIVE = new Set(['MIT', 'ISC', 'Apache-2.0', 'BSD-2-Clause', 'BSD-3-Clause']);
const SOURCE = /\.(js|cjs|mjs|ts)$/;
const MAX_BYTES = 256 * 1024;

export interface FixturePackage {
  name: string;
  version: string;
  license: string;
  files: number;
  /** Folder of the package inside the workspace. */
  folder: string;
}

/** Copies each package's source files (no nested node_modules, no minified bundles) to `<target>/<package>/…`. */
export function assembleFixtureWorkspace(nodeModules: string, target: string, sources: readonly FixtureSource[] = FIXTURE_PACKAGES): FixturePackage[] {
  const packages: FixturePackage[] = [];
  for (const { name, roots, skip = [] } of sources) {
    const source = join(nodeModules, name);
    const manifest = JSON.parse(readFileSync(join(source, 'package.json'), 'utf8')) as { version: string; license?: string };
    const license = manifest.license ?? 'unknown';
    if (!PERMISSIVE.has(license)) continue;
    const folder = name.replace('/', '__');
    let files = 0;
    const skipped = skip.map((dir) => join(source, dir));
    const sources = roots.flatMap((root) => listSources(join(source, root))).filter((file) => !skipped.some((dir) => file.startsWith(dir + '/')));
    for (const file of sources) {
      const destination = join(target, folder, relative(source, file));
      mkdirSync(dirname(destination), { recursive: true });
      copyFileSync(file, destination);
      files++;
    }
    packages.push({ name, version: manifest.version, license, files, folder });
  }
  return packages;
}

function listSources(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const file = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && !entry.name.startsWith('.')) out.push(...listSources(file));
    } else if (entry.isFile() && SOURCE.test(entry.name) && !entry.name.endsWith('.min.js') && !entry.name.endsWith('.d.ts')) {
      if (statSync(file).size <= MAX_BYTES) out.push(file);
    }
  }
  return out;
}
