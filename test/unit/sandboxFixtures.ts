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

/**
 * A tiny static x86-64 ELF that makes one system call, syscall(nr, 0, 1, 0600), and exits with the negated
 * result's low byte: 0 when it succeeded with 0 (a first IPC id), 1 for EPERM (the seccomp filter), 14 for EFAULT.
 * A candidate that writes it to /sbx/tmp and execs it reaches calls no interpreter exposes.
 */
export function syscallProbeElf(nr: number): Buffer {
  const code = Buffer.concat([
    Buffer.from([0xb8]), u32(nr), // mov eax, nr
    Buffer.from([0x31, 0xff]), // xor edi, edi
    Buffer.from([0xbe]), u32(1), // mov esi, 1
    Buffer.from([0xba]), u32(0o600), // mov edx, 0600
    Buffer.from([0x0f, 0x05, 0x48, 0xf7, 0xd8, 0x89, 0xc7]), // syscall; neg rax; mov edi, eax
    Buffer.from([0xb8]), u32(60), Buffer.from([0x0f, 0x05]), // exit
  ]);
  const base = 0x400000;
  const headers = 64 + 56;
  const ehdr = Buffer.alloc(64);
  ehdr.write('\x7fELF', 0, 'latin1');
  ehdr.set([2, 1, 1], 4); // 64-bit, little-endian, version 1
  ehdr.writeUInt16LE(2, 16); // ET_EXEC
  ehdr.writeUInt16LE(0x3e, 18); // x86-64
  ehdr.writeUInt32LE(1, 20);
  ehdr.writeBigUInt64LE(BigInt(base + headers), 24); // entry
  ehdr.writeBigUInt64LE(64n, 32); // program headers right after this one
  ehdr.writeUInt16LE(64, 52);
  ehdr.writeUInt16LE(56, 54);
  ehdr.writeUInt16LE(1, 56);
  const phdr = Buffer.alloc(56);
  phdr.writeUInt32LE(1, 0); // PT_LOAD
  phdr.writeUInt32LE(5, 4); // r-x
  phdr.writeBigUInt64LE(BigInt(base), 16);
  phdr.writeBigUInt64LE(BigInt(base), 24);
  phdr.writeBigUInt64LE(BigInt(headers + code.length), 32);
  phdr.writeBigUInt64LE(BigInt(headers + code.length), 40);
  phdr.writeBigUInt64LE(0x1000n, 48);
  return Buffer.concat([ehdr, phdr, code]);
}

function u32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32LE(value);
  return buffer;
}

/** Python source that writes `elf` to /sbx/tmp and replaces itself with it. */
export function execWrittenElf(elf: Buffer): string {
  return `import os\nopen('/sbx/tmp/probe', 'wb').write(bytes.fromhex('${elf.toString('hex')}'))\nos.chmod('/sbx/tmp/probe', 0o755)\nos.execv('/sbx/tmp/probe', ['probe'])\n`;
}
