// One command's server: started beside dist/cli.js, initialized with the command's settings (and a workspace folder
// where the command retrieves from one), the file opened, and the model loaded. Every wait ends at once when the
// server stops (killed for memory, a crash), not at its time limit.
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DidOpenTextDocumentNotification, InitializedNotification, InitializeRequest, ResponseError, type ProtocolConnection } from 'vscode-languageserver-protocol';
import { withHome } from '../lsp-server/config';
import { CompletionSkippedNotification, StatusNotification, type LocusSettingsInput, type ModelStatus } from '../lsp-server/protocol';
import { forTheCommandLine, refusalForTheCommandLine } from './args';
import { CliError } from './cliError';
import { startServerProcess, withTimeout } from './serverProcess';

/** Loading a large model on a slow machine can take a while. */
const LOAD_TIMEOUT_MS = 180_000;

export type ReadyStatus = Extract<ModelStatus, { state: 'ready' }>;

export interface SessionOptions {
  /** Absolute path of the file the command is about. */
  file: string;
  text: string;
  languageId: string;
  /** `--model`, as typed; none: the embedded model. */
  modelDir: string | undefined;
  /** The command's settings besides the model. */
  settings: Omit<LocusSettingsInput, 'model'>;
  /** Absolute path of the folder the server indexes; none: prompts carry no workspace context. */
  workspaceFolder?: string;
}

export interface ServerSession {
  connection: ProtocolConnection;
  /** The file's URI, as it was opened. */
  uri: string;
  ready: ReadyStatus;
  /** Why the server makes no completion in the file, as it last said (a secret file, binary: said as it opens); null where it completes there. */
  skipReason(): string | null;
  /** `step`, failing after `ms` (naming `what`), or at once with what the server said when it stops. */
  untilStopped<T>(step: Promise<T>, ms: number, what: string): Promise<T>;
  stop(): Promise<void>;
}

/** Starts the server and waits for its model; stops it again when that fails. Load progress goes to stderr. */
export async function openSession(options: SessionOptions): Promise<ServerSession> {
  const server = startServerProcess(path.join(__dirname, 'server.js'));
  const stopped = new Promise<never>((_, reject) =>
    server.child.once('exit', (code, signal) => {
      const said = server.stderr().trim().split('\n').at(-1);
      reject(new CliError(`the Locus server stopped (${signal ?? `exit code ${code}`})${said ? `: ${said}` : ''}. Run the command again; if it stops again, free some memory or use a smaller model (--model).`));
    }),
  );
  stopped.catch(() => undefined);
  const untilStopped = <T>(step: Promise<T>, ms: number, what: string) =>
    withTimeout(
      Promise.race([step, stopped]).catch((error: unknown) => {
        // A refusal (a secret or binary file, no model) is the server's one sentence.
        throw error instanceof ResponseError ? new CliError(refusalForTheCommandLine(error.message)) : error;
      }),
      ms,
      what,
    );
  try {
    const { connection } = server;
    const status = new Promise<ModelStatus>((resolve) =>
      connection.onNotification(StatusNotification.type, (s) => {
        if (s.state !== 'loading') resolve(s);
        else if (s.step !== undefined) process.stderr.write(`   ${s.step}\n`);
      }),
    );
    const folder = options.workspaceFolder === undefined ? undefined : { uri: pathToFileURL(options.workspaceFolder).href, name: path.basename(options.workspaceFolder) };
    await untilStopped(
      connection.sendRequest(InitializeRequest.type, {
        processId: process.pid,
        rootUri: folder?.uri ?? null,
        ...(folder !== undefined && { workspaceFolders: [folder] }),
        capabilities: {},
        initializationOptions: { ...options.settings, model: options.modelDir === undefined ? {} : { path: path.resolve(withHome(options.modelDir)) } },
      }),
      30_000,
      'starting the server',
    );
    await connection.sendNotification(InitializedNotification.type, {});
    const uri = pathToFileURL(options.file).href;
    // Heard from the open on: the server says why it skips a document as it opens.
    let skipReason: string | null = null;
    connection.onNotification(CompletionSkippedNotification.type, (p) => {
      if (p.uri === uri) skipReason = p.reason;
    });
    await connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: options.languageId, version: 1, text: options.text } });

    const ready = await untilStopped(status, LOAD_TIMEOUT_MS, 'loading the model');
    if (ready.state === 'error') throw new CliError(`${ready.message} ${forTheCommandLine(ready.fix)}`);
    if (ready.state !== 'ready') throw new CliError('the model did not load');
    return { connection, uri, ready, skipReason: () => skipReason, untilStopped, stop: () => server.stop() };
  } catch (error) {
    await server.stop();
    throw error;
  }
}
