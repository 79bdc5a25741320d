// What a module exports, read from its text. Completions on a module's members may only take these names
// (moduleMembers.ts), so a name missed here could never be written: where the text does not say for sure (a whole
// object assigned to `module.exports`, a star import from outside the workspace, a file the index holds only in
// part), the answer is "unknown" and the completion stays free.
import { pythonImportList } from './importGraph';
import { scanLine } from './lineScan';

export interface ModuleExports {
  names: ReadonlySet<string>;
  /** Relative specifiers of modules re-exported whole (`export * from './x'`), to be followed by the caller. */
  reexports: readonly string[];
}

// ES: `export function f`, `export class C`, `export const x` ... (a default export is not a named member).
const EXPORT_DECLARATION = /^[ \t]*export[ \t]+(?:declare[ \t]+)?(?:abstract[ \t]+)?(?:async[ \t]+)?(?:function(?:[ \t]*\*)?|class|const|let|var|interface|type|enum|namespace)[ \t]+([\w$]+)/gm;
const EXPORT_VARIABLES = /^[ \t]*export[ \t]+(?:declare[ \t]+)?(?:const|let|var)[ \t]+([^;\n]*)/gm;
// `export { a, b as c }`, `export type { T }`, `export { x } from './y'`.
const EXPORT_LIST = /^[ \t]*export[ \t]*(?:type[ \t]*)?\{([^}]*)\}/gm;
const EXPORT_NAMESPACE = /export[ \t]*\*[ \t]*as[ \t]+([\w$]+)[ \t]+from/g;
const ES_STAR = /export[ \t]*\*[ \t]*from[ \t]*['"]([^'"]+)['"]/g;
// CommonJS as tsc and hand-written code write it, and esbuild's `__export(x_exports, { name: () => name })`.
const COMMONJS_EXPORT = /\b(?:module\.)?exports\.([\w$]+)[ \t]*=(?!=)/g;
const DEFINE_PROPERTY = /Object\.defineProperty\(\s*(?:module\.)?exports\s*,\s*['"]([\w$]+)['"]/g;
const ESBUILD_EXPORTS = /__export\(\s*[\w$]+\s*,\s*\{([^}]*)\}/g;
const COMMONJS_STAR = /__exportStar\(\s*require\(\s*['"]([^'"]+)['"]\s*\)/g;
// esbuild's `module.exports = __toCommonJS(x_exports)` hands over what `__export` listed.
const WHOLE_OBJECT = /\bmodule\.exports[ \t]*=(?!=)[ \t]*(__toCommonJS\(|\{[^}]*\})?/g;

/** The module's exports, or undefined when its text does not settle them. `complete`: the text is the whole file. */
export function readModuleExports(path: string, text: string, complete: boolean): ModuleExports | undefined {
  if (!complete) return undefined;
  return /\.pyi?$/.test(path) ? pythonExports(text) : scriptExports(text);
}

function scriptExports(text: string): ModuleExports | undefined {
  const names = new Set<string>();
  const reexports: string[] = [];
  for (const m of text.matchAll(EXPORT_DECLARATION)) names.add(m[1]!);
  // `export const a = 1, b = 2`: every declarator (a comma inside a value may add a name that is not there).
  for (const m of text.matchAll(EXPORT_VARIABLES)) for (const part of m[1]!.split(',')) {
    const declared = /^\s*([\w$]+)\s*[:=]/.exec(part)?.[1];
    if (declared !== undefined) names.add(declared);
  }
  for (const m of text.matchAll(EXPORT_LIST)) {
    for (const item of m[1]!.split(',')) {
      const exported = /([\w$]+)\s*$/.exec(item.trim())?.[1];
      if (exported !== undefined && exported !== 'default') names.add(exported);
    }
  }
  for (const m of text.matchAll(EXPORT_NAMESPACE)) names.add(m[1]!);
  for (const m of text.matchAll(COMMONJS_EXPORT)) names.add(m[1]!);
  for (const m of text.matchAll(DEFINE_PROPERTY)) names.add(m[1]!);
  for (const m of text.matchAll(ESBUILD_EXPORTS)) for (const entry of m[1]!.matchAll(/([\w$]+)\s*:\s*\(\)\s*=>/g)) names.add(entry[1]!);
  for (const m of text.matchAll(WHOLE_OBJECT)) {
    // `module.exports = { a, b: impl, c() {} }` lists its members; anything else (a class, a function, a spread)
    // makes them unknown.
    const literal = m[1];
    if (literal === '__toCommonJS(') continue;
    if (literal === undefined || literal.includes('...')) return undefined;
    for (const entry of literal.slice(1, -1).split(',')) {
      const key = /^\s*([\w$]+)/.exec(entry)?.[1];
      if (key !== undefined) names.add(key);
    }
  }
  for (const pattern of [ES_STAR, COMMONJS_STAR]) {
    for (const m of text.matchAll(pattern)) {
      if (!m[1]!.startsWith('.')) return undefined; // a package outside the workspace: its names are unknown
      reexports.push(m[1]!);
    }
  }
  // A compiled module that exports only types has its `__esModule` marker and nothing else: no members, known.
  const marked = names.delete('__esModule');
  return names.size === 0 && reexports.length === 0 && !marked ? undefined : { names, reexports };
}

const PY_ALL = /^__all__[ \t]*(?::[^=\n]*)?=[ \t]*[[(]([^\])]*)[\])][ \t]*(?:#.*)?$/m;
const PY_ALL_CHANGED = /__all__[ \t]*(?:\+=|\.(?:extend|append)\(|=[^=\n]*\+)/;
const PY_HEADER = /^(async[ \t]+def|def|class|if|elif|else|try|except|finally|with|for|while|match|case)\b.*:[ \t]*(?:#.*)?$/;
const PY_DEFINITION = /^(?:async[ \t]+)?(?:def|class)[ \t]+(\w+)/;
const PY_ASSIGNMENT = /^([A-Za-z_]\w*)[ \t]*(?::[^=\n]+)?=(?!=)/;
const PY_IMPORT = /^import[ \t]+([\w.]+)(?:[ \t]+as[ \t]+(\w+))?/;
const PY_FROM_LINE = /^from[ \t]+[\w.]+[ \t]+import[ \t]+\(?([^()#]*)\)?/;
// A parenthesised list over several lines.
const PY_FROM_BLOCK = /^[ \t]*from[ \t]+[\w.]+[ \t]+import[ \t]*\(([^)]*)\)/gm;

/**
 * `__all__` when the module lists it; else every name bound outside functions and classes (at the top level or in
 * a top-level `if`/`try`), private ones (`_x`) left out. A star import makes the names unknown.
 */
function pythonExports(text: string): ModuleExports | undefined {
  if (/^[ \t]*from[ \t]+\S+[ \t]+import[ \t]+\*/m.test(text) || PY_ALL_CHANGED.test(text)) return undefined;
  const listed = PY_ALL.exec(text);
  if (listed !== null) return { names: new Set([...listed[1]!.matchAll(/['"](\w+)['"]/g)].map((m) => m[1]!)), reexports: [] };
  if (/^__all__\b/m.test(text)) return undefined; // computed: unknown
  const names = new Set<string>();
  const addList = (list: string) => {
    for (const { local } of pythonImportList(list)) names.add(local);
  };
  const blocks: { indent: number; inFunctionOrClass: boolean }[] = [];
  let open = 0; // brackets still open: the line continues a statement
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    const code = line.trimStart();
    if (code === '' || code.startsWith('#')) continue;
    const continued = open > 0;
    open = Math.max(0, open + bracketBalance(code));
    if (continued) continue;
    const indent = line.length - code.length;
    while (blocks.length > 0 && blocks[blocks.length - 1]!.indent >= indent) blocks.pop();
    const inside = blocks.some((b) => b.inFunctionOrClass);
    if (!inside) {
      const bound = PY_DEFINITION.exec(code)?.[1] ?? PY_ASSIGNMENT.exec(code)?.[1];
      if (bound !== undefined) names.add(bound);
      const imported = PY_IMPORT.exec(code);
      if (imported) names.add(imported[2] ?? imported[1]!.split('.')[0]!);
      const from = PY_FROM_LINE.exec(code);
      if (from) addList(from[1]!);
    }
    // A def or class opens a body even when its signature runs over several lines.
    const header = PY_DEFINITION.test(code) ? 'def' : PY_HEADER.exec(code)?.[1];
    if (header !== undefined) blocks.push({ indent, inFunctionOrClass: inside || /^(?:async[ \t]+def|def|class)$/.test(header) });
  }
  for (const m of text.matchAll(PY_FROM_BLOCK)) addList(m[1]!);
  for (const name of names) if (name.startsWith('_')) names.delete(name);
  return { names, reexports: [] };
}

/** Opening minus closing brackets of a line of Python, strings and the comment left out. */
function bracketBalance(code: string): number {
  let balance = 0;
  scanLine(code, true, (char) => {
    if ('([{'.includes(char)) balance++;
    else if (')]}'.includes(char)) balance--;
  });
  return balance;
}
