// Finds the programs the sandbox is built from (bubblewrap, setpriv, prlimit) and the language runtimes
// candidates run on, and lists exactly which host files each one needs mounted read-only.
// Only fixed system locations are searched, never PATH: PATH can name a workspace folder
// (node_modules/.bin, a venv), and running a workspace's interpreter would be workspace code execution.
import { execFile } from 'node:child_process';
import { accessSync, constants, realpathSync } from 'node:fs';
import { seccompSupported } from './seccompFilter';

export type CandidateLanguage = 'javascript' | 'python';

export interface SandboxRuntime {
  language: CandidateLanguage;
  /** Path of the interpreter as seen inside the sandbox (same as on the host). */
  executable: string;
  /** Interpreter flags placed before the entry script. */
  flags: string[];
  /** Host paths mounted read-only at the same place inside the sandbox. */
  binds: string[];
  /** RLIMIT_NPROC inside the sandbox's user namespace: threads count too (Node needs ~8, Python 1). */
  maxTasks: number;
}

export interface SandboxTools {
  bwrap: string;
  prlimit: string;
  /** Present when we run as root: the sandbox then drops to an unprivileged uid, since RLIMIT_NPROC does not bind root. */
  setpriv: string | null;
  /** bubblewrap >= 0.8 can forbid nested user namespaces. */
  supportsDisableUserns: boolean;
  /** Load the seccomp filter (seccompFilter.ts) where it exists for this architecture. */
  seccomp: boolean;
  prlimitBinds: string[];
}

const SYSTEM_BIN_DIRS = ['/usr/bin', '/bin', '/usr/local/bin', '/opt/homebrew/bin'];

function firstExecutable(names: string[], dirs = SYSTEM_BIN_DIRS): string | null {
  for (const dir of dirs) {
    for (const name of names) {
      const path = `${dir}/${name}`;
      try {
        accessSync(path, constants.X_OK);
        return path;
      } catch {
        // try the next location
      }
    }
  }
  return null;
}

function run(file: string, args: string[], timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs, env: { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8' } }, (error, stdout) =>
      error ? reject(error) : resolve(stdout),
    );
  });
}

/** Shared libraries an executable loads, from `ldd`, plus the dynamic loader itself. */
export async function sharedLibraries(executable: string): Promise<string[]> {
  const ldd = firstExecutable(['ldd']);
  if (!ldd) return [];
  let output: string;
  try {
    output = await run(ldd, [executable]);
  } catch {
    return []; // statically linked executables make ldd fail
  }
  const paths = new Set<string>();
  for (const line of output.split('\n')) {
    const match = /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(line);
    if (match) paths.add(match[1]);
  }
  return [...paths];
}

/** The path itself and, when it is a symlink, the file it resolves to (both must exist inside the sandbox). */
function withRealPath(path: string): string[] {
  try {
    const real = realpathSync(path);
    return real === path ? [path] : [path, real];
  } catch {
    return [path];
  }
}

export async function locateTools(): Promise<SandboxTools | null> {
  const bwrap = firstExecutable(['bwrap']);
  const prlimit = firstExecutable(['prlimit']);
  if (!bwrap || !prlimit) return null;
  const isRoot = process.getuid?.() === 0;
  const setpriv = isRoot ? firstExecutable(['setpriv']) : null;
  if (isRoot && !setpriv) return null;
  let help = '';
  try {
    help = await run(bwrap, ['--help']);
  } catch {
    return null;
  }
  const prlimitBinds = [...withRealPath(prlimit), ...(await sharedLibraries(realpathSync(prlimit)))];
  return { bwrap, prlimit, setpriv, supportsDisableUserns: help.includes('--disable-userns'), seccomp: seccompSupported(), prlimitBinds };
}

export async function locateNode(): Promise<SandboxRuntime | null> {
  const candidates = [/\/node$/.test(process.execPath) ? process.execPath : null, firstExecutable(['node'])];
  const executable = candidates.find((path): path is string => path !== null);
  if (!executable) return null;
  const real = realpathSync(executable);
  return {
    language: 'javascript',
    executable: real,
    flags: ['--experimental-permission', '--no-warnings'],
    binds: [real, ...(await sharedLibraries(real))],
    maxTasks: 16,
  };
}

export async function locatePython(): Promise<SandboxRuntime | null> {
  const executable = firstExecutable(['python3']);
  if (!executable) return null;
  const real = realpathSync(executable);
  let stdlib: string[];
  try {
    const printed = await run(real, ['-I', '-S', '-c', "import sysconfig,json;print(json.dumps([sysconfig.get_path('stdlib'),sysconfig.get_path('platstdlib')]))"]);
    stdlib = JSON.parse(printed) as string[];
  } catch {
    return null;
  }
  const dirs = [...new Set(stdlib.map((path) => withRealPath(path)).flat())];
  return {
    language: 'python',
    executable: real,
    // -I: ignore PYTHON* variables, user site and the script's folder; -S: no site module; -B: no .pyc writes.
    flags: ['-I', '-S', '-B'],
    binds: [real, ...(await sharedLibraries(real)), ...dirs],
    maxTasks: 2,
  };
}
