// The names a member access at the cursor can take when its receiver is a workspace module: `utils_1.` after
// `const utils_1 = require("./utils")`, `utils.pattern.` through the namespace a module re-exports, `mod.` after
// Python's `from . import mod`. A completion there must start with one of them (the runtime's word choices): the
// small model, asked to name something from another file, invents a plausible name far more often than it copies
// the right one from the retrieved snippets (bench/results/context-*).
import * as path from 'node:path';
import type { CodeChunk } from './codeChunk';
import { moduleStem, namespaceImports, type ModuleRef } from './importGraph';

/** What the index offers: the chunks of the file a module stem names (empty when it is not in the workspace). */
export interface ModuleChunks {
  chunksOfModule(stem: string): readonly { chunk: CodeChunk }[];
  /** Stems of the files named like `name` (WorkspaceIndex.modulesNamed: case, `-` and `_` ignored). */
  modulesNamed(name: string): string[];
}

export interface MemberChoices {
  /** The part of the member's name already typed before the cursor. */
  typed: string;
  /** Names the member can take that start with `typed`, whole. */
  names: string[];
}

/** `a.b.` or `a.b.par` at the end of the text: the receiver chain and the part typed (not after `this.x.` or `?.`). */
const MEMBER_ACCESS = /(?<![\w$.#?])((?:[A-Za-z_$][\w$]*[ \t]*\.[ \t]*)+)([\w$]*)$/;
/** How far re-exports (`export * from`) are followed. */
const MAX_REEXPORT_DEPTH = 2;
/** A module with more names than this gives no useful choice (and costs each decoding step a long scan). */
const MAX_NAMES = 1000;

// Exports a module declares, where it says so: ES `export` declarations and lists, CommonJS `exports.name =`, and
// esbuild's `__export(x_exports, { name: () => name })`.
const EXPORT_DECLARATION = /^[ \t]*export[ \t]+(?:default[ \t]+)?(?:declare[ \t]+)?(?:abstract[ \t]+)?(?:async[ \t]+)?(?:function\*?|class|const|let|var|interface|type|enum|namespace)[ \t]+([\w$]+)/gm;
const EXPORT_LIST = /^[ \t]*export[ \t]*(?:type[ \t]*)?\{([^}]*)\}/gm;
const COMMONJS_EXPORT = /\b(?:module\.)?exports\.([\w$]+)[ \t]*=/g;
const ESBUILD_EXPORT = /\b([\w$]+)[ \t]*:[ \t]*\(\)[ \t]*=>[ \t]*\1\b/g;
const REEXPORT = [/export[ \t]*\*[ \t]*from[ \t]*['"](\.{1,2}\/[^'"]*)['"]/g, /__exportStar\(\s*require\(\s*['"](\.{1,2}\/[^'"]*)['"]\s*\)/g];

/**
 * The names the member access ending `prefix` can take, or undefined when the cursor is not after a workspace
 * module's name (or none of its names starts with what is typed). `text`: the current file, read for its imports.
 */
export function memberChoices(index: ModuleChunks, currentPath: string, text: string, prefix: string): MemberChoices | undefined {
  const access = MEMBER_ACCESS.exec(prefix.slice(-300));
  if (access === null) return undefined;
  const [first, ...rest] = access[1]!.split('.').map((part) => part.trim()).filter((part) => part !== '');
  let stem = resolve(index, currentPath, namespaceImports(currentPath, text).get(first!));
  for (const part of rest) {
    if (stem === undefined) return undefined;
    const module = moduleText(index, stem);
    stem = module === undefined ? undefined : resolve(index, module.path, namespaceImports(module.path, module.text).get(part));
  }
  if (stem === undefined) return undefined;
  const typed = access[2]!;
  const names = [...moduleNames(index, stem, 0)].filter((name) => name.startsWith(typed));
  if (names.length === 0 || names.length > MAX_NAMES) return undefined;
  return { typed, names: names.sort() };
}

/** The words a completion at the cursor must start with: each name less what is typed of it. */
export function wordChoices(choices: MemberChoices): string[] {
  return choices.names.map((name) => name.slice(choices.typed.length));
}

/**
 * A workspace stem for the module, or undefined. Python's dotted path may sit under a folder (`src/a/b` for `a.b`),
 * and a project can hold two (`src/a/b`, `tests/a/b`): the one sharing most folders with the current file, when
 * that is one.
 */
function resolve(index: ModuleChunks, currentPath: string, ref: ModuleRef | undefined): string | undefined {
  if (ref === undefined || !ref.absolute) return ref?.stem;
  if (index.chunksOfModule(ref.stem).length > 0) return ref.stem;
  const base = ref.stem.slice(ref.stem.lastIndexOf('/') + 1);
  const found = [...new Set(index.modulesNamed(base).filter((stem) => stem.endsWith(`/${ref.stem}`)))];
  const shared = (stem: string) => {
    const a = stem.split('/');
    const b = currentPath.split('/');
    let n = 0;
    while (n < a.length - 1 && n < b.length - 1 && a[n] === b[n]) n++;
    return n;
  };
  const best = Math.max(...found.map(shared));
  const nearest = found.filter((stem) => shared(stem) === best);
  return nearest.length === 1 ? nearest[0] : undefined;
}

function moduleText(index: ModuleChunks, stem: string): { path: string; text: string } | undefined {
  const chunks = index.chunksOfModule(stem);
  if (chunks.length === 0) return undefined;
  return { path: chunks[0]!.chunk.path, text: chunks.map((c) => c.chunk.text).join('\n') };
}

/** What one file exports and re-exports, read once per version of the file (chunks are replaced when it changes). */
interface OwnExports {
  names: ReadonlySet<string>;
  /** Stems of the modules it re-exports whole. */
  reexports: readonly string[];
}

const ownExportsOf = new WeakMap<CodeChunk, OwnExports>();

/** The module's exports where it marks them (else every name it declares), with what it re-exports. */
function moduleNames(index: ModuleChunks, stem: string, depth: number): Set<string> {
  const chunks = index.chunksOfModule(stem);
  if (chunks.length === 0) return new Set();
  let own = ownExportsOf.get(chunks[0]!.chunk);
  if (own === undefined) {
    own = readExports(chunks.map((c) => c.chunk));
    ownExportsOf.set(chunks[0]!.chunk, own);
  }
  const names = new Set(own.names);
  if (depth < MAX_REEXPORT_DEPTH) {
    for (const target of own.reexports) if (target !== stem) for (const name of moduleNames(index, target, depth + 1)) names.add(name);
  }
  return names;
}

function readExports(chunks: readonly CodeChunk[]): OwnExports {
  const file = chunks[0]!.path;
  const names = new Set<string>();
  if (/\.pyi?$/.test(file)) {
    for (const chunk of chunks) for (const symbol of chunk.symbols) if (!symbol.startsWith('_')) names.add(symbol);
    return { names, reexports: [] };
  }
  const text = chunks.map((c) => c.text).join('\n');
  for (const m of text.matchAll(EXPORT_DECLARATION)) names.add(m[1]!);
  for (const m of text.matchAll(EXPORT_LIST)) {
    for (const item of m[1]!.split(',')) {
      const exported = /([\w$]+)\s*$/.exec(item.trim())?.[1];
      if (exported !== undefined && exported !== 'default') names.add(exported);
    }
  }
  for (const m of text.matchAll(COMMONJS_EXPORT)) names.add(m[1]!);
  for (const m of text.matchAll(ESBUILD_EXPORT)) names.add(m[1]!);
  names.delete('__esModule');
  if (names.size === 0) for (const chunk of chunks) for (const symbol of chunk.symbols) names.add(symbol);
  const reexports = REEXPORT.flatMap((pattern) =>
    [...text.matchAll(pattern)].map((m) => moduleStem(path.posix.normalize(path.posix.join(path.posix.dirname(file), m[1]!))))
  );
  return { names, reexports };
}
