// Fail closed: before the first candidate runs, confirm on this machine that the sandbox holds. Escape attempts
// run inside it and are judged by host-side oracles (canary files that must stay unread and unchanged, a loopback
// listener that must see no connection, the process table), not by what the probe says about itself. A language
// whose probes do not all fail is switched off, with the reason.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, mkdirSync, readdirSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join, relative, isAbsolute } from 'node:path';
import { startTimeOf } from './processTree';
import { nodeEscapeProbe, pythonEscapeProbe, RESOURCE_PROBES, type ProbeTargets } from './isolationProbes';
import { locateNode, locatePython, locateTools, type CandidateLanguage, type SandboxRuntime, type SandboxTools } from './sandboxRuntimes';
import { DEFAULT_LIMITS, SandboxRunner, type SandboxLimits } from './sandboxRunner';
import { removeStaleSandboxFolders, sandboxFolderPrefix } from './staleSandboxFolders';

export interface SelfTestResult {
  /** Runtimes that passed every probe; candidates in other languages are never run. */
  runtimes: Partial<Record<CandidateLanguage, SandboxRuntime>>;
  tools: SandboxTools | null;
  /** Why something is off, one sentence each, for the Output channel and the status bar tooltip. */
  reasons: string[];
  durationMs: number;
}

export interface SelfTestOptions {
  tempRoot?: string;
  /** Workspace folders: the sandbox's temporary folders must not be inside any of them. */
  workspaceRoots?: string[];
  /** Where the sandbox programs come from (tests substitute missing or weakened ones). */
  locateTools?: () => Promise<SandboxTools | null>;
}

const PROBE_LIMITS: SandboxLimits = { ...DEFAULT_LIMITS, wallMs: 1500, cpuSeconds: 2, memoryBytes: 256 * 1024 * 1024, diskBytes: 4 * 1024 * 1024 };

export function isInside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** Canary files: a fake home with an SSH key and a workspace with a .env, each holding a random token. */
function plantCanaries(root: string): { dir: string; token: string } {
  const dir = mkdtempSync(join(root, sandboxFolderPrefix('canary')));
  const token = `LOCUS_CANARY_${randomBytes(12).toString('hex')}`;
  mkdirSync(join(dir, 'home', '.ssh'), { recursive: true });
  mkdirSync(join(dir, 'workspace'), { recursive: true });
  writeFileSync(join(dir, 'home', '.ssh', 'id_rsa'), `-----BEGIN OPENSSH PRIVATE KEY-----\n${token}\n`, { mode: 0o644 });
  writeFileSync(join(dir, 'workspace', '.env'), `API_KEY=${token}\n`, { mode: 0o644 });
  return { dir, token };
}

export function snapshotTree(dir: string): string {
  const lines: string[] = [];
  const walk = (path: string): void => {
    for (const name of readdirSync(path).sort()) {
      const full = join(path, name);
      const stat = statSync(full, { throwIfNoEntry: false });
      if (!stat) continue;
      lines.push(`${relative(dir, full)} ${stat.size} ${stat.mtimeMs}`);
      if (stat.isDirectory()) walk(full);
    }
  };
  walk(dir);
  return lines.join('\n');
}

export async function countingListener(): Promise<{ server: Server; port: number; connections: () => number }> {
  let count = 0;
  const server = createServer((socket) => {
    count++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { server, port: typeof address === 'object' && address ? address.port : 0, connections: () => count };
}

function parseReport(stdout: string): Record<string, boolean> | null {
  try {
    return JSON.parse(stdout.trim().split('\n').pop() ?? '') as Record<string, boolean>;
  } catch {
    return null;
  }
}

async function probeRuntime(runner: SandboxRunner, runtime: SandboxRuntime, tempRoot: string): Promise<string[]> {
  const problems: string[] = [];
  const listener = await countingListener();
  const canary = plantCanaries(tempRoot);
  const before = snapshotTree(canary.dir);
  try {
    const targets: ProbeTargets = { canaryDir: canary.dir, hostHome: homedir(), port: listener.port };
    const python = runtime.language === 'python';
    const entry = python ? 'probe.py' : 'probe.js';
    const source = python ? pythonEscapeProbe(targets) : nodeEscapeProbe(targets);
    const run = await runner.run(runtime, { files: { [entry]: source }, entry, stdin: '' }, PROBE_LIMITS);
    const report = parseReport(run.stdout);
    if (!report) problems.push(`the escape probe did not run (${run.status}${run.infraError ? `: ${run.infraError}` : ''}: ${run.stderr.slice(0, 200)})`);
    else for (const [name, succeeded] of Object.entries(report)) if (succeeded) problems.push(`escape attempt succeeded: ${name}`);
    if ((run.stdout + run.stderr).includes(canary.token)) problems.push('a canary secret was readable');
    if (listener.connections() > 0) problems.push('the sandbox reached a loopback port');
    if (snapshotTree(canary.dir) !== before) problems.push('files outside the sandbox changed');

    const resource = RESOURCE_PROBES[runtime.language === 'python' ? 'python' : 'javascript'];
    const resourceRun = (code: string) => runner.run(runtime, { files: { [entry]: code }, entry, stdin: '' }, PROBE_LIMITS);
    const loop = await resourceRun(resource.infiniteLoop);
    if (loop.status !== 'timeout' || loop.wallMs > PROBE_LIMITS.wallMs + 1000) problems.push(`an infinite loop was not stopped in time (${loop.status})`);
    const memory = await resourceRun(resource.memoryBomb);
    if (memory.status === 'completed' || (memory.status === 'exited' && memory.exitCode === 0) || memory.peakRssBytes > 2 * PROBE_LIMITS.memoryBytes) {
      problems.push(`a memory bomb was not contained (${memory.status}, peak ${Math.round(memory.peakRssBytes / 2 ** 20)} MiB)`);
    }
    const flood = await resourceRun(resource.outputFlood);
    if (flood.status !== 'output-limit') problems.push(`unbounded output was not cut off (${flood.status})`);
    const disk = await resourceRun(resource.diskFill);
    const filled = parseReport(disk.stdout) as unknown as { files?: number } | null;
    if (!filled || (filled.files ?? Infinity) > PROBE_LIMITS.diskBytes / 2 ** 20) problems.push('the disk-fill probe was not stopped by the tmpfs size limit');
    const survivors = [...loop.processIds, ...memory.processIds, ...flood.processIds, ...disk.processIds].filter((pid) => startTimeOf(pid) !== null);
    if (survivors.length > 0) problems.push(`${survivors.length} sandboxed processes outlived their run`);
  } finally {
    listener.server.close();
    rmSync(canary.dir, { recursive: true, force: true });
  }
  return problems;
}

export async function runIsolationSelfTest(options: SelfTestOptions = {}): Promise<SelfTestResult> {
  const started = performance.now();
  const result: SelfTestResult = { runtimes: {}, tools: null, reasons: [], durationMs: 0 };
  const done = (): SelfTestResult => ({ ...result, durationMs: performance.now() - started });
  if (process.platform !== 'linux') {
    result.reasons.push(`Efficiency checks need Linux with bubblewrap; on ${process.platform} they stay off.`);
    return done();
  }
  const tempRoot = realpathSync(options.tempRoot ?? tmpdir());
  if ((options.workspaceRoots ?? []).some((root) => isInside(tempRoot, root))) {
    result.reasons.push('The temporary folder is inside the workspace; set TMPDIR to a folder outside it to enable efficiency checks.');
    return done();
  }
  result.tools = await (options.locateTools ?? locateTools)();
  if (!result.tools) {
    result.reasons.push('Efficiency checks are off: bubblewrap (bwrap) and prlimit were not found in /usr/bin; install the "bubblewrap" package (scripts/install-sandbox.sh).');
    return done();
  }
  removeStaleSandboxFolders(tempRoot);
  const runner = new SandboxRunner(result.tools, tempRoot);
  for (const locate of [locateNode, locatePython]) {
    const runtime = await locate();
    if (!runtime) continue;
    const problems = await probeRuntime(runner, runtime, tempRoot);
    if (problems.length === 0) result.runtimes[runtime.language] = runtime;
    else result.reasons.push(`Efficiency checks for ${runtime.language} are off: isolation could not be confirmed (${problems.join('; ')}).`);
  }
  if (!result.runtimes.javascript && !result.runtimes.python && result.reasons.length === 0) {
    result.reasons.push('Efficiency checks are off: no Node.js or Python runtime was found in the system folders.');
  }
  return done();
}
