// Shared set-up for the sandbox tests: the real tools and runtimes of this machine, canary files a test can plant
// outside the sandbox, and liveness checks for processes the sandbox started.
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTimeOf } from '../../lsp-server/efficiency/processTree';
import { locateNode, locatePython, locateTools, type SandboxRuntime, type SandboxTools } from '../../lsp-server/efficiency/sandboxRuntimes';
import { DEFAULT_LIMITS, SandboxRunner, type SandboxLimits, type SandboxRun } from '../../lsp-server/efficiency/sandboxRunner';

export interface SandboxKit {
  tools: SandboxTools;
  runner: SandboxRunner;
  node: SandboxRuntime;
  python: SandboxRuntime | null;
}

/** Null when bubblewrap or prlimit is missing (the tests then check that the feature stays off instead). */
export async function sandboxKit(): Promise<SandboxKit | null> {
  const tools = await locateTools();
  const node = await locateNode();
  if (!tools || !node || process.platform !== 'linux') return null;
  return { tools, runner: new SandboxRunner(tools), node, python: await locatePython() };
}

/** Tight limits so every attack ends within about two seconds. */
export const TEST_LIMITS: SandboxLimits = { ...DEFAULT_LIMITS, wallMs: 2000, cpuSeconds: 2, memoryBytes: 192 * 1024 * 1024, diskBytes: 4 * 1024 * 1024 };

export interface Canaries {
  dir: string;
  token: string;
  sshKey: string;
  envFile: string;
}

/**
 * A fake home (with .ssh/id_rsa) and workspace (with .env) holding a random token. Everything is world-readable
 * and the folder world-writable, so file permissions would not stop the sandbox's unprivileged uid: only the
 * sandbox can.
 */
export function plantCanaries(): Canaries {
  const dir = mkdtempSync(join(tmpdir(), 'locus-test-canary-'));
  chmodSync(dir, 0o777);
  const token = `LOCUS_CANARY_${randomBytes(12).toString('hex')}`;
  mkdirSync(join(dir, 'home', '.ssh'), { recursive: true, mode: 0o755 });
  mkdirSync(join(dir, 'workspace'), { recursive: true, mode: 0o755 });
  const sshKey = join(dir, 'home', '.ssh', 'id_rsa');
  const envFile = join(dir, 'workspace', '.env');
  writeFileSync(sshKey, `-----BEGIN OPENSSH PRIVATE KEY-----\n${token}\n`, { mode: 0o644 });
  writeFileSync(envFile, `API_KEY=${token}\n`, { mode: 0o644 });
  return { dir, token, sshKey, envFile };
}

export function survivors(run: SandboxRun): number[] {
  return run.processIds.filter((pid) => startTimeOf(pid) !== null);
}

export function runNode(kit: SandboxKit, code: string, limits: SandboxLimits = TEST_LIMITS): Promise<SandboxRun> {
  return kit.runner.run(kit.node, { files: { 'main.js': code }, entry: 'main.js', stdin: '' }, limits);
}

export function runPython(kit: SandboxKit, code: string, limits: SandboxLimits = TEST_LIMITS, runtime?: SandboxRuntime): Promise<SandboxRun> {
  return kit.runner.run(runtime ?? kit.python!, { files: { 'main.py': code }, entry: 'main.py', stdin: '' }, limits);
}

export function lastJson(stdout: string): Record<string, unknown> {
  return JSON.parse(stdout.trim().split('\n').pop() ?? 'null') as Record<string, unknown>;
}
