// Starts dist/server.js as a child process and speaks LSP to it over stdio. Shared by the CLI and the
// integration tests, so both exercise exactly what VS Code runs.
import { spawn, type ChildProcess } from 'node:child_process';
import { createProtocolConnection, StreamMessageReader, StreamMessageWriter, type ProtocolConnection } from 'vscode-languageserver-protocol/node';
import { SERVER_EXEC_ARGV, serverProcessEnv } from '../lsp-server/serverProcessFlags';

export interface ServerProcess {
  connection: ProtocolConnection;
  child: ChildProcess;
  /** Everything the server wrote to stderr (crashes; its logs go over LSP). */
  stderr(): string;
  /** Sends shutdown and exit, then waits for the process to end (killing it after `timeoutMs`). */
  stop(timeoutMs?: number): Promise<void>;
}

export function startServerProcess(serverPath: string): ServerProcess {
  const child = spawn(process.execPath, [...SERVER_EXEC_ARGV, serverPath, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'], env: serverProcessEnv(process.env) });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const connection = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  connection.listen();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  async function stop(timeoutMs = 5000): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    try {
      await withTimeout(connection.sendRequest('shutdown'), timeoutMs, 'shutdown');
      await connection.sendNotification('exit');
    } catch {
      child.kill('SIGKILL');
    }
    await exited;
    clearTimeout(timer);
    connection.dispose();
  }

  return { connection, child, stderr: () => stderr, stop };
}

/** Rejects with a message naming `what` when `promise` takes longer than `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
