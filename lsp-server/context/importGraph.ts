// Which workspace files the current file imports, and under which local names, read from its import and
// require statements (relative specifiers only: those are the workspace's own files). Retrieval favours
// them, most of all the module whose alias sits right before the cursor (`messages_1.`, `utils.`).
import * as path from 'node:path';

const JS_REQUIRE = /(?:const|let|var)\s+([\w$]+|\{[^}]*\})\s*=\s*require\(\s*['"](\.{1,2}\/[^'"]*)['"]\s*\)/g;
// No two optional whitespace runs meet: `import os` and a run of blank lines took cubic time in the run (1.8 s of the
// server's thread at 1,600 lines, at every completion there).
const JS_IMPORT = /import\s+(?:type\s+)?(?:([\w$]+)\s*(?:,\s*)?)?(?:(\*\s+as\s+[\w$]+|\{[^}]*\})\s*)?from\s*['"](\.{1,2}\/[^'"]*)['"]/g;
// Leading blanks of the line only (a `\s*` after `^` ran over every blank line after it, at every line start), and one
// dot then the rest (`\.+[\w.]*` overlapped on a run of dots).
const PY_FROM = /^[^\S\n\r\u2028\u2029]*from\s+(\.[\w.]*)\s+import[ \t]+\(?([\w \t,]+)\)?/gm;
const SOURCE_EXTENSION = /\.(ts|tsx|mts|cts|js|jsx|mjs|cjs|py|pyi)$/;

/** Module path stem (workspace-relative, no extension, no trailing /index) → local names bound to it. */
export type ImportedModules = Map<string, string[]>;

export function importedModules(currentPath: string, text: string): ImportedModules {
  const modules: ImportedModules = new Map();
  const dir = path.posix.dirname(currentPath);
  const add = (specifier: string, names: string[]): void => {
    const stem = moduleStem(path.posix.normalize(path.posix.join(dir, specifier)));
    modules.set(stem, [...(modules.get(stem) ?? []), ...names]);
  };
  for (const m of text.matchAll(JS_REQUIRE)) add(m[2]!, bindingNames(m[1]!));
  for (const m of text.matchAll(JS_IMPORT)) add(m[3]!, [...bindingNames(m[1] ?? ''), ...bindingNames(m[2] ?? '')]);
  for (const m of text.matchAll(PY_FROM)) {
    const dots = /^\.+/.exec(m[1]!)![0].length;
    const rest = m[1]!.slice(dots).replace(/\./g, '/');
    const up = dots === 1 ? './' : '../'.repeat(dots - 1);
    const names = bindingNames(m[2]!);
    if (rest === '') for (const name of names) add(up + name, [name]);
    else add(up + rest, names);
  }
  return modules;
}

/** `a/b/index.ts` and `a/b.js` both become `a/b`. */
export function moduleStem(filePath: string): string {
  return filePath.replace(SOURCE_EXTENSION, '').replace(/\/(index|__init__)$/, '');
}

function bindingNames(clause: string): string[] {
  return [...clause.replace(/\*\s+as\s+/, '').matchAll(/([\w$]+)\s*:\s*([\w$]+)|([\w$]+)(?:\s+as\s+([\w$]+))?/g)]
    .map((m) => m[2] ?? m[4] ?? m[3]!)
    .filter((n) => n !== 'type');
}

/** The name right before the cursor when it is followed by a dot (`alias.` or `alias.partialName`). */
export function receiverBeforeCursor(prefix: string): string | undefined {
  return /([\w$]+)\s*\.\s*[\w$]*$/.exec(prefix.slice(-200))?.[1];
}

// A local name bound to a whole workspace module (its members are the module's exports): `const m = require('./m')`
// (also through TypeScript's `__importStar` and esbuild's `__toESM`), `import * as m from './m'`,
// `import m = require('./m')`, and `export * as m from './m'` in a module that re-exports it.
// The require call must end the expression: `require('./m').Router` and `require('./m')('app')` bind something else.
const JS_NAMESPACE = [
  /(?:const|let|var)\s+([\w$]+)\s*=\s*(?:__importStar\(\s*|__toESM\(\s*)?require\(\s*['"](\.{1,2}\/[^'"]*)['"]\s*\)(?=[ \t]*(?:\)[ \t]*)?(?:[;,\r\n]|$))/g,
  /import\s+\*\s+as\s+([\w$]+)\s+from\s*['"](\.{1,2}\/[^'"]*)['"]/g,
  /import\s+([\w$]+)\s*=\s*require\(\s*['"](\.{1,2}\/[^'"]*)['"]\s*\)(?=[ \t]*(?:[;,\r\n]|$))/g,
  /export\s+\*\s+as\s+([\w$]+)\s+from\s*['"](\.{1,2}\/[^'"]*)['"]/g,
];
// Python's absolute forms, which name workspace packages as often as installed ones: `import a.b as m`, `from a import m`
// (a parenthesised list may span lines).
const PY_IMPORT_AS = /^[ \t]*import[ \t]+([\w.]+)[ \t]+as[ \t]+(\w+)[ \t]*(?:#.*)?$/gm;
const PY_FROM_ABSOLUTE = /^[ \t]*from[ \t]+(\w[\w.]*)[ \t]+import[ \t]+(?:\(([^)]*)\)|([\w \t,]+))/gm;

/** A module a name is bound to: a workspace-relative stem, or for Python's absolute imports a dotted path's stem (`a/b`) the caller looks for in the workspace. */
export interface ModuleRef {
  stem: string;
  absolute: boolean;
}

/** The names of a Python `from x import …` list (`a, b as c`, comments and line breaks inside parentheses allowed) and the local name each gets. */
export function pythonImportList(clause: string): { name: string; local: string }[] {
  return clause.replace(/#[^\n]*/g, '').split(',').flatMap((item) => {
    const named = /^\s*(\w+)(?:\s+as\s+(\w+))?\s*$/.exec(item);
    return named ? [{ name: named[1]!, local: named[2] ?? named[1]! }] : [];
  });
}

/**
 * Local name → module, for names bound to a whole module. Python's `from x import name` binds a module only when
 * `name` is one (not a name defined in the package): those are candidates the caller checks.
 */
export function namespaceImports(currentPath: string, text: string): Map<string, ModuleRef> {
  const bindings = new Map<string, ModuleRef>();
  const dir = path.posix.dirname(currentPath);
  const relative = (specifier: string): ModuleRef => ({ stem: moduleStem(path.posix.normalize(path.posix.join(dir, specifier))), absolute: false });
  if (/\.pyi?$/.test(currentPath)) {
    for (const m of text.matchAll(PY_FROM)) {
      const dots = /^\.+/.exec(m[1]!)![0].length;
      const base = (dots === 1 ? './' : '../'.repeat(dots - 1)) + m[1]!.slice(dots).replace(/\./g, '/');
      for (const { name, local } of pythonImportList(m[2]!)) bindings.set(local, relative(`${base.replace(/\/?$/, '/')}${name}`));
    }
    for (const m of text.matchAll(PY_FROM_ABSOLUTE)) {
      for (const { name, local } of pythonImportList(m[2] ?? m[3]!)) bindings.set(local, { stem: `${m[1]!.replace(/\./g, '/')}/${name}`, absolute: true });
    }
    for (const m of text.matchAll(PY_IMPORT_AS)) bindings.set(m[2]!, { stem: m[1]!.replace(/\./g, '/'), absolute: true });
    return bindings;
  }
  for (const pattern of JS_NAMESPACE) for (const m of text.matchAll(pattern)) bindings.set(m[1]!, relative(m[2]!));
  return bindings;
}
