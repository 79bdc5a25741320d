// Drives dist/server.js over stdio for integration tests, with every wait bounded.
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  CancellationTokenSource,
  DidChangeConfigurationNotification,
  DidChangeTextDocumentNotification,
  DidOpenTextDocumentNotification,
  InitializedNotification,
  InitializeRequest,
  InlineCompletionRequest,
  InlineCompletionTriggerKind,
  LogMessageNotification,
  type ClientCapabilities,
  type InitializeResult,
  type InlineCompletionItem,
  type InlineCompletionList,
  type Position,
  type TextDocumentContentChangeEvent,
} from 'vscode-languageserver-protocol';
import { startServerProcess, withTimeout, type ServerProcess } from '../../cli/serverProcess';
import { CompletionTimingsNotification, CompressRequest, StatusNotification, type CompletionTimings, type LocusSettingsInput, type ModelStatus } from '../../lsp-server/protocol';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const SERVER_JS = path.join(REPO_ROOT, 'dist', 'server.js');
export const FIXTURE_MODEL = path.join(REPO_ROOT, 'test', 'fixtures', 'tiny-llama');
export const FIXTURE_DRAFT = path.join(REPO_ROOT, 'test', 'fixtures', 'tiny-llama-draft');
export const WAIT_MS = 20_000;

/** Where a cursor at the very end of `text` stands. */
export function endOf(text: string): Position {
  const lines = text.split('\n');
  return { line: lines.length - 1, character: lines[lines.length - 1]!.length };
}

/**
 * The functions retrieved into the prompt at `position` of `uri` (asked with locus/compress, a snippet named by its
 * first `function` or else its text), polled until the index is built and `until` holds; fails after WAIT_MS with
 * the last names and `logs`.
 */
export async function retrievedFunctionsUntil(
  server: ServerProcess,
  uri: string,
  position: Position,
  until: (names: string[]) => boolean,
  logs: readonly string[] = [],
): Promise<string[]> {
  let names: string[] = [];
  const poll = async (): Promise<void> => {
    for (;;) {
      const result = await server.connection.sendRequest(CompressRequest.type, { textDocument: { uri }, position });
      names = result.after.parts.flatMap((part) => (part.kind === 'snippet' ? [/function (\w+)/.exec(part.text)?.[1] ?? part.text] : []));
      if (!result.index.building && until(names)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  await withTimeout(poll(), WAIT_MS, `retrieval (last: ${names.join(', ')})`).catch((error: unknown) => {
    throw new Error(`${String(error)}\n${logs.join('\n')}`);
  });
  return names;
}

export class LspHarness {
  readonly statuses: ModelStatus[] = [];
  readonly timings: CompletionTimings[] = [];
  /** The server's log lines (what the Output channel shows), as they came. */
  readonly logs: string[] = [];
  /** Order of events, to assert what happened before what. */
  readonly events: string[] = [];
  private readonly statusWaiters: Array<() => void> = [];

  private constructor(
    readonly server: ServerProcess,
    readonly initializeResult: InitializeResult,
  ) {}

  /**
   * `workspace`: a folder the server indexes as its one workspace folder (or `rootUri`, any URI, as the only root);
   * `capabilities`: what the client declares. `settings` goes as `initializationOptions`, whatever its shape.
   */
  static async start(settings: LocusSettingsInput | Record<string, unknown>, options: { workspace?: string; rootUri?: string; capabilities?: ClientCapabilities } = {}): Promise<LspHarness> {
    const server = startServerProcess(SERVER_JS);
    const { connection } = server;
    const rootUri = options.rootUri ?? (options.workspace === undefined ? null : pathToFileURL(options.workspace).href);
    const result = await withTimeout(
      connection.sendRequest(InitializeRequest.type, {
        processId: process.pid,
        rootUri,
        workspaceFolders: options.workspace === undefined ? null : [{ uri: rootUri!, name: path.basename(options.workspace) }],
        capabilities: options.capabilities ?? {},
        initializationOptions: settings,
      }),
      WAIT_MS,
      'initialize',
    );
    const harness = new LspHarness(server, result);
    connection.onNotification(StatusNotification.type, (status) => {
      harness.statuses.push(status);
      harness.events.push(`status:${status.state}`);
      for (const wake of harness.statusWaiters.splice(0)) wake();
    });
    connection.onNotification(CompletionTimingsNotification.type, (t) => {
      harness.timings.push(t);
    });
    connection.onNotification(LogMessageNotification.type, (m) => {
      harness.logs.push(m.message);
    });
    await connection.sendNotification(InitializedNotification.type, {});
    return harness;
  }

  /** Resolves with the first status (already received or coming) that satisfies `predicate`. */
  async waitForStatus(predicate: (s: ModelStatus) => boolean, what: string): Promise<ModelStatus> {
    const found = (): ModelStatus | undefined => this.statuses.find(predicate);
    const wait = async (): Promise<ModelStatus> => {
      for (;;) {
        const status = found();
        if (status !== undefined) return status;
        await new Promise<void>((resolve) => this.statusWaiters.push(resolve));
      }
    };
    return withTimeout(wait(), WAIT_MS, what);
  }

  async open(uri: string, languageId: string, text: string): Promise<void> {
    await this.server.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId, version: 1, text } });
  }

  async change(uri: string, version: number, contentChanges: TextDocumentContentChangeEvent[]): Promise<void> {
    await this.server.connection.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version }, contentChanges });
  }

  /** Pushes `settings.locus` (null: a client that has no Locus settings to give). */
  async configure(settings: LocusSettingsInput | null): Promise<void> {
    await this.server.connection.sendNotification(DidChangeConfigurationNotification.type, { settings: { locus: settings } });
  }

  /**
   * The completion's text ('' for no items); rejects with the server's ResponseError (e.g. RequestCancelled).
   * `triggerKind`: as the editor sends it while typing (Automatic) unless the user asked (Invoked).
   */
  async complete(uri: string, position: Position, cancel?: CancellationTokenSource, triggerKind: InlineCompletionTriggerKind = InlineCompletionTriggerKind.Automatic): Promise<string> {
    const request = this.server.connection.sendRequest(
      InlineCompletionRequest.type,
      { textDocument: { uri }, position, context: { triggerKind } },
      (cancel ?? new CancellationTokenSource()).token,
    );
    const result = await withTimeout(request, WAIT_MS, 'inlineCompletion');
    this.events.push('completion');
    const items: InlineCompletionItem[] = result === null ? [] : Array.isArray(result) ? result : (result as InlineCompletionList).items;
    const first = items[0];
    if (first === undefined) return '';
    return typeof first.insertText === 'string' ? first.insertText : first.insertText.value;
  }

  async stop(): Promise<void> {
    await this.server.stop();
  }
}
