// Why a candidate's checks failed, in words the user can act on, and whether the code failed them or the sandbox did:
// a name bound by an import the sandbox could not load (moduleDefinitions.ts) is unbound there, and a check that
// fails on it says nothing about the code.
import type { Check } from './checkBuilder';

/** Python's `NameError: name 'np' is not defined` and Node's `ReferenceError: clamp is not defined` (the harnesses' words). */
const UNDEFINED_NAME = /^(?:NameError: name '([\w$]+)' is not defined|ReferenceError: ([\w$]+) is not defined)/;

/** The module an error's undefined name was to come from, when it is one the sandbox may lack; else undefined. */
export function lackedModule(error: string | undefined, mayLack: ReadonlyMap<string, string>): string | undefined {
  const match = error === undefined ? null : UNDEFINED_NAME.exec(error);
  const name = match?.[1] ?? match?.[2];
  return name === undefined ? undefined : mayLack.get(name);
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

/** Why the sandbox refused a check, e.g. "the function uses files, which the sandbox does not allow (EACCES: ... in example 1)". */
export function deniedDetail(error: string, label: string): string {
  const what = FILE_ACCESS.test(error)
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
