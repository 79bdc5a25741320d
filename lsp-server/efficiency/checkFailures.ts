// Why a candidate's checks failed, in words the user can act on, and whether the code failed them or the sandbox did:
// a name bound by an import the sandbox could not load (moduleDefinitions.ts) is unbound there, or bound to a
// fallback's None, and a check that fails on it says nothing about the code; nor does a standard-library module of a
// Python newer than the sandbox's (pythonAddedModules.ts).
import type { Check } from './checkBuilder';
import type { ImportSource } from './importedModules';
import { pythonVersionAdding } from './pythonAddedModules';
import type { CandidateLanguage } from './sandboxRuntimes';

/** Python's `NameError: name 'np' is not defined` and Node's `ReferenceError: clamp is not defined` (the harnesses' words). */
const UNDEFINED_NAME = /^(?:NameError: name '([\w$]+)' is not defined|ReferenceError: ([\w$]+) is not defined)/;
/** Python's words for using None as a module (`np.sum`) or as a function imported from one (`mean(xs)`). */
const NONE_ATTRIBUTE = /^AttributeError: 'NoneType' object has no attribute '(\w+)'/;
const NONE_CALLED = /^TypeError: 'NoneType' object is not callable/;
/** Node's words for the same on null or undefined: `fast.parse`, `fast(s)` and `new Fast()`, `const { parse } = fast`. */
const NULL_PROPERTY = /^TypeError: Cannot read properties of (?:null|undefined) \(reading '([^']+)'\)/;
const NULL_CALLED = /^TypeError: ([\w$]+) is not a (?:function|constructor)\b/;
const NULL_DESTRUCTURED = /^TypeError: Cannot destructure property '[^']+' of '([\w$]+)' as it is (?:null|undefined)/;
/**
 * An import failing, or the code's own error on a module's absence: Python's `raise ImportError("numpy is required")`,
 * a script's `throw new Error('fast-lib is required')` (a plain Error: scripts have no ImportError).
 */
const IMPORT_FAILED = /^(ImportError|ModuleNotFoundError|Error|RuntimeError|SystemExit): (.*)/s;
/**
 * What an error of another kind than ImportError must say to be about a module's absence: a plain Error is what most
 * validation code throws (`invalid semver: v2.0.0`, `nothing to parse`), which names the module or a binding too.
 */
const ABSENCE = /\b(?:required|requires|install|installed|missing|not (?:found|available|installed)|unavailable|needs?)\b/i;
/** A module's load failing, in the harnesses' words: Python's (the sandbox's refusal too) and Node's require. */
const MODULE_NOT_LOADED = /^(?:ModuleNotFoundError: (?:No module named '([\w.]+)'|the sandbox refused importing ([\w.]+) )|Error MODULE_NOT_FOUND: Cannot find module '([^']+)')/;
/** Python's words for a submodule or name a package that loaded lacks: `from string import templatelib` (3.14). */
const NAME_NOT_IN_MODULE = /^ImportError: cannot import name '(\w+)' from '([\w.]+)'/;

/** What a candidate's run tells about its imports. */
export interface ImportRun {
  /** The modules whose load failed in it, at load or in a check (the harnesses list them; none for a skipped import). */
  failedImports: readonly string[];
  /** The program it ran: the module-level definitions and the function. */
  program: string;
}

const NO_RUN: ImportRun = { failedImports: [], program: '' };

/**
 * The module the run failed to load for `source`: the first of its dotted prefixes that failed (`numpy` of
 * `numpy.linalg`; `unittest.mock` of `from unittest import mock`, where unittest loaded); undefined when none did.
 */
function failedModule(source: ImportSource, failedImports: readonly string[]): string | undefined {
  const parts = (source.submodule ?? source.module).split('.');
  return parts.map((_, index) => parts.slice(0, index + 1).join('.')).find((prefix) => failedImports.includes(prefix));
}

const escaped = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Whether `error` is using the None (Python) or null (scripts) a fallback binds where `name` is: `np.sum` on None,
 * `mean(...)` calling it, `fast.parse` on null; Node names what it called or destructured.
 */
function usesFallbackAs(name: string, error: string, program: string): boolean {
  const attribute = (NONE_ATTRIBUTE.exec(error) ?? NULL_PROPERTY.exec(error))?.[1];
  if (attribute !== undefined) return new RegExp(`(?<![\\w.$])${escaped(name)}\\s*\\.\\s*${escaped(attribute)}(?![\\w$])`).test(program);
  if (NONE_CALLED.test(error)) return new RegExp(`(?<![\\w.$])${escaped(name)}\\s*\\(`).test(program);
  return (NULL_CALLED.exec(error) ?? NULL_DESTRUCTURED.exec(error))?.[1] === name;
}

/** Whether `error` is an ImportError (a script's Error) that names the module, or `name` it binds: one the code raised on its absence. */
function namesFailedImport(error: string, module: string, name?: string): boolean {
  const failed = IMPORT_FAILED.exec(error);
  if (failed === null) return false;
  const [, kind, message] = failed as unknown as [string, string, string];
  const importError = kind === 'ImportError' || kind === 'ModuleNotFoundError';
  if (!importError && !ABSENCE.test(message)) return false;
  // `./util` has no package name before a dot. Another kind of error must name the module itself, not a binding.
  const words = new Set([importError ? name : undefined, module, module.split('.')[0]].filter((word): word is string => word !== undefined && word !== ''));
  return [...words].some((word) => new RegExp(`(?<![\\w.])${escaped(word)}(?![\\w])`, 'i').test(message));
}

/** Whether the program imports `module` itself: `import numpy`, `from numpy import x`, `require('fast-lib')`, `import('fast-lib')`. */
function importsItself(program: string, module: string): boolean {
  return new RegExp(`(?:\\b(?:import|from)\\s+|\\b(?:require|import)\\s*\\(\\s*['"\`])${escaped(module)}(?![\\w$-])`).test(program);
}

/** The recent standard-library module a Python error says is missing (`No module named 'dbm.sqlite3'`), if it is one. */
function missingPythonAddition(error: string): string | undefined {
  const name = NAME_NOT_IN_MODULE.exec(error);
  const module = name ? `${name[2]}.${name[1]}` : MODULE_NOT_LOADED.exec(error)?.[1];
  return module !== undefined && pythonVersionAdding(module) !== undefined ? module : undefined;
}

/**
 * The modules the sandbox lacked that made `error`; none when the code made it. Only an import's own failure counts:
 * its name undefined (the import failed and bound nothing; a top-level import whose module loaded without the name is
 * named by it, `json.lods`, as a newer Python's name looks the same; a name two imports bind, `try: import simplejson
 * as json` / `except ImportError: import json`, by those the run failed to load, or all where the run tells none); an
 * import the run failed to load raising (a function's own `import numpy`, `require('fast-lib')`: a misspelt module
 * there cannot be told from a package the sandbox lacks), or one of a standard-library module newer than the
 * sandbox's Python (`import dbm.sqlite3`); or, for an import the run failed to load, the None or null its fallback
 * bound used through that name, or an ImportError (a script's Error) that names the module, raised where a name's
 * fallback left it or where the code's own import of it failed (`except ImportError: raise ImportError("numpy is
 * required")`). A misspelt name (`nmupy.sum`), None from anywhere else, or a function raising ModuleNotFoundError
 * itself (no load of it failed) stays the code's failure.
 */
export function lackedModules(error: string | undefined, mayLack: ReadonlyMap<string, readonly ImportSource[]>, run: ImportRun = NO_RUN): string[] {
  if (error === undefined) return [];
  const match = UNDEFINED_NAME.exec(error);
  const undefinedName = match?.[1] ?? match?.[2];
  if (undefinedName !== undefined) {
    const sources = mayLack.get(undefinedName) ?? [];
    const failed = sources.flatMap((source) => failedModule(source, run.failedImports) ?? []);
    if (failed.length > 0) return [...new Set(failed)];
    // A top-level import that ran and loaded its module, which lacked the name (`from itertools import batched` on a
    // Python older than the user's, or `from json import lods`): the user's own import, which the sandbox cannot judge.
    return [...new Set(sources.map((source) => (source.unconditional === true ? (source.submodule ?? source.module) : source.module)))];
  }
  const notLoaded = MODULE_NOT_LOADED.exec(error);
  const module = notLoaded?.[1] ?? notLoaded?.[2] ?? notLoaded?.[3];
  if (module !== undefined && run.failedImports.includes(module)) return [module];
  const addition = missingPythonAddition(error);
  if (addition !== undefined) return [addition];
  for (const [name, sources] of mayLack) {
    const failed = sources.flatMap((source) => {
      const missing = failedModule(source, run.failedImports);
      if (missing === undefined) return [];
      return (source.noneWhenMissing === true && usesFallbackAs(name, error, run.program)) || namesFailedImport(error, missing, name) ? [missing] : [];
    });
    if (failed.length > 0) return [...new Set(failed)];
  }
  const own = run.failedImports.find((failed) => importsItself(run.program, failed) && namesFailedImport(error, failed));
  return own === undefined ? [] : [own];
}

function listed(names: readonly string[]): string {
  return names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/**
 * e.g. "numpy is not available in the sandbox", "numpy and ./util are not available in the sandbox"; a recent
 * standard-library module by the Python that added it: "the sandbox's Python lacks tomllib (new in Python 3.11)".
 */
export function unavailableDetail(modules: Iterable<string>, language: CandidateLanguage): string {
  const names = [...new Set(modules)];
  const added = language === 'python' ? names.filter((name) => pythonVersionAdding(name) !== undefined) : [];
  const others = names.filter((name) => !added.includes(name));
  const parts = [];
  if (others.length > 0) parts.push(`${listed(others)} ${others.length === 1 ? 'is' : 'are'} not available in the sandbox`);
  if (added.length > 0) parts.push(`the sandbox's Python lacks ${listed(added.map((name) => `${name} (new in Python ${pythonVersionAdding(name)})`))}`);
  return parts.join('; ');
}

/** Per check id, how the user knows it: "example 2", "test call 1", "a generated input". */
export function checkLabels(checks: readonly Check[]): Map<string, string> {
  const counts = { example: 0, test: 0 };
  return new Map(
    checks.map((check) => {
      if (check.kind === 'differential') return [check.id, 'a generated input'];
      counts[check.kind]++;
      return [check.id, `${check.kind === 'example' ? 'example' : 'test call'} ${counts[check.kind]}`];
    }),
  );
}

/** Node's fs words (`EACCES: permission denied, open '/etc/x'`) and Python's (`[Errno 13] Permission denied: '/etc/x'`). */
const FILE_ACCESS = /\b(?:open|read|write|scandir|opendir|stat|lstat|access|mkdir|rmdir|unlink|rename|readlink)\b '|Permission denied: '|Read-only file system/;

/** Node's permission model (the harness appends what it refused): files outside the sandbox's folders, child processes. */
const NODE_PERMISSION = /\bERR_ACCESS_DENIED\b/;

/** What the harnesses say the sandbox refused: Node's permission (FileSystemRead, ChildProcess), Python's audit hook. */
const NODE_FILE_PERMISSION = /\bERR_ACCESS_DENIED\b.*\(FileSystem(?:Read|Write)\b/s;
const PROGRAM_REFUSED = /\bERR_ACCESS_DENIED\b.*\(ChildProcess\)|the sandbox does not run other programs/s;

/** Why the sandbox refused a check, e.g. "the function uses files, which the sandbox does not allow (EACCES: ... in example 1)". */
export function deniedDetail(error: string, label: string): string {
  const what = PROGRAM_REFUSED.test(error)
    ? 'the function runs programs, which the sandbox does not allow'
    : FILE_ACCESS.test(error) || NODE_FILE_PERMISSION.test(error)
      ? 'the function uses files, which the sandbox does not allow'
      : NODE_PERMISSION.test(error)
        ? 'the function uses files or runs programs, which the sandbox does not allow'
        : 'the sandbox does not allow what the function does';
  return `${what} (${error} in ${label})`;
}

/** e.g. "FileNotFoundError: [Errno 2] No such file or directory: 'data.txt' in example 1". */
export function errorDetail(error: string, label: string): string {
  return `${error} in ${label}`;
}
