// Why a candidate's checks failed, in words the user can act on, and whether the code failed them or the sandbox did:
// a name bound by an import the sandbox could not load (moduleDefinitions.ts) is unbound there, or bound to a
// fallback's None, and a check that fails on it says nothing about the code.
import type { Check } from './checkBuilder';
import type { ImportSource } from './importedModules';

/** Python's `NameError: name 'np' is not defined` and Node's `ReferenceError: clamp is not defined` (the harnesses' words). */
const UNDEFINED_NAME = /^(?:NameError: name '([\w$]+)' is not defined|ReferenceError: ([\w$]+) is not defined)/;
/** Python's words for using None as a module (`np.sum`) or as a function imported from one (`mean(xs)`). */
const NONE_ATTRIBUTE = /^AttributeError: 'NoneType' object has no attribute '(\w+)'/;
const NONE_CALLED = /^TypeError: 'NoneType' object is not callable/;
/** Node's words for the same on null or undefined: `fast.parse`, `fast(s)` and `new Fast()`, `const { parse } = fast`. */
const NULL_PROPERTY = /^TypeError: Cannot read properties of (?:null|undefined) \(reading '([^']+)'\)/;
const NULL_CALLED = /^TypeError: ([\w$]+) is not a (?:function|constructor)\b/;
const NULL_DESTRUCTURED = /^TypeError: Cannot destructure property '[^']+' of '([\w$]+)' as it is (?:null|undefined)/;
/** An import failing, or a function's own `if np is None: raise ImportError("numpy is required")`. */
const IMPORT_FAILED = /^(?:ImportError|ModuleNotFoundError): (.*)/s;
/** A module's load failing, in the harnesses' words: Python's (the sandbox's refusal too) and Node's require. */
const MODULE_NOT_LOADED = /^(?:ModuleNotFoundError: (?:No module named '([\w.]+)'|the sandbox refused importing ([\w.]+) )|Error MODULE_NOT_FOUND: Cannot find module '([^']+)')/;

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

/** Whether `error` is an ImportError that names the module (or the name it binds): one the code raised on its absence. */
function namesFailedImport(error: string, name: string, module: string): boolean {
  const message = IMPORT_FAILED.exec(error)?.[1];
  if (message === undefined) return false;
  const words = new Set([name, module, module.split('.')[0]]);
  return [...words].some((word) => new RegExp(`(?<![\\w.])${escaped(word)}(?![\\w])`, 'i').test(message));
}

/**
 * The module the sandbox lacked that made `error`, or undefined when the code made it. Only an import's own failure
 * counts: its name undefined (the import failed and bound nothing; a top-level import whose module loaded without the
 * name is named by it, `json.lods`, as a newer Python's name looks the same); an import the run failed to load
 * raising (a function's own `import numpy`, `require('fast-lib')`: a misspelt module there cannot be told from a
 * package the sandbox lacks); or, for an import the run failed to load, the None or null its fallback bound used
 * through that name, or an ImportError that names the module. A misspelt name (`nmupy.sum`), None from anywhere else,
 * or a function raising ModuleNotFoundError itself (no load of it failed) stays the code's failure.
 */
export function lackedModule(error: string | undefined, mayLack: ReadonlyMap<string, ImportSource>, run: ImportRun = NO_RUN): string | undefined {
  if (error === undefined) return undefined;
  const match = UNDEFINED_NAME.exec(error);
  const undefinedName = match?.[1] ?? match?.[2];
  if (undefinedName !== undefined) {
    const source = mayLack.get(undefinedName);
    if (source === undefined) return undefined;
    // A top-level import that ran and loaded its module, which lacked the name (`from itertools import batched` on a
    // Python older than the user's, or `from json import lods`): the user's own import, which the sandbox cannot judge.
    return failedModule(source, run.failedImports) ?? (source.unconditional === true ? (source.submodule ?? source.module) : source.module);
  }
  const notLoaded = MODULE_NOT_LOADED.exec(error);
  const module = notLoaded?.[1] ?? notLoaded?.[2] ?? notLoaded?.[3];
  if (module !== undefined && run.failedImports.includes(module)) return module;
  for (const [name, source] of mayLack) {
    const failed = failedModule(source, run.failedImports);
    if (failed === undefined) continue;
    if ((source.noneWhenMissing === true && usesFallbackAs(name, error, run.program)) || namesFailedImport(error, name, failed)) return failed;
  }
  return undefined;
}

/** e.g. "numpy is not available in the sandbox", "numpy and ./util are not available in the sandbox". */
export function unavailableDetail(modules: Iterable<string>): string {
  const names = [...new Set(modules)];
  const listed = names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
  return `${listed} ${names.length === 1 ? 'is' : 'are'} not available in the sandbox`;
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
