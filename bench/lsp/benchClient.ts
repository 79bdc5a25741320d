// An LSP client for the benchmarks: starts dist/server.js (cli/serverProcess.ts, as the CLI and VS Code run it),
// waits for the model, sends document changes and inline-completion requests, and matches each answer with the
// server's `locus/completionTimings` for its document.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  CancellationTokenSource,
  DidChangeTextDocumentNotification,
  DidCloseTextDocumentNotification,
  DidOpenTextDocumentNotification,
  InitializedNotification,
  InitializeRequest,
  InlineCompletionRequest,
  InlineCompletionTriggerKind,
  LSPErrorCodes,
  ResponseError,
  type InlineCompletionItem,
  type InlineCompletionList,
  type Position,
} from 'vscode-languageserver-protocol';
import { startServerProcess, withTimeout, type ServerProcess } from '../../cli/serverProcess';
import { CompletionTimingsNotification, StatusNotification, type CompletionTimings, type LocusSettingsInput, type ModelStatus } from '../../lsp-server/protocol';

const ROOT = resolve(__dirname, '..', '..');
const REQUEST_TIMEOUT_MS = 120_000;

/** Starts a TypeScript server entry through tsx (the child inherits NODE_OPTIONS at spawn time). */
function startTsServer(entry: string): ServerProcess {
  const before = process.env.NODE_OPTIONS;
  process.env.NODE_OPTIONS = `${before ?? ''} --import tsx`.trim();
  try {
    return startServerProcess(entry);
  } finally {
    if (before === undefined) delete process.env.NODE_OPTIONS;
    else process.env.NODE_OPTIONS = before;
  }
}

export interface Answer {
  /** Client-side latency: request sent → response received. */
  ms: number;
  text: string;
  cancelled: boolean;
  timing?: CompletionTimings;
}

/** One LSP client on one server process; timings notifications are matched to requests by document. */
export class BenchClient {
  private readonly timingsByUri = new Map<string, CompletionTimings[]>();
  readonly statuses: ModelStatus[] = [];
  private version = new Map<string, number>();

  constructor(readonly server: ServerProcess) {
    server.connection.onNotification(StatusNotification.type, (s) => {
      this.statuses.push(s);
    });
    server.connection.onNotification(CompletionTimingsNotification.type, (t) => {
      this.timingsByUri.set(t.uri, [...(this.timingsByUri.get(t.uri) ?? []), t]);
    });
  }

  /** `inProcess`: the contrast server with inference on its message-loop thread (bench/lsp/inProcessServer.ts). */
  /** `serverJs`: another build's dist/server.js, for A/B benches (default: this checkout's). */
  /** `whileLoading`: called once `initialized` is sent, while the model loads (before `start` resolves). */
  static async start(
    settings: LocusSettingsInput,
    options: { inProcess?: boolean; workspaceFolder?: string; serverJs?: string; whileLoading?: (client: BenchClient) => void } = {},
  ): Promise<BenchClient> {
    const serverJs = options.serverJs ?? join(ROOT, 'dist', 'server.js');
    if (!existsSync(serverJs)) throw new Error(`${serverJs} is missing: run \`npm run build\` first.`);
    const client = new BenchClient(options.inProcess === true ? startTsServer(join(__dirname, 'inProcessServer.ts')) : startServerProcess(serverJs));
    const { connection } = client.server;
    await withTimeout(
      connection.sendRequest(InitializeRequest.type, {
        processId: process.pid,
        rootUri: options.workspaceFolder === undefined ? null : pathToFileURL(options.workspaceFolder).href,
        workspaceFolders: options.workspaceFolder === undefined ? null : [{ uri: pathToFileURL(options.workspaceFolder).href, name: 'workspace' }],
        capabilities: {},
        initializationOptions: settings,
      }),
      30_000,
      'initialize',
    );
    await connection.sendNotification(InitializedNotification.type, {});
    options.whileLoading?.(client);
    const readyBy = Date.now() + 180_000;
    while (!client.loaded && Date.now() < readyBy) await sleep(20);
    const status = client.statuses.find((s) => s.state !== 'loading');
    if (status?.state !== 'ready') throw new Error(`model did not load: ${JSON.stringify(status)}`);
    return client;
  }

  /** Whether the server has said the model is ready or failed (statuses after the first load's end). */
  get loaded(): boolean {
    return this.statuses.some((s) => s.state !== 'loading');
  }

  get ready(): Extract<ModelStatus, { state: 'ready' }> {
    return this.statuses.find((s) => s.state === 'ready') as Extract<ModelStatus, { state: 'ready' }>;
  }

  async open(uri: string, languageId: string, text: string): Promise<void> {
    this.version.set(uri, 1);
    await this.server.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId, version: 1, text } });
  }

  async close(uri: string): Promise<void> {
    await this.server.connection.sendNotification(DidCloseTextDocumentNotification.type, { textDocument: { uri } });
  }

  async insert(uri: string, at: Position, text: string): Promise<void> {
    const version = (this.version.get(uri) ?? 1) + 1;
    this.version.set(uri, version);
    await this.server.connection.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri, version },
      contentChanges: [{ range: { start: at, end: at }, text }],
    });
  }

  /**
   * Sends the request now, as VS Code does while the user types (trigger kind Automatic: no finishing of a completion
   * cut at the time limit, which only a request the user invoked gets); the promise settles with the answer (or
   * `cancelled`) and the server's timings.
   */
  complete(uri: string, position: Position, cancel = new CancellationTokenSource()): Promise<Answer> {
    const before = this.timingsByUri.get(uri)?.length ?? 0;
    const started = performance.now();
    const context = { triggerKind: InlineCompletionTriggerKind.Automatic };
    const request = this.server.connection.sendRequest(InlineCompletionRequest.type, { textDocument: { uri }, position, context }, cancel.token);
    return withTimeout(request, REQUEST_TIMEOUT_MS, 'inlineCompletion').then(
      async (result) => {
        const ms = performance.now() - started;
        const items: InlineCompletionItem[] = result === null ? [] : Array.isArray(result) ? result : (result as InlineCompletionList).items;
        const first = items[0]?.insertText;
        const text = typeof first === 'string' ? first : (first?.value ?? '');
        // The notification is sent before the response; give a straggler a moment.
        for (let i = 0; i < 20 && (this.timingsByUri.get(uri)?.length ?? 0) <= before; i++) await sleep(1);
        const all = this.timingsByUri.get(uri) ?? [];
        return { ms, text, cancelled: false, timing: all.length > before ? all[all.length - 1] : undefined };
      },
      (error: unknown) => {
        if (error instanceof ResponseError && error.code === LSPErrorCodes.RequestCancelled) return { ms: performance.now() - started, text: '', cancelled: true };
        throw error;
      },
    );
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));


export const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
};

/**
 * Rounds that timed `before` and `after` side by side: each one's median, and the speed-up the results quote, the
 * median of the rounds' before/after ratios.
 */
export function sideBySide<R>(rounds: R[], before: (r: R) => number, after: (r: R) => number): { before: number; after: number; speedUp: number } {
  return {
    before: percentile(rounds.map(before), 50),
    after: percentile(rounds.map(after), 50),
    speedUp: percentile(rounds.map((r) => before(r) / after(r)), 50),
  };
}


/** The machine as `lscpu` names it, for the results. */
export function machineInfo(): { cpu: string; cores: number; memoryGiB: number; node: string } {
  const memoryGiB = Math.round(totalmem() / 2 ** 30);
  const node = process.version;
  try {
    const out = execFileSync('lscpu', { encoding: 'utf8' });
    const field = (name: string) => out.match(new RegExp(`^${name}:\\s*(.+)$`, 'm'))?.[1]?.trim();
    return { cpu: field('Model name') ?? cpus()[0]?.model ?? 'unknown', cores: Number(field('CPU\\(s\\)') ?? cpus().length), memoryGiB, node };
  } catch {
    return { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGiB, node };
  }
}

