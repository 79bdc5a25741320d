// Which workspace files the current file imports, and under which local names, read from its import and
// require statements (relative specifiers only: those are the workspace's own files). Retrieval favours
// them, most of all the module whose alias sits right before the cursor (`messages_1.`, `utils.`).
import * as path from 'node:path';

const JS_REQUIRE = /(?:const|let|var)\s+([\w$]+|\{[^}]*\})\s*=\s*require\(\s*['"](\.{1,2}\/[^'"]*)['"]\s*\)/g;
const JS_IMPORT = /import\s+(?:type\s+)?([\w$]+\s*,?\s*)?(\*\s+as\s+[\w$]+|\{[^}]*\})?\s*from\s*['"](\.{1,2}\/[^'"]*)['"]/g;
const PY_FROM = /^\s*from\s+(\.+[\w.]*)\s+import[ \t]+\(?([\w \t,]+)\)?/gm;
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
const JS_NAMESPACE = [
  /(?:const|let|var)\s+([\w$]+)\s*=\s*(?:__importStar\(\s*|__toESM\(\s*)?require\(\s*['"](\.{1,2}\/[^'"]*)['"]\s*\)/g,
  /import\s+\*\s+as\s+([\w$]+)\s+from\s*['"](\.{1,2}\/[^'"]*)['"]/g,
  /import\s+([\w$]+)\s*=\s*require\(\s*['"](\.{1,2}\/[^'"]*)['"]\s*\)/g,
  /export\s+\*\s+as\s+([\w$]+)\s+from\s*['"](\.{1,2}\/[^'"]*)['"]/g,
];

/**
 * Local name → module stem, for names bound to a whole module. Python's `from . import name` binds a module only
 * when `name` is one (not a name defined in the package): those stems are candidates the caller checks.
 */
export function namespaceImports(currentPath: string, text: string): Map<string, string> {
  const bindings = new Map<string, string>();
  const dir = path.posix.dirname(currentPath);
  const stemOf = (specifier: string) => moduleStem(path.posix.normalize(path.posix.join(dir, specifier)));
  if (/\.pyi?$/.test(currentPath)) {
    for (const m of text.matchAll(PY_FROM)) {
      const dots = /^\.+/.exec(m[1]!)![0].length;
      const base = (dots === 1 ? './' : '../'.repeat(dots - 1)) + m[1]!.slice(dots).replace(/\./g, '/');
      for (const clause of m[2]!.split(',')) {
        const named = /^\s*([\w]+)(?:\s+as\s+([\w]+))?\s*$/.exec(clause);
        if (named) bindings.set(named[2] ?? named[1]!, stemOf(`${base.replace(/\/?$/, '/')}${named[1]}`));
      }
    }
    return bindings;
  }
  for (const pattern of JS_NAMESPACE) for (const m of text.matchAll(pattern)) bindings.set(m[1]!, stemOf(m[2]!));
  return bindings;
}
