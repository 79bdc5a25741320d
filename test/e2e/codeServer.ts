// Starts code-server (installed by scripts/install-code-server.sh) on a free 127.0.0.1 port with its own
// user-data and extensions directories, installs a .vsix into it, and stops it (with its whole process group).
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync, createWriteStream } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export const repoRoot = path.resolve(__dirname, '..', '..');
const defaultInstallDir = path.join(repoRoot, 'test', 'e2e', '.code-server');

export function codeServerEntry(): string {
  const dir = process.env.LOCUS_CODE_SERVER_DIR ?? defaultInstallDir;
  const entry = path.join(dir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
  if (!existsSync(entry)) {
    throw new Error(`code-server is not installed at ${dir}: run \`bash scripts/install-code-server.sh\` first.`);
  }
  return entry;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('could not read a free port');
  return address.port;
}

export interface CodeServerDirs {
  userDataDir: string;
  extensionsDir: string;
}

/** Makes fresh user-data/extensions dirs under `root`, with user settings that keep the workbench quiet. */
export function prepareDirs(root: string, settings: Record<string, unknown>): CodeServerDirs {
  const userDataDir = path.join(root, 'user-data');
  const extensionsDir = path.join(root, 'extensions');
  mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  mkdirSync(extensionsDir, { recursive: true });
  writeFileSync(path.join(userDataDir, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
  return { userDataDir, extensionsDir };
}

function baseArgs(dirs: CodeServerDirs): string[] {
  return [
    '--disable-telemetry',
    '--disable-update-check',
    '--user-data-dir',
    dirs.userDataDir,
    '--extensions-dir',
    dirs.extensionsDir,
  ];
}

export async function installExtension(vsix: string, dirs: CodeServerDirs): Promise<string> {
  const { stdout, stderr } = await execFileAsync(
    process.execPath,
    [codeServerEntry(), ...baseArgs(dirs), '--install-extension', vsix, '--force'],
    { timeout: 120_000 },
  );
  const out = `${stdout}${stderr}`;
  if (!/successfully installed/i.test(out)) throw new Error(`installing ${vsix} failed:\n${out}`);
  return out;
}

export async function listExtensions(dirs: CodeServerDirs): Promise<string[]> {
  const { stdout } = await execFileAsync(
    process.execPath,
    [codeServerEntry(), ...baseArgs(dirs), '--list-extensions', '--show-versions'],
    { timeout: 60_000 },
  );
  return stdout.split('\n').filter((l) => l.trim() !== '');
}

export interface RunningCodeServer {
  url: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

export async function startCodeServer(dirs: CodeServerDirs, logFile: string): Promise<RunningCodeServer> {
  const port = await freePort();
  const log = createWriteStream(logFile);
  const child = spawn(
    process.execPath,
    [
      codeServerEntry(),
      ...baseArgs(dirs),
      '--auth',
      'none',
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--disable-workspace-trust',
      // Its own config file, not ~/.config/code-server/config.yaml.
      '--config',
      path.join(path.dirname(dirs.userDataDir), 'code-server.yaml'),
      '--disable-getting-started-override',
      '--ignore-last-opened',
    ],
    // Its own process group, so stop() also ends the extension host and the Locus language server under it.
    { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, VSCODE_PROXY_URI: '' } },
  );
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);

  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      return;
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, 5_000);
    await exited;
    clearTimeout(timer);
  };

  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`code-server exited with ${child.exitCode}; see ${logFile}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) return { url, port, process: child, stop };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  await stop();
  throw new Error(`code-server did not answer /healthz within 60 s; see ${logFile}`);
}

/** Pids of the running processes whose script is a dist/server.js under `extensionsDir`: the Locus language servers (Linux's /proc). */
export function languageServerPids(extensionsDir: string): number[] {
  const found: number[] = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (argv.some((a) => a.startsWith(extensionsDir) && a.endsWith(path.join('dist', 'server.js')))) found.push(Number(pid));
    } catch {
      // A process that ended while the list was read.
    }
  }
  return found;
}

/** The environment of every running Locus language server under `extensionsDir` (Linux's /proc). */
export function languageServerEnvironments(extensionsDir: string): Record<string, string>[] {
  const found: Record<string, string>[] = [];
  for (const pid of languageServerPids(extensionsDir)) {
    try {
      const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter((v) => v.includes('='));
      found.push(Object.fromEntries(environ.map((v) => [v.slice(0, v.indexOf('=')), v.slice(v.indexOf('=') + 1)])));
    } catch {
      // A process that ended while the list was read.
    }
  }
  return found;
}
