// Composes the language server: settings, model host, scheduler and completion provider, wired to one
// connection. The graph is built here, top to bottom, and nowhere else.
import { performance } from 'node:perf_hooks';
import {
  DidChangeWatchedFilesNotification,
  LSPErrorCodes,
  ResponseError,
  TextDocumentSyncKind,
  TextDocuments,
  type TextDocumentsConfiguration,
  CancellationTokenSource,
  ErrorCodes,
  type CancellationToken,
  type Connection,
  type InitializeResult,
  type WorkspaceFoldersChangeEvent,
} from 'vscode-languageserver/node';
import type { InferenceEngine } from '../runtime/engine';
import { CompletionCache } from './completionCache';
import { CompletionAsks } from './completionTrigger';
import { LineArrayDocument } from './lineArrayDocument';
import { NOTEBOOK_SYNC, NotebookCells } from './notebookCells';
import type { NotebookCellView } from './notebookCellView';
import { canonicalLanguageId } from './languageIds';
import { CompletionProvider } from './completionProvider';
import { embeddedModelDirs, excludesChanged, locusSection, mergeSettings, needsModelReload, typedModelSettingChanged, validateSettings, type ServerConfig } from './config';
import { ContextFeature } from './context/contextFeature';
import { DEFAULT_EFFICIENCY_OPTIONS, EfficiencyChecker } from './efficiency/efficiencyChecker';
import { EditorMemberNames } from './context/editorMemberNames';
import { sourceKindOf } from './context/memberAccess';
import { EfficiencyNotification, MemberNamesRequest, WholeCompletionNotification, WorkspaceTrustNotification } from './protocol';
import { DebouncedAction } from './debouncedAction';
import { runIsolationSelfTest } from './efficiency/isolationSelfTest';
import { WorkspaceTestFiles } from './efficiency/workspaceTestFiles';
import type { PromptTokenizer } from './fimPrompt';
import { describeError, taggedLogger } from './logger';
import { ModelHost } from './modelHost';
import { CompletionSkippedNotification, CompletionTimingsNotification, CompressRequest, ExplainChunkNotification, ExplainRequest, StatusNotification, type ModelStatus } from './protocol';
import { ForegroundWork } from './foregroundWork';
import { RequestScheduler, SupersededError } from './requestScheduler';
import { checkedBudget, checkedPosition, checkedRange, checkedStreamId, documentUri, positionIn, selectedItem } from './requestParams';
import { SettingsWarnings } from './settingsWarnings';
import { TelemetryFeature } from './telemetry/telemetryFeature';
import type { TelemetryQueries } from './telemetry/telemetryQueries';
import { CompletionAcceptedCommand } from './protocol';

export interface ServerDeps {
  createEngine: (onCrash: (error: Error) => void) => InferenceEngine;
  loadTokenizer: (modelDir: string) => Promise<PromptTokenizer>;
  /** Directory of the server bundle; the embedded model is found relative to it. */
  bundleDir: string;
  /** Who reads and summarizes the telemetry store for the dashboard (a worker thread in the real server). */
  createTelemetryQueries: (log: (message: string) => void) => TelemetryQueries;
}

export function startServer(connection: Connection, deps: ServerDeps): void {
  const logger = taggedLogger(connection.console, 'server');
  const embedded = embeddedModelDirs(deps.bundleDir);
  // Language ids are VS Code's from here on, whichever editor sent them. An edit costs its lines, not a copy of the
  // document (lineArrayDocument.ts).
  const documentConfig: TextDocumentsConfiguration<LineArrayDocument> = {
    create: (uri, languageId, version, content) => new LineArrayDocument(uri, canonicalLanguageId(languageId), version, content),
    update: (document, changes, version) => document.update(changes, version),
  };
  const documents = new TextDocuments(documentConfig);
  // The privacy rules are the context feature's, made below: read at each use.
  const notebooks = new NotebookCells(documentConfig, (fileUri: string): boolean => context.filePrivateReason(fileUri) !== undefined);
  /**
   * What requests about `uri` read: a text document, or a notebook cell with the notebook around it (`completion`),
   * whose positions are the cell's (`text`).
   */
  function documentAt(uri: string): { text: LineArrayDocument; completion: LineArrayDocument | NotebookCellView<LineArrayDocument> } | undefined {
    const document = documents.get(uri);
    if (document !== undefined) return { text: document, completion: document };
    const cell = notebooks.view(uri);
    return cell === undefined ? undefined : { text: cell.cell, completion: cell };
  }
  const scheduler = new RequestScheduler();
  let config: ServerConfig = validateSettings(undefined, embedded).config;
  let canPullConfiguration = false;
  let canWatchFiles = false;
  let canAskMemberNames = false;
  /** Which explicit completion requests the user made (Alt+\), where the client says so. */
  const asks = new CompletionAsks();
  // Efficiency checks run model-written code: only once the client says the workspace is trusted. Undefined until it
  // says either way (a client that never does, another editor, is not told to trust anything).
  let workspaceTrusted: boolean | undefined;
  let canFollowFolders = false;
  let reportedUnavailable = false;
  let reportedUntrusted = false;
  let saidTrustUnknown = false;
  // Recording starts at initialize, once the client has said where its storage folder is.
  const logTelemetry = (message: string) => logger.warn(message);
  const telemetry = new TelemetryFeature({ enabled: false, dir: null }, { log: logTelemetry, queries: deps.createTelemetryQueries(logTelemetry) });
  let telemetryDir: string | null = null;

  const sendStatus = (status: ModelStatus) => void connection.sendNotification(StatusNotification.type, status);
  // A reload waiting for the model settings to settle: said again after a status of the model in place meanwhile (a
  // load in flight finishing), so that the client's last word is the change to come.
  let pendingModel: ModelStatus | undefined;
  const modelHost = new ModelHost({
    createEngine: deps.createEngine,
    loadTokenizer: deps.loadTokenizer,
    logger: taggedLogger(connection.console, 'model'),
    onStatus: (status) => {
      sendStatus(status);
      if (pendingModel !== undefined) sendStatus(pendingModel);
    },
  });
  // Completions being answered: the workspace index and the efficiency checks' reading of a file wait for them
  // (foregroundWork.ts).
  const foreground = new ForegroundWork();
  // The workspace folders are the context feature's (contextFeature.ts), as they change, and the excludes the settings':
  // read at each use.
  const testFiles = new WorkspaceTestFiles(() => context.indexedFolders, () => config.excludes, () => performance.now());
  const efficiencyLogger = taggedLogger(connection.console, 'efficiency');
  const efficiency = new EfficiencyChecker({
    options: () => ({ ...DEFAULT_EFFICIENCY_OPTIONS, ...config.efficiency }),
    isTrusted: () => workspaceTrusted === true,
    // A client that never says (another editor) would get no checks and no word why: said once.
    onUntrusted: () => {
      if (workspaceTrusted !== undefined || saidTrustUnknown) return;
      saidTrustUnknown = true;
      efficiencyLogger.info('Efficiency checks wait for the editor to say the workspace is trusted (the notification locus/workspaceTrust, which VS Code sends): none has come, so none run. The README says how other editors send it.');
    },
    selfTest: () => runIsolationSelfTest({ workspaceRoots: [...context.listedFolders] }),
    logger: efficiencyLogger,
    clock: () => performance.now(),
    testFiles: (name, signal) => testFiles.filesMentioning(name, signal),
    foregroundIdle: () => foreground.idle(),
    onRefined: (refinement) => {
      const target = documentAt(refinement.uri);
      // The refinement's offset is in the text it was made of: only while that text is the same does it name a place.
      if (target === undefined || target.completion.version !== refinement.version) return;
      void connection.sendNotification(EfficiencyNotification.type, {
        kind: 'refined',
        uri: refinement.uri,
        version: target.text.version,
        position: target.completion.positionAt(refinement.offset),
        functionName: refinement.functionName,
        summary: refinement.summary,
        improved: refinement.improved,
      });
    },
  });
  /**
   * Starts the isolation self-test when the checks are enabled and trusted; says once if they cannot run here, and
   * once (until they are turned off) that they wait for the client to trust the workspace.
   */
  function prepareEfficiency(): void {
    void efficiency.prepare().then((availability) => {
      if (availability.state === 'untrusted' && workspaceTrusted === false && !reportedUntrusted) {
        reportedUntrusted = true;
        efficiencyLogger.info(availability.reason);
        void connection.sendNotification(EfficiencyNotification.type, { kind: 'untrusted', reason: availability.reason });
      }
      if (availability.state !== 'unavailable' || reportedUnavailable) return;
      reportedUnavailable = true;
      void connection.sendNotification(EfficiencyNotification.type, { kind: 'unavailable', reason: availability.reason });
    });
  }

  const context = new ContextFeature({
    model: () => modelHost.current(),
    modelStatus: () => modelHost.status(),
    limits: () => config,
    document: (uri) => documentAt(uri)?.completion,
    fileUri: (uri) => notebooks.fileUriOf(uri),
    ranFromUri: (uri) => notebooks.ranFromUriOf(uri),
    sendExplainChunk: (chunk) => void connection.sendNotification(ExplainChunkNotification.type, chunk),
    logger: taggedLogger(connection.console, 'context'),
    foregroundIdle: () => foreground.idle(),
    foregroundStarts: () => foreground.starts(),
    excludes: () => config.excludes,
  });
  const editorMembers = new EditorMemberNames({
    ask: async (params, signal) => {
      // Not "no list yet" (null), which keeps the completion out of the cache: after a member dot every keystroke of
      // Neovim or Helix ran the model, and a mid-word answer (`this.cou` + `lt;`) replaced the suggestion being typed.
      if (!canAskMemberNames) return undefined;
      const cancellation = cancellationOf(signal);
      try {
        return await connection.sendRequest(MemberNamesRequest.type, params, cancellation.token);
      } finally {
        cancellation.dispose();
      }
    },
    timeoutMs: MEMBER_NAMES_TIMEOUT_MS,
    now: () => performance.now(),
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
    contextPrompt: (model, uri, text, signal) => context.completionPrompt(model, uri, text, signal),
    // A workspace module's names first: read from its text, re-exports followed, they are complete where the editor's
    // list may not be (TypeScript does not follow tsc's `__exportStar` in JavaScript). Elsewhere the editor knows types.
    wordChoices: async (document, position, typedPrefix, suffix, signal) =>
      context.wordChoices(document.uri, typedPrefix, suffix) ?? (await editorMembers.wordChoices(document.uri, position, typedPrefix, suffix, sourceKindOf(document.uri, document.languageId), signal)),
    efficiency,
    privateReason: (uri) => context.privateReason(uri),
    onSkipped: (uri, reason) => void connection.sendNotification(CompletionSkippedNotification.type, { uri, reason }),
    skipGroup: (uri) => notebooks.fileUriOf(uri),
  });

  /**
   * The settings as received, unvalidated: those of `initialize`, and the ones in force now. A push may carry only
   * what changed and goes over the ones in force; a pulled section is the client's whole section and goes over
   * `initialize`'s (which alone carry the client's storage folders), so a key the user removed is removed.
   */
  let initialSettings: Record<string, unknown> = {};
  const settingsWarnings = new SettingsWarnings();
  let noLocusSectionSaid = false;
  let settingsInput: Record<string, unknown> = {};
  /** The settings the model in place (or loading, or failed) was asked for. */
  let modelConfig: ServerConfig = config;
  // The model answers until its replacement starts loading, which unloads it: not at each value of a path being typed.
  const modelReload = new DebouncedAction(() => {
    pendingModel = undefined;
    modelConfig = config;
    logger.info(`Model settings changed; loading ${config.modelDir}.`);
    scheduler.abortAll();
    void modelHost.load(config);
  });

  function applySettings(update: unknown, source: 'settings' | 'pulled settings'): void {
    if (typeof update !== 'object' || update === null || Array.isArray(update)) return void logger.warn(`${source}: locus is not an object; the settings stay as they are.`);
    // Warned about as they arrive (the merged settings keep only Locus's own keys), once while they stay.
    for (const warning of settingsWarnings.fresh(validateSettings(update, embedded).warnings)) logger.warn(`${source}: ${warning}`);
    settingsInput = mergeSettings(source === 'pulled settings' ? initialSettings : settingsInput, update);
    const { config: next } = validateSettings(settingsInput, embedded);
    // A model that failed to load is tried again at any settings change: its folder may have been fixed meanwhile.
    // Settings that went back to the model's before it reloaded reload nothing.
    const reload = needsModelReload(modelConfig, next) || modelHost.status()?.state === 'error';
    const excludes = excludesChanged(config, next);
    if (excludes) context.setExcludes(next.excludes);
    config = next;
    // After `config`, which the privacy rules read: a skipped document is told of the new ones.
    if (excludes) completions.contextChanged();
    if (config.efficiency.enabled) prepareEfficiency();
    else {
      efficiency.cancel();
      reportedUntrusted = false;
    }
    telemetry.configure({ enabled: config.telemetryEnabled, dir: telemetryDir });
    if (reload) {
      const waitMs = typedModelSettingChanged(modelConfig, next) ? MODEL_SETTINGS_SETTLE_MS : 0;
      modelReload.request(waitMs);
      if (waitMs > 0) {
        pendingModel = { state: 'pending', modelDir: config.modelDir, embedded: config.usesEmbeddedModel, inMs: waitMs };
        sendStatus(pendingModel);
      }
      return;
    }
    modelReload.cancel();
    if (pendingModel === undefined) return;
    // Put back before it settled: the client shows the model in place again.
    pendingModel = undefined;
    const current = modelHost.status();
    if (current !== undefined) sendStatus(current);
  }

  /**
   * LSP's lifecycle: requests before `initialize` get ServerNotInitialized, and after `shutdown` InvalidRequest
   * (a client that shut the server down must not get a completion from a disposed model).
   */
  let lifecycle: 'uninitialized' | 'running' | 'shutDown' = 'uninitialized';
  function lifecycleRefusal(): ResponseError<void> | undefined {
    if (lifecycle === 'uninitialized') return new ResponseError(ErrorCodes.ServerNotInitialized, 'The server is not initialized yet: send initialize first.');
    if (lifecycle === 'shutDown') return new ResponseError(ErrorCodes.InvalidRequest, 'The server is shutting down.');
    return undefined;
  }
  function whileRunning<P, R>(handler: (params: P, token: CancellationToken) => R): (params: P, token: CancellationToken) => R | ResponseError<void> {
    return (params, token) => lifecycleRefusal() ?? handler(params, token);
  }

  connection.onInitialize((params): InitializeResult => {
    if (lifecycle !== 'uninitialized') throw new ResponseError(ErrorCodes.InvalidRequest, 'The server is initialized already.');
    lifecycle = 'running';
    canPullConfiguration = params.capabilities.workspace?.configuration === true;
    const initializationOptions = locusSection(params.initializationOptions);
    initialSettings = mergeSettings({}, initializationOptions);
    settingsInput = initialSettings;
    const { warnings } = validateSettings(initializationOptions, embedded);
    const initial = validateSettings(initialSettings, embedded).config;
    for (const warning of settingsWarnings.fresh(warnings)) logger.warn(`initializationOptions: ${warning}`);
    config = initial;
    canWatchFiles = params.capabilities.workspace?.didChangeWatchedFiles?.dynamicRegistration === true;
    const experimental = params.capabilities.experimental as Record<string, unknown> | undefined;
    canAskMemberNames = experimental?.[MemberNamesRequest.capability] === true;
    asks.setClientMarks(experimental?.[WholeCompletionNotification.capability] === true);
    context.initialize(params.workspaceFolders, params.rootUri, initial.indexCacheDir ?? undefined);
    canFollowFolders = params.capabilities.workspace?.workspaceFolders === true;
    telemetryDir = initial.telemetryDir;
    telemetry.configure({ enabled: config.telemetryEnabled, dir: telemetryDir });
    return {
      capabilities: {
        executeCommandProvider: { commands: [CompletionAcceptedCommand.command] },
        textDocumentSync: TextDocumentSyncKind.Incremental,
        // A notebook's cells come with the notebook, so that a cell's prompt holds the cells around it.
        notebookDocumentSync: NOTEBOOK_SYNC,
        inlineCompletionProvider: true,
        // Folders added or removed at run time come as workspace/didChangeWorkspaceFolders (without it they were
        // ignored until a restart: a removed folder's code stayed in prompts, an added one was never indexed).
        workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
      },
      serverInfo: { name: 'locus', version: '0.1.0' },
    };
  });

  connection.onInitialized(() => {
    // Loading starts only now so the status notifications follow the initialize response.
    modelConfig = config;
    void modelHost.load(config);
    // The workspace index builds in the background; file events keep it current.
    void context.start(config.excludes);
    if (canWatchFiles) void connection.client.register(DidChangeWatchedFilesNotification.type, { watchers: [{ globPattern: '**/*' }] });
    // The library refuses the handler when the client did not declare the capability (it then sends no changes).
    if (canFollowFolders) connection.workspace.onDidChangeWorkspaceFolders(workspaceFoldersChanged);
  });

  function workspaceFoldersChanged(event: WorkspaceFoldersChangeEvent): void {
    if (lifecycle !== 'running') return;
    void context.foldersChanged(event);
    completions.contextChanged();
    // The sandbox's check (its temporary folder outside every workspace folder) is made again for the new folders.
    efficiency.forgetIsolation();
    if (config.efficiency.enabled) prepareEfficiency();
  }

  connection.onNotification(WorkspaceTrustNotification.type, (params) => {
    if (lifecycle !== 'running') return;
    workspaceTrusted = params?.trusted === true;
    if (workspaceTrusted) reportedUntrusted = false;
    else efficiency.cancel();
    prepareEfficiency();
  });

  // A client pushes `settings.locus` (VS Code: all of it; others may push a part), or says "changed" and is asked.
  // Nothing (null, no section) keeps the settings as they are: LSP's null answer means "not provided", not "defaults".
  connection.onDidChangeConfiguration(async (params) => {
    if (lifecycle !== 'running') return;
    const settings: unknown = params?.settings;
    const pushed = typeof settings === 'object' && settings !== null ? (settings as { locus?: unknown }).locus : undefined;
    if (pushed !== undefined && pushed !== null) return applySettings(pushed, 'settings');
    if (!canPullConfiguration) {
      // Said once: a client that pushes settings without a `locus` section never changes Locus's.
      if (typeof settings === 'object' && settings !== null && Object.keys(settings).length > 0 && !noLocusSectionSaid) {
        noLocusSectionSaid = true;
        logger.info('The client pushed settings without a "locus" section; Locus keeps its settings (send them as settings.locus).');
      }
      return;
    }
    try {
      const pulled: unknown = await connection.workspace.getConfiguration('locus');
      if (pulled !== undefined && pulled !== null) applySettings(pulled, 'pulled settings');
    } catch (error) {
      logger.warn(`Could not read the locus settings from the client: ${String(error)}`);
    }
  });

  connection.onNotification(WholeCompletionNotification.type, (params) => {
    if (lifecycle !== 'running') return;
    try {
      asks.asked(documentUri(params), checkedPosition(params?.position));
    } catch (error) {
      logger.warn(`${WholeCompletionNotification.method} ignored: ${describeError(error)}`);
    }
  });

  // The latest completion request: a newer one, for any document, aborts it on arrival wherever it is (building its
  // prompt, waiting for the editor's member list or the model), so an older one cannot answer after it.
  let latestRequest: AbortController | undefined;
  connection.languages.inlineCompletion.on(
    whileRunning(async (params, token) => {
      const uri = documentUri(params);
      const asked = checkedPosition(params.position);
      const target = documentAt(uri);
      // A request for a document the client never opened is answered at once and supersedes nothing.
      if (target === undefined) return { items: [] };
      const { text: document, completion: completed } = target;
      latestRequest?.abort(new SupersededError());
      const latest = new AbortController();
      latestRequest = latest;
      const ended = foreground.begin();
      try {
        // Clients that leave out the (required) context are treated as typing.
        const trigger = asks.triggerOf(uri, asked, params.context?.triggerKind);
        const selected = selectedItem(params.context?.selectedCompletionInfo, document);
        const items = await completions.provide(completed, positionIn(document, asked), AbortSignal.any([abortSignalOf(token), latest.signal]), trigger, selected);
        if (token.isCancellationRequested) return new ResponseError(LSPErrorCodes.RequestCancelled, 'Completion cancelled.');
        // Closed (and perhaps opened again with other text) meanwhile: its items are for a text that is gone.
        if (documentAt(uri)?.completion !== completed) return { items: [] };
        return { items };
      } finally {
        ended();
        if (latestRequest === latest) latestRequest = undefined;
      }
    }),
  );

  connection.onRequest(
    CompressRequest.type,
    whileRunning((params, token) => {
      const budget = checkedBudget(params?.budget);
      return context.compress({ textDocument: { uri: documentUri(params) }, position: checkedPosition(params?.position), ...(budget !== undefined && { budget }) }, abortSignalOf(token));
    }),
  );
  // The latest explanation: a newer one stops it (the model answers one at a time, and the user has moved on), and it
  // answers with what it had written, marked `superseded`.
  let latestExplain: AbortController | undefined;
  connection.onRequest(
    ExplainRequest.type,
    whileRunning(async (params, token) => {
      const explainParams = { textDocument: { uri: documentUri(params) }, range: checkedRange(params?.range), streamId: checkedStreamId(params?.streamId) };
      const latest = new AbortController();
      // Only a request that passed its checks stops the older one: a refused one (a secret file, no model) runs nothing.
      const accepted = () => {
        latestExplain?.abort();
        latestExplain = latest;
      };
      try {
        const result = await context.explain(explainParams, AbortSignal.any([abortSignalOf(token), latest.signal]), accepted);
        return latest.signal.aborted && result.stopReason === 'aborted' ? { ...result, stopReason: 'superseded' as const } : result;
      } finally {
        if (latestExplain === latest) latestExplain = undefined;
      }
    }),
  );
  connection.onDidChangeWatchedFiles((params) => {
    if (lifecycle === 'running') void context.filesChanged(params.changes);
  });
  documents.onDidOpen((event) => {
    context.documentOpened(event.document);
    completions.documentOpened(event.document.uri);
  });
  documents.onDidChangeContent((event) => context.documentChanged(event.document));
  documents.onDidClose((event) => {
    context.documentClosed(event.document.uri);
    completions.documentClosed(event.document.uri);
  });
  notebooks.onCellsOpened((uris) => {
    for (const uri of uris) completions.documentOpened(uri);
  });
  notebooks.onCellsClosed((uris) => {
    for (const uri of uris) completions.documentClosed(uri);
  });

  connection.onShutdown(async () => {
    lifecycle = 'shutDown';
    modelReload.cancel();
    scheduler.abortAll();
    await context.dispose();
    efficiency.cancel();
    await modelHost.dispose();
    telemetry.dispose();
  });

  telemetry.register(connection, lifecycleRefusal);
  connection.onExecuteCommand(
    whileRunning((params) => {
      if (params?.command === CompletionAcceptedCommand.command) telemetry.accepted(params.arguments);
    }),
  );

  documents.listen(connection);
  notebooks.listen(connection);
  connection.listen();
}

/**
 * How long model settings must stay unchanged before the model reloads. VS Code's Settings editor writes a text
 * setting 1 s after the last keystroke, so a path typed with short pauses arrives as values 2-2.5 s apart (typing
 * `/opt/models/`, `qwen`, `-coder` with 1.5 s pauses); each one loaded used to unload the working model and fail.
 * The model in place keeps answering meanwhile, so the wait costs only the time until the new model is ready. A
 * quantization picked from its list reloads at once.
 */
const MODEL_SETTINGS_SETTLE_MS = 3000;

/**
 * How long a completion on a member access waits for the editor's member list. It is asked while the prompt is
 * built (~10-20 ms); TypeScript answers a warm member list in about as long.
 */
const MEMBER_NAMES_TIMEOUT_MS = 60;

/** The other way, for requests the server sends: the client is told when the server stops waiting. */
function cancellationOf(signal: AbortSignal): { token: CancellationToken; dispose(): void } {
  const source = new CancellationTokenSource();
  const cancel = () => source.cancel();
  if (signal.aborted) cancel();
  else signal.addEventListener('abort', cancel, { once: true });
  return {
    token: source.token,
    dispose: () => {
      signal.removeEventListener('abort', cancel);
      source.dispose();
    },
  };
}

/** The LSP token becomes an AbortSignal once, here; everything below takes the signal. */
function abortSignalOf(token: CancellationToken): AbortSignal {
  const controller = new AbortController();
  if (token.isCancellationRequested) controller.abort();
  else token.onCancellationRequested(() => controller.abort());
  return controller.signal;
}
