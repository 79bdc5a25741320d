// Cross-file completion cases from real multi-file code: the cursor sits where a line uses a name that is
// declared in another file of the same package and appears nowhere else in the current file, so only
// context from other files can supply it. The expected completion is the rest of that line.
import { mulberry32 } from '../../runtime/sampler';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { identifiers, isKeyword } from '../../lsp-server/context/codeTerms';
import type { Chunker } from '../../lsp-server/context/workspaceIndex';

export interface CrossFileCase {
  id: string;
  /** Workspace-relative path of the file being completed. */
  path: string;
  prefix: string;
  suffix: string;
  /** The rest of the line from the cursor. */
  expected: string;
  /** The name from another file the completion needs. */
  name: string;
  declaredIn: string[];
}

export interface CaseOptions {
  maxCases: number;
  maxPerPackage: number;
  seed: number;
}

const MIN_NAME = 6;
/** A name declared in more files than this is too generic to need one particular file. */
const MAX_DECLARING_FILES = 3;
/** Names JavaScript itself provides (`length`, `resolve`, `toString`…): a model knows them without any file. */
const BUILTIN_OWNERS: object[] = [globalThis, Object.prototype, Array.prototype, String.prototype, Number.prototype, Function.prototype, Promise, Promise.prototype, Map.prototype, Set.prototype, Object, Array, JSON, Math, Error.prototype, RegExp.prototype, Date.prototype];
const isBuiltin = (name: string): boolean => BUILTIN_OWNERS.some((owner) => name in owner);
const SKIP_LINE = /^\s*(\/\/|\*|\/\*|import\b|export\s+\*|.*\brequire\()/;

export async function buildCrossFileCases(root: string, files: readonly string[], chunker: Chunker, options: CaseOptions): Promise<CrossFileCase[]> {
  const texts = new Map<string, string>();
  const declared = new Map<string, Set<string>>();
  const declaringFiles = new Map<string, Map<string, string[]>>(); // package → name → files
  for (const path of files) {
    const text = readFileSync(join(root, path), 'utf8');
    texts.set(path, text);
    const names = new Set((await chunker.chunk(path, text)).flatMap((c) => c.symbols));
    declared.set(path, names);
    const pkg = packageOf(path);
    const byName = declaringFiles.get(pkg) ?? new Map<string, string[]>();
    declaringFiles.set(pkg, byName);
    for (const name of names) byName.set(name, [...(byName.get(name) ?? []), path]);
  }

  const perPackage = new Map<string, CrossFileCase[]>();
  for (const path of files) {
    const text = texts.get(path)!;
    const own = declared.get(path)!;
    const byName = declaringFiles.get(packageOf(path))!;
    const counts = new Map<string, number>();
    for (const id of identifiers(text)) counts.set(id, (counts.get(id) ?? 0) + 1);
    const lines = text.split('\n');
    let offset = 0;
    for (const [lineIndex, line] of lines.entries()) {
      if (!SKIP_LINE.test(line)) {
        for (const match of line.matchAll(/[A-Za-z_$][\w$]*/g)) {
          const name = match[0];
          const elsewhere = byName.get(name)?.filter((f) => f !== path) ?? [];
          if (name.length < MIN_NAME || isKeyword(name) || isBuiltin(name) || own.has(name) || counts.get(name) !== 1) continue;
          if (elsewhere.length === 0 || elsewhere.length > MAX_DECLARING_FILES) continue;
          const column = match.index;
          if (/^\s*:/.test(line.slice(column + name.length))) continue; // an object key, not a use
          const expected = line.slice(column).trimEnd();
          if (expected.length > 100) continue;
          const cursor = offset + column;
          const list = perPackage.get(packageOf(path)) ?? [];
          perPackage.set(packageOf(path), list);
          list.push({ id: `${path}:${lineIndex + 1}:${column + 1}`, path, prefix: text.slice(0, cursor), suffix: text.slice(offset + line.length), expected, name, declaredIn: elsewhere });
          break;
        }
      }
      offset += line.length + 1;
    }
  }
  const random = mulberry32(options.seed);
  const cases: CrossFileCase[] = [];
  for (const pkg of [...perPackage.keys()].sort()) cases.push(...shuffle(perPackage.get(pkg)!, random).slice(0, options.maxPerPackage));
  return shuffle(cases, random).slice(0, options.maxCases);
}

function packageOf(path: string): string {
  return path.split('/')[0]!;
}


/** A seeded Fisher-Yates shuffle: a new array, `items` untouched. */
export function shuffle<T>(items: T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
