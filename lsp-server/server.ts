// Composes the language server: settings, model host, scheduler and completion provider, wired to one
// connection. The graph is built here, top to bottom, and nowhere else.
import { performance } from 'node:perf_hooks';
import {
  LSPErrorCodes,
  ResponseError,
  TextDocumentSyncKind,
  TextDocuments,
  type CancellationToken,
  type Connection,
  type InitializeResult,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { InferenceEngine } from '../runtime/engine';
import { CompletionCache } from './completionCache';
import { CompletionProvider } from './completionProvider';
import { embeddedModelDirs, needsModelReload, validateSettings, type ServerConfig } from './config';
import type { PromptTokenizer } from './fimPrompt';
import { taggedLogger } from './logger';
import { ModelHost } from './modelHost';
import { CompletionTimingsNotification, StatusNotification } from './protocol';
import { RequestScheduler } from './requestScheduler';
import { TelemetryFeature } from './telemetry/telemetryFeature';
import { CompletionAcceptedCommand } from './telemetryProtocol';

export interface ServerDeps {
  createEngine: () => InferenceEngine;
  loadTokenizer: (modelDir: string) => Promise<PromptTokenizer>;
  /** Directory of the server bundle; the embedded model is found relative to it. */
  bundleDir: string;
}

export function startServer(connection: Connection, deps: ServerDeps): void {
  const logger = taggedLogger(connection.console, 'server');
  const embedded = embeddedModelDirs(deps.bundleDir);
  const documents = new TextDocuments(TextDocument);
  const scheduler = new RequestScheduler();
  let config: ServerConfig = validateSettings(undefined, embedded).config;
  let canPullConfiguration = false;
  // Recording starts at initialize, once the client has said where its storage folder is.
  const telemetry = new TelemetryFeature({ enabled: false, dir: null }, { log: (message) => logger.warn(message) });
  let telemetryDir: string | null = null;

  const modelHost = new ModelHost({
    createEngine: deps.createEngine,
    loadTokenizer: deps.loadTokenizer,
    logger: taggedLogger(connection.console, 'model'),
    onStatus: (status) => void connection.sendNotification(StatusNotification.type, status),
  });
  const completions = new CompletionProvider({
    model: () => modelHost.current(),
    config: () => config,
    scheduler,
    logger: taggedLogger(connection.console, 'completion'),
    clock: () => performance.now(),
    telemetry,
    onTimings: (timings) => void connection.sendNotification(CompletionTimingsNotification.type, timings),
    cache: new CompletionCache(),
  });

  function applySettings(input: unknown, source: string): void {
    const { config: next, warnings } = validateSettings(input, embedded);
    for (const warning of warnings) logger.warn(`${source}: ${warning}`);
    const reload = needsModelReload(config, next);
    config = next;
    telemetry.configure({ enabled: config.telemetryEnabled, dir: telemetryDir });
    if (reload) {
      logger.info(`Model settings changed; loading ${config.modelDir}.`);
      scheduler.abortAll();
      void modelHost.load(config);
    }
  }

  connection.onInitialize((params): InitializeResult => {
    canPullConfiguration = params.capabilities.workspace?.configuration === true;
    const { config: initial, warnings } = validateSettings(params.initializationOptions, embedded);
    for (const warning of warnings) logger.warn(`initializationOptions: ${warning}`);
    config = initial;
    telemetryDir = initial.telemetryDir;
    telemetry.configure({ enabled: config.telemetryEnabled, dir: telemetryDir });
    return {
      capabilities: {
        executeCommandProvider: { commands: [CompletionAcceptedCommand.command] },
        textDocumentSync: TextDocumentSyncKind.Incremental,
        inlineCompletionProvider: true,
      },
      serverInfo: { name: 'locus', version: '0.1.0' },
    };
  });

  connection.onInitialized(() => {
    // Loading starts only now so the status notifications follow the initialize response.
    void modelHost.load(config);
  });

  connection.onDidChangeConfiguration(async (params) => {
    const settings: unknown = params.settings;
    const pushed = typeof settings === 'object' && settings !== null ? (settings as { locus?: unknown }).locus : undefined;
    if (pushed !== undefined) return applySettings(pushed, 'settings');
    if (!canPullConfiguration) return;
    try {
      applySettings(await connection.workspace.getConfiguration('locus'), 'settings');
    } catch (error) {
      logger.warn(`Could not read the locus settings from the client: ${String(error)}`);
    }
  });

  connection.languages.inlineCompletion.on(async (params, token) => {
    const document = documents.get(params.textDocument.uri);
    if (document === undefined) return { items: [] };
    const items = await completions.provide(document, params.position, abortSignalOf(token));
    if (token.isCancellationRequested) return new ResponseError(LSPErrorCodes.RequestCancelled, 'Completion cancelled.');
    return { items };
  });

  connection.onShutdown(async () => {
    scheduler.abortAll();
    await modelHost.dispose();
    telemetry.dispose();
  });

  telemetry.register(connection);
  connection.onExecuteCommand((params) => {
    if (params.command === CompletionAcceptedCommand.command) telemetry.accepted(params.arguments);
  });

  documents.listen(connection);
  connection.listen();
}

/** The LSP token becomes an AbortSignal once, here; everything below takes the signal. */
function abortSignalOf(token: CancellationToken): AbortSignal {
  const controller = new AbortController();
  if (token.isCancellationRequested) controller.abort();
  else token.onCancellationRequested(() => controller.abort());
  return controller.signal;
}
