// Runs one runner in a child process of its own, so its peak RSS (process.resourceUsage().maxRSS) is that
// runner's alone and two runtimes never share a heap or a thread pool.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { SERVER_EXEC_ARGV, serverProcessEnv } from '../../lsp-server/serverProcessFlags';
import type { RunnerInput, RunnerResult } from './types';

export type RunnerName = 'transformers.js' | 'llama.cpp' | 'locus' | 'locus+spec';

const MARKER = '@@locus-runner-result@@';

export function runIsolated(runner: RunnerName, input: RunnerInput, timeoutMs = 30 * 60_000): Promise<RunnerResult> {
  return new Promise((resolvePromise, reject) => {
    // Locus's runtime runs in the language server's process, with its V8 flags and environment; the others as their
    // users run them, except that transformers.js's onnxruntime-node sends no telemetry either (it is the same
    // library: runtime/onnxruntimeTelemetryOff.ts).
    const locus = runner === 'locus' || runner === 'locus+spec';
    const child = spawn(process.execPath, [...(locus ? SERVER_EXEC_ARGV : []), '--import', 'tsx', join(__dirname, 'runnerProcess.ts'), runner], {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: locus ? serverProcessEnv(process.env) : { ...process.env, ORT_DISABLE_TELEMETRY: '1' },
    });
    let stdout = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (chunk) => { stdout += chunk; });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const line = stdout.split('\n').find((l) => l.startsWith(MARKER));
      if (code !== 0 || !line) {
        reject(new Error(`${runner} on ${input.file} exited with ${code}: ${stdout.slice(-2000)}`));
        return;
      }
      resolvePromise(JSON.parse(line.slice(MARKER.length)) as RunnerResult);
    });
    child.stdin.end(JSON.stringify(input));
  });
}

export { MARKER };
