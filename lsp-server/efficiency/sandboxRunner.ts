// Runs one program in a fresh operating-system sandbox and reports what the operating system saw.
//
// Layers, outermost first (each one holds even if the ones inside it fail):
//   1. setpriv (only when the server runs as root): drop to uid/gid 65534 with no groups and no_new_privs.
//      Root ignores RLIMIT_NPROC and file permissions; the unprivileged uid makes both bind again.
//   2. bubblewrap: new user, mount, pid, network, ipc, uts and cgroup namespaces (--unshare-all), no nested user
//      namespaces, --die-with-parent, --new-session (no terminal injection), --clearenv plus an allow-list.
//      The root is an empty tmpfs; only the interpreter, its shared libraries (from ldd) and its standard library
//      are mounted, read-only. The program's files are mounted read-only at /sbx/in; the only writable place is
//      /sbx/tmp, a size-limited tmpfs that disappears with the sandbox (the root and /dev are remounted read-only). No /proc, no home, no workspace, no
//      sockets: the network namespace has only a down loopback, so even 127.0.0.1 on the host is unreachable.
//      A seccomp filter (seccompFilter.ts) denies debugging, keyrings, eBPF, io_uring, mounts, new namespaces,
//      memfd, SysV IPC and POSIX message queues (memory the watchdog cannot see), and every socket family but AF_UNIX.
//      /sbx/tmp cannot be noexec (bubblewrap has no such option), so a Python candidate can write a native program
//      there and exec it in place (Node's permission model refuses child processes): everything above and below
//      still binds it (namespaces, seccomp, no_new_privs and rlimits survive execve); only the interpreter's seat belt
//      is lost, and the Python harness refuses exec with an audit hook (pythonHarness.ts) as a seat belt of its own.
//   3. prlimit, inside the namespaces: RLIMIT_NPROC (counted per user namespace, so it bounds fork bombs without
//      counting the user's other processes), RLIMIT_CPU, RLIMIT_DATA (a memory cap V8 survives, unlike
//      RLIMIT_AS, which V8's address-space reservations trip; Python gets RLIMIT_AS too), RLIMIT_FSIZE,
//      RLIMIT_NOFILE, no core dumps.
//   4. The interpreter's own seat belt: Node's permission model (no child processes, workers, addons or
//      inspector; fs limited to /sbx) and Python's isolated mode. Neither is a boundary on its own. The harness
//      first closes the descriptors the server inherited from its parent (inheritedDescriptors.ts).
//   5. This process: a wall-clock timer, an RSS watchdog over the whole sandboxed tree, output caps, and a kill
//      of the process group and every descendant. Killing bubblewrap's pid 1 tears down the pid namespace, so a
//      daemon that double-forked and called setsid dies with it.
// cgroup v2 memory.max/pids.max would be a stronger memory bound but needs a delegated subtree, which neither a
// typical desktop session nor this CI machine (cgroup v1 hierarchy) gives a language server.
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inheritedDescriptors } from './inheritedDescriptors';
import { descendantsOf, sampleProcess, startTimeOf } from './processTree';
import { seccompProgram } from './seccompFilter';
import type { SandboxRuntime, SandboxTools } from './sandboxRuntimes';
import { sandboxFolderPrefix } from './staleSandboxFolders';

export interface SandboxLimits {
  wallMs: number;
  cpuSeconds: number;
  /** Per-process RLIMIT_DATA and the watchdog's cap on the tree's summed RSS. */
  memoryBytes: number;
  /** stdout + stderr; more than this kills the run. */
  outputBytes: number;
  /** The result channel (fd 3). */
  resultBytes: number;
  /**
   * Size of the writable tmpfs (bubblewrap's --size; its pages are in no process's resident set, so this is what
   * bounds them) and RLIMIT_FSIZE, the largest single file.
   */
  diskBytes: number;
  openFiles: number;
}

export const DEFAULT_LIMITS: SandboxLimits = {
  wallMs: 5000,
  cpuSeconds: 4,
  memoryBytes: 512 * 1024 * 1024,
  outputBytes: 64 * 1024,
  resultBytes: 1024 * 1024,
  diskBytes: 16 * 1024 * 1024,
  openFiles: 64,
};

export interface SandboxProgram {
  /** File name → content, written read-only to /sbx/in. */
  files: Record<string, string>;
  entry: string;
  /** Written to stdin, then closed. The harness reads it whole before any candidate code loads. */
  stdin: string;
}

/**
 * completed: the result channel said it was finished and the run was stopped after accounting was read;
 * exited: the program ended by itself; the others: this process stopped it.
 */
export type SandboxStatus = 'completed' | 'exited' | 'timeout' | 'memory-limit' | 'output-limit' | 'aborted' | 'infra-error';

export interface SandboxRun {
  status: SandboxStatus;
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  /** Raw bytes from fd 3; only the result channel may interpret them. */
  channel: Buffer;
  wallMs: number;
  /** CPU time of the sandboxed tree, from /proc (10 ms resolution). */
  cpuMs: number;
  /** Highest VmHWM of any sandboxed process. */
  peakRssBytes: number;
  /** Host pids of every sandboxed process seen, so callers can check that none outlived the run. */
  processIds: number[];
  infraError?: string;
}

export interface SandboxRunOptions {
  /**
   * Called with fd 3's last line (its line break included) whenever a chunk ends one; true stops the run as
   * `completed` once accounting is read. Only that line: the whole channel, joined at every chunk, cost the server
   * seconds of CPU when a candidate wrote line breaks to it in a loop.
   */
  isComplete?: (lastLine: Buffer) => boolean;
  signal?: AbortSignal;
}

export const SANDBOX_IN = '/sbx/in';
export const SANDBOX_TMP = '/sbx/tmp';
const SANDBOX_UID = 65534;
/** fd 3 carries results; fd 4 hands bubblewrap the seccomp program. */
const SECCOMP_FD = 4;
/** Python's own address space beyond the data limit: the interpreter, its libraries and their mappings. */
const PYTHON_ADDRESS_SPACE_BYTES = 512 * 1024 * 1024;
const WATCHDOG_MS = 20;
const RESCAN_MS = 100;
const CLOSE_GRACE_MS = 2000;
const REAP_TIMEOUT_MS = 2000;

export class SandboxRunner {
  /**
   * `inheritedFds`: descriptors every spawned program inherits (inheritedDescriptors.ts), read once: only what the
   * server's parent left open, which does not change.
   */
  constructor(
    private readonly tools: SandboxTools,
    private readonly tempRoot: string = tmpdir(),
    private readonly inheritedFds: readonly number[] = inheritedDescriptors(),
  ) {}

  /** The full command line; pure so it can be inspected by tests. */
  commandLine(runtime: SandboxRuntime, hostDir: string, entry: string, limits: SandboxLimits): string[] {
    const { tools } = this;
    const privilegeDrop = tools.setpriv
      ? [tools.setpriv, `--reuid=${SANDBOX_UID}`, `--regid=${SANDBOX_UID}`, '--clear-groups', '--no-new-privs', '--']
      : [];
    const binds = [...new Set([...runtime.binds, ...tools.prlimitBinds])].flatMap((path) => ['--ro-bind', path, path]);
    // LOCUS_CLOSE_FDS: the harness closes these before the candidate loads (bubblewrap passes them on).
    const env = { PATH: '/usr/bin:/bin', HOME: SANDBOX_TMP, TMPDIR: SANDBOX_TMP, LANG: 'C.UTF-8', LOCUS_CLOSE_FDS: this.inheritedFds.join(',') };
    const bwrap = [
      tools.bwrap,
      '--unshare-all',
      '--unshare-user',
      ...(tools.supportsDisableUserns ? ['--disable-userns'] : []),
      ...(tools.seccomp ? ['--seccomp', String(SECCOMP_FD)] : []),
      '--die-with-parent',
      '--new-session',
      '--clearenv',
      ...Object.entries(env).flatMap(([name, value]) => ['--setenv', name, value]),
      ...binds,
      '--dev', '/dev',
      '--ro-bind', hostDir, SANDBOX_IN,
      '--size', String(limits.diskBytes), '--tmpfs', SANDBOX_TMP,
      // bubblewrap's own root and /dev are unbounded tmpfs mounts: read-only, so only /sbx/tmp takes writes
      '--remount-ro', '/dev',
      '--remount-ro', '/',
      '--chdir', SANDBOX_TMP,
      '--',
    ];
    const rlimits = [
      tools.prlimit,
      `--nproc=${runtime.maxTasks}`,
      `--cpu=${limits.cpuSeconds}:${limits.cpuSeconds + 1}`,
      `--data=${limits.memoryBytes}`,
      // Address space too where the runtime allows it (V8's reservations trip RLIMIT_AS; Python's do not): it also
      // bounds mappings RLIMIT_DATA leaves out, such as a huge read-only one whose page tables took 855 MiB.
      ...(runtime.language === 'python' ? [`--as=${limits.memoryBytes + PYTHON_ADDRESS_SPACE_BYTES}`] : []),
      `--fsize=${limits.diskBytes}`,
      `--nofile=${limits.openFiles}`,
      '--core=0',
      '--msgqueue=0',
      '--',
    ];
    const interpreter =
      runtime.language === 'javascript'
        ? [
            runtime.executable,
            ...runtime.flags,
            `--allow-fs-read=${SANDBOX_IN}/*`,
            `--allow-fs-read=${SANDBOX_TMP}/*`,
            `--allow-fs-write=${SANDBOX_TMP}/*`,
            `--max-old-space-size=${Math.max(32, Math.floor(limits.memoryBytes / 2 / 1024 / 1024))}`,
          ]
        : [runtime.executable, ...runtime.flags];
    return [...privilegeDrop, ...bwrap, ...rlimits, ...interpreter, `${SANDBOX_IN}/${entry}`];
  }

  async run(runtime: SandboxRuntime, program: SandboxProgram, limits: SandboxLimits, options: SandboxRunOptions = {}): Promise<SandboxRun> {
    let hostDir: string;
    try {
      // Candidate code is derived from the user's code: readable only by the uid the sandbox runs as, never by
      // other local users. Under root that is the unprivileged sandbox uid; otherwise it is the user.
      hostDir = mkdtempSync(join(this.tempRoot, sandboxFolderPrefix('eff')));
      for (const [name, content] of Object.entries(program.files)) {
        if (!/^[\w.-]+$/.test(name)) throw new Error(`bad sandbox file name ${name}`);
        writeFileSync(join(hostDir, name), content, { mode: 0o400 });
        if (this.tools.setpriv) chownSync(join(hostDir, name), SANDBOX_UID, SANDBOX_UID);
      }
      if (this.tools.setpriv) chownSync(hostDir, SANDBOX_UID, SANDBOX_UID);
      chmodSync(hostDir, 0o500);
    } catch (error) {
      return emptyRun('infra-error', String(error));
    }
    try {
      return await this.spawnAndWatch(this.commandLine(runtime, hostDir, program.entry, limits), program.stdin, limits, options);
    } finally {
      try {
        chmodSync(hostDir, 0o700); // a non-root owner needs write permission to empty the folder
      } finally {
        rmSync(hostDir, { recursive: true, force: true });
      }
    }
  }

  private spawnAndWatch(argv: string[], stdin: string, limits: SandboxLimits, options: SandboxRunOptions): Promise<SandboxRun> {
    return new Promise((resolve) => {
      const started = performance.now();
      const child = spawn(argv[0], argv.slice(1), {
        stdio: ['pipe', 'pipe', 'pipe', 'pipe', this.tools.seccomp ? 'pipe' : 'ignore'],
        detached: true, // own process group, killed as a whole
        env: { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8' },
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      const channel: Buffer[] = [];
      let outputSize = 0;
      let channelSize = 0;
      let status: SandboxStatus | null = null;
      let peakRssBytes = 0;
      let cpuMs = 0;
      let known: number[] = [];
      /** pid → start time, so a pid the system reuses later is never mistaken for ours. */
      const seen = new Map<number, string>();
      let lastScan = 0;
      let settled = false;
      let infraError: string | undefined;

      const account = (rescan: boolean): number => {
        const now = performance.now();
        if (child.pid !== undefined && (rescan || now - lastScan >= RESCAN_MS || known.length < 2)) {
          known = descendantsOf(child.pid).concat(child.pid);
          for (const pid of known) if (!seen.has(pid)) seen.set(pid, startTimeOf(pid) ?? '');
          lastScan = now;
        }
        let rss = 0;
        let cpu = 0;
        for (const pid of known) {
          const sample = sampleProcess(pid);
          if (!sample) continue;
          rss += sample.rssBytes;
          cpu += sample.cpuMs;
          peakRssBytes = Math.max(peakRssBytes, sample.peakRssBytes);
        }
        cpuMs = Math.max(cpuMs, cpu);
        return rss;
      };

      const stop = (why: SandboxStatus): void => {
        if (status !== null) return;
        status = why;
        if (child.pid !== undefined) {
          const victims = descendantsOf(child.pid);
          try {
            process.kill(-child.pid, 'SIGKILL');
          } catch {
            // already gone
          }
          for (const pid of victims) {
            try {
              process.kill(pid, 'SIGKILL');
            } catch {
              // already gone
            }
          }
        }
        setTimeout(() => void finish(null, 'SIGKILL'), CLOSE_GRACE_MS).unref();
      };

      const watchdog = setInterval(() => {
        if (account(false) > limits.memoryBytes) stop('memory-limit');
      }, WATCHDOG_MS);
      const wallTimer = setTimeout(() => stop('timeout'), limits.wallMs);
      const onAbort = (): void => stop('aborted');
      options.signal?.addEventListener('abort', onAbort, { once: true });

      const capture = (into: Buffer[]) => (chunk: Buffer) => {
        outputSize += chunk.length;
        if (outputSize > limits.outputBytes) {
          into.push(chunk.subarray(0, Math.max(0, chunk.length - (outputSize - limits.outputBytes))));
          stop('output-limit');
        } else into.push(chunk);
      };
      child.stdout!.on('data', capture(out));
      child.stderr!.on('data', capture(err));
      const fd3 = child.stdio[3] as NodeJS.ReadableStream;
      /** fd 3's bytes since its last line break. */
      let lineParts: Buffer[] = [];
      fd3.on('data', (chunk: Buffer) => {
        channelSize += chunk.length;
        if (channelSize > limits.resultBytes) return stop('output-limit');
        channel.push(chunk);
        if (chunk.length === 0 || chunk[chunk.length - 1] !== 0x0a) {
          lineParts.push(chunk);
          return;
        }
        // A chunk that is the line break alone ends the line the parts before it hold.
        const lineStart = chunk.length > 1 ? chunk.lastIndexOf(0x0a, chunk.length - 2) + 1 : 0;
        const lastLine = lineStart > 0 ? chunk.subarray(lineStart) : Buffer.concat([...lineParts, chunk]);
        lineParts = [];
        if (options.isComplete?.(lastLine)) {
          account(true); // the harness now blocks; read the operating system's numbers before stopping it
          stop('completed');
        }
      });
      const ignore = (): void => undefined; // EPIPE and friends: the outcome comes from the exit, not the pipes
      child.stdin!.on('error', ignore);
      child.stdout!.on('error', ignore);
      child.stderr!.on('error', ignore);
      fd3.on('error', ignore);
      child.stdin!.end(stdin);
      if (this.tools.seccomp) {
        const filter = child.stdio[SECCOMP_FD] as NodeJS.WritableStream;
        filter.on('error', ignore);
        filter.end(seccompProgram());
      }

      const finish = async (code: number | null, signal: NodeJS.Signals | null): Promise<void> => {
        if (settled) return;
        settled = true;
        clearInterval(watchdog);
        clearTimeout(wallTimer);
        options.signal?.removeEventListener('abort', onAbort);
        await reapSurvivors(seen);
        resolve({
          status: status ?? (infraError ? 'infra-error' : 'exited'),
          exitCode: code,
          signal,
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8'),
          channel: Buffer.concat(channel),
          wallMs: performance.now() - started,
          cpuMs,
          peakRssBytes,
          processIds: [...seen.keys()],
          infraError,
        });
      };
      child.on('error', (error) => {
        infraError = error.message;
        void finish(null, null);
      });
      child.on('close', (code, signal) => void finish(code, signal));
      if (options.signal?.aborted) stop('aborted');
    });
  }
}

/**
 * Once bubblewrap is gone its pid namespace is torn down, but the kernel does that asynchronously. Wait (and
 * kill) until none of the processes we saw is alive, so that a resolved run never leaves anything behind.
 */
async function reapSurvivors(seen: Map<number, string>): Promise<void> {
  const deadline = performance.now() + REAP_TIMEOUT_MS;
  for (;;) {
    const alive = [...seen].filter(([pid, started]) => startTimeOf(pid) === started);
    if (alive.length === 0 || performance.now() > deadline) return;
    for (const [pid] of alive) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // exited meanwhile
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function emptyRun(status: SandboxStatus, infraError: string): SandboxRun {
  return { status, exitCode: null, signal: null, stdout: '', stderr: '', channel: Buffer.alloc(0), wallMs: 0, cpuMs: 0, peakRssBytes: 0, processIds: [], infraError };
}
