// The names a member access at the cursor can take when its receiver is a workspace module: `utils_1.` after
// `const utils_1 = require("./utils")`, `utils.pattern.` through the namespace a module re-exports, `mod.` after
// Python's `from . import mod`. A completion there must start with one of them (the runtime's word choices): the
// small model, asked to name something from another file, invents a plausible name far more often than it copies
// the right one from the retrieved snippets (bench/results/context-*).
import * as path from 'node:path';
import type { CodeChunk } from './codeChunk';
import { moduleStem, namespaceImports, type ModuleRef } from './importGraph';
import { scanLine } from './lineScan';
import { readModuleExports, type ModuleExports } from './moduleExports';

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
/** A module with more names than this gives no useful choice. */
const MAX_NAMES = 1000;

/**
 * The names the member access ending `prefix` can take, or undefined when the cursor is not after a workspace
 * module's name (or none of its names starts with what is typed). `text`: the current file, read for its imports.
 */
export function memberChoices(index: ModuleChunks, currentPath: string, text: string, prefix: string): MemberChoices | undefined {
  const access = MEMBER_ACCESS.exec(prefix.slice(-300));
  if (access === null || inCommentOrString(prefix, /\.pyi?$/.test(currentPath))) return undefined;
  const [first, ...rest] = access[1]!.split('.').map((part) => part.trim()).filter((part) => part !== '');
  let stem = resolve(index, currentPath, namespaceImports(currentPath, text).get(first!));
  for (const part of rest) {
    if (stem === undefined) return undefined;
    const module = moduleText(index, stem);
    stem = module === undefined ? undefined : resolve(index, module.path, namespaceImports(module.path, module.text).get(part));
  }
  if (stem === undefined) return undefined;
  const typed = access[2]!;
  const all = moduleNames(index, stem, 0);
  if (all === undefined) return undefined;
  const names = [...all].filter((name) => name.startsWith(typed));
  if (names.length === 0 || names.length > MAX_NAMES) return undefined;
  return { typed, names: names.sort() };
}

/** Whether the end of `prefix` is in a comment or a string, where a dot is prose (read from its last line; a Python docstring from the whole prefix). */
export function inCommentOrString(prefix: string, python: boolean): boolean {
  const line = prefix.slice(prefix.lastIndexOf('\n') + 1);
  const openDocstring = (fence: string) => (prefix.split(fence).length - 1) % 2 === 1;
  if (python ? openDocstring('"""') || openDocstring("'''") : /^\s*(?:\*|\/\*)/.test(line)) return true;
  return scanLine(line, python) !== 'code';
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

/** What one file exports, read once per version of the file (the index replaces its chunks when it changes). */
const exportsOf = new WeakMap<CodeChunk, ModuleExports | null>();

/** The module's exports with what it re-exports, or undefined when they are not known for sure (moduleExports.ts). */
function moduleNames(index: ModuleChunks, stem: string, depth: number): Set<string> | undefined {
  const chunks = index.chunksOfModule(stem);
  if (chunks.length === 0) return undefined;
  let own = exportsOf.get(chunks[0]!.chunk);
  if (own === undefined) {
    const file = chunks[0]!.chunk.path;
    // The index may hold a long chunk cut short: then the file is not all there.
    const complete = chunks.every((c) => c.chunk.text.split('\n').length >= c.chunk.endLine - c.chunk.startLine);
    own = readModuleExports(file, chunks.map((c) => c.chunk.text).join('\n'), complete) ?? null;
    exportsOf.set(chunks[0]!.chunk, own);
  }
  if (own === null) return undefined;
  const names = new Set(own.names);
  if (own.reexports.length > 0) {
    if (depth >= MAX_REEXPORT_DEPTH) return undefined;
    const dir = path.posix.dirname(chunks[0]!.chunk.path);
    for (const specifier of own.reexports) {
      const target = moduleStem(path.posix.normalize(path.posix.join(dir, specifier)));
      if (target === stem) continue;
      const more = moduleNames(index, target, depth + 1);
      if (more === undefined) return undefined;
      for (const name of more) names.add(name);
    }
  }
  return names;
}
