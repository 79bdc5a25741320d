// The context engine inside the language server: the workspace index (built in the background once the
// client is initialized, kept current from document and file-watcher events), the completion prompt with
// retrieval and compression, and the `locus/compress` and `locus/explain` requests.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { FileEvent, Position, Range, WorkspaceFolder, WorkspaceFoldersChangeEvent } from 'vscode-languageserver-protocol';
import { tokenizerDirectory } from '../../runtime/tokenizerFiles';
import type { LoadedModel } from '../completionProvider';
import type { CompressParams, CompressResult, ExplainChunk, ExplainParams, ExplainResult, ModelStatus } from '../protocol';
import { healPrefix } from '../tokenHealing';
import { describeError, type Logger } from '../logger';
import { BEFORE_BUDGET_FACTOR, compressReport } from './compressReport';
import { ContextEngine, type FileEventKind } from './contextEngine';
import { completionPromptOf, ContextPromptBuilder, type CompletionPrompt, type CursorText } from './contextPromptBuilder';
import { distinctFolders, type DuplicateFolder } from './distinctFolders';
import { buildExplainPrompt, encodeExplainPrompt, noCommentReason, type ExplainInput } from './explainPrompt';
import { declarationHeading, selectionDeclarations, unexplainedNote } from './selectionDeclarations';
import { ExplanationFrame } from './explanationFrame';
import { generateExplanation } from './explanationRuns';
import { wordChoices } from './moduleMembers';
import { IndexCache, defaultCacheDir } from './indexPersistence';
import { promptBudgetFor } from '../generationRoom';
import { PromptAssembler, type ContextTokenizer } from './promptAssembler';
import { DraftModelScorer, SelectiveContext, UnigramScorer } from './selectiveContext';
import { SyntaxChunker } from './syntaxChunker';
import { asModelText } from '../modelText';
import { filePathOf } from '../fileUri';
import { completableText } from '../completableDocument';
import { characterStartAt, pastLineEnd } from '../requestParams';
import { relativeInside } from './folderPaths';
import { PromptPrivacy } from './promptPrivacy';
import { NO_EXCLUDES, type WorkspaceExcludes } from './workspaceExcludes';
import { MAX_INDEXED_FILE_BYTES } from './workspaceWalker';

/** The part of a text document the feature reads (vscode-languageserver-textdocument satisfies it). */
export interface ContextDocument {
  uri: string;
  languageId: string;
  /** Characters in the text, known without reading it. */
  length: number;
  getText(range?: Range): string;
  offsetAt(position: Position): number;
}

/** An open document as the index follows it: its length is read first, so a text too large to index is never joined. */
export interface IndexedDocument {
  uri: string;
  version: number;
  /** Characters in the text, known without reading it. */
  length: number;
  getText(): string;
}

export interface ContextFeatureDeps {
  model: () => LoadedModel | undefined;
  /** The last status of the model's load, which says why there is no model. */
  modelStatus: () => ModelStatus | undefined;
  /** Prompt budget and generation length from the validated settings. */
  limits: () => { promptTokenBudget: number; maxNewTokens: number };
  document: (uri: string) => ContextDocument | undefined;
  /** The file a document's text belongs to (a notebook's, for one of its cells): its path decides privacy and names it. */
  fileUri?: (uri: string) => string;
  /** The file a notebook cell's code was run from (an Interactive Window's), if it names one: its rules hold for the cell. */
  ranFromUri?: (uri: string) => string | undefined;
  sendExplainChunk: (chunk: ExplainChunk) => void;
  logger: Logger;
  /** Resolves once no completion is being answered: the index waits for it between files and parse slices. */
  foregroundIdle: () => Promise<void>;
  /** Aborted as soon as a completion starts (at once while one is answered): Explain's model run gives way to it. */
  foregroundStarts: () => AbortSignal;
  /** The exclude globs from the validated settings: files `locus.exclude` names never give a prompt (promptPrivacy.ts). */
  excludes: () => WorkspaceExcludes;
}

/** The document's text for the index; undefined, and not joined, over the index's size limit (the index would drop it). */
function indexableText(document: Pick<IndexedDocument, 'length' | 'getText'>): string | undefined {
  return document.length > MAX_INDEXED_FILE_BYTES ? undefined : document.getText();
}

/** LSP file-change types: 1 created, 2 changed, 3 deleted. */
const FILE_EVENT_KINDS: Record<number, FileEventKind> = { 1: 'created', 2: 'changed', 3: 'deleted' };
/** Tokens an explanation may run to. */
const EXPLAIN_MAX_NEW_TOKENS = 320;
/** What Explain shows when the model wrote nothing, with what to do about it. */
const NO_DOC_COMMENT = 'The model wrote no description of this code: a chat model (the locus.model.path setting) explains code better.';
const NO_ANSWER = 'The model wrote no explanation of this code.';
/** Why there is no model to ask, as one sentence with what to do: still loading, or its load failed. */
function modelNotReady(status: ModelStatus | undefined): Error {
  if (status?.state === 'error') return new Error(`The model did not load (the Output channel says why): ${status.fix}`);
  return new Error('The model is still loading: run the command again in a moment.');
}
/** A request for a document the client has not opened (VS Code always has; other editors may not). */
function notOpen(uri: string): Error {
  return new Error(`${uri} is not open in the editor: open it and run the command again.`);
}

interface PromptKit {
  tokenizer: LoadedModel['tokenizer'];
  info: LoadedModel['info'];
  builder: ContextPromptBuilder;
}

export class ContextFeature {
  private engine: ContextEngine | undefined;
  /** The workspace folders as the client lists them: the privacy rules and the sandbox's check judge every path. */
  private folders: string[] = [];
  /** Listed folders that are another listed folder on disk (distinctFolders.ts): their files are indexed as its. */
  private duplicates: DuplicateFolder[] = [];
  private excludes: WorkspaceExcludes = NO_EXCLUDES;
  private started = false;
  /** Folder changes are applied one at a time, in order: each waits for real paths, then for the chunker at start. */
  private folderSync: Promise<void> = Promise.resolve();
  private indexed: { folders: readonly string[]; duplicates: readonly DuplicateFolder[]; paths: readonly string[] } | undefined;
  /** The index's latest build (the tests wait for it). */
  private latestBuild: Promise<void> = Promise.resolve();
  private cacheDir = defaultCacheDir();
  private kit: PromptKit | undefined;
  private readonly tokenizerConfigs = new Map<string, Record<string, unknown> | undefined>();
  private readonly openedVersions = new Map<string, number>();
  /** Rebuilt when the folders or the globs (a new settings object) change. */
  private privacy: { folders: readonly string[]; excludes: WorkspaceExcludes; rules: PromptPrivacy } | undefined;

  constructor(private readonly deps: ContextFeatureDeps) {}

  /** From `initialize`: the workspace folders, and the client's storage folder for the index cache. */
  initialize(workspaceFolders: readonly WorkspaceFolder[] | null | undefined, rootUri: string | null | undefined, storagePath: string | undefined): void {
    const uris = workspaceFolders?.map((f) => f.uri) ?? (rootUri ? [rootUri] : []);
    this.folders = this.localPaths(uris);
    if (storagePath !== undefined && storagePath !== '') this.cacheDir = path.join(storagePath, 'index');
  }

  /** Every workspace folder as listed, links unresolved (a file may be opened under any of them). */
  get listedFolders(): readonly string[] {
    return this.folders;
  }

  /** One path per workspace folder on disk: a folder listed twice, or linked, is walked once. A new list when it changes. */
  get indexedFolders(): readonly string[] {
    if (this.indexed?.folders !== this.folders || this.indexed.duplicates !== this.duplicates) {
      this.indexed = { folders: this.folders, duplicates: this.duplicates, paths: this.folders.filter((folder) => !this.duplicates.some((d) => d.path === folder)) };
    }
    return this.indexed.paths;
  }

  /** Builds the index in the background; the server answers completions meanwhile (with what is indexed so far). */
  async start(excludes: WorkspaceExcludes): Promise<void> {
    this.excludes = excludes;
    this.started = true;
    await this.syncFolders();
  }

  /**
   * `workspace/didChangeWorkspaceFolders`: a removed folder leaves the index, the privacy rules and retrieval; an added
   * one is indexed as at start (from its cache where files did not change). Resolves once the index has been built.
   */
  foldersChanged(event: WorkspaceFoldersChangeEvent): Promise<void> {
    const removed = new Set(event.removed.map((f) => filePathOf(f.uri)).filter((p) => p !== undefined).map((p) => path.resolve(p)));
    const kept = this.folders.filter((folder) => !removed.has(folder));
    const added = this.localPaths(event.added.map((f) => f.uri)).filter((folder, i, all) => !kept.includes(folder) && all.indexOf(folder) === i);
    for (const folder of this.folders) if (removed.has(folder)) this.deps.logger.info(`Workspace folder removed: ${folder}; its files leave workspace context.`);
    for (const folder of added) this.deps.logger.info(`Workspace folder added: ${folder}; indexing it.`);
    this.folders = [...kept, ...added];
    return this.syncFolders().then(() => this.latestBuild);
  }

  /** The folders' local paths; a folder without one here (a remote URI) is said once, and left out. */
  private localPaths(uris: readonly string[]): string[] {
    return uris.flatMap((uri) => {
      const file = filePathOf(uri);
      if (file === undefined && uri.startsWith('file:')) this.deps.logger.warn(`The workspace folder ${uri} has no local path here; its files are not indexed.`);
      return file === undefined ? [] : [path.resolve(file)];
    });
  }

  private syncFolders(): Promise<void> {
    this.folderSync = this.folderSync.then(() => this.indexListedFolders());
    return this.folderSync;
  }

  /** Brings the index to the listed folders, one index per folder on disk. Never rejects. */
  private async indexListedFolders(): Promise<void> {
    const listed = this.folders;
    if (!this.started) return;
    const { distinct, duplicates } = await distinctFolders(listed);
    // Changed again meanwhile: the next step in `folderSync` indexes the newer list.
    if (listed !== this.folders) return;
    for (const duplicate of duplicates) {
      if (this.duplicates.some((d) => d.path === duplicate.path && d.sameAs === duplicate.sameAs)) continue;
      this.deps.logger.info(`Workspace folder ${duplicate.path} is ${duplicate.sameAs} (a link to it, or listed twice): its files are indexed once, as that folder's.`);
    }
    this.duplicates = duplicates;
    const before = this.engine?.roots ?? [];
    if (this.engine === undefined) await this.createEngine(distinct);
    else this.latestBuild = this.engine.setFolders(distinct);
    const after = this.engine?.roots ?? [];
    this.reopenDocumentsIn([...before.filter((root) => !after.includes(root)), ...after.filter((root) => !before.includes(root))]);
  }

  private async createEngine(roots: readonly string[]): Promise<void> {
    if (roots.length === 0) return;
    try {
      const pause = this.deps.foregroundIdle;
      const chunker = await SyntaxChunker.create(undefined, pause);
      this.engine = new ContextEngine({ folders: roots, excludes: this.excludes, chunker, cache: new IndexCache(this.cacheDir), log: (m) => this.deps.logger.info(m), pause });
      this.latestBuild = this.engine.build();
    } catch (error) {
      this.deps.logger.error(`Workspace context is off: the tree-sitter runtime could not load (${describeError(error)}).`);
    }
  }

  /**
   * Open documents in folders that joined or left the index go in from their buffers, as at start: the walk reads the
   * disk's text, which misses unsaved edits (a document opened before the index existed was not in it at all).
   */
  private reopenDocumentsIn(roots: readonly string[]): void {
    if (roots.length === 0 || this.engine === undefined) return;
    for (const uri of this.openedVersions.keys()) {
      const file = this.indexedPath(uri);
      const document = this.deps.document(uri);
      if (file === undefined || document === undefined || !roots.some((root) => relativeInside(root, file) !== undefined)) continue;
      this.engine.documentOpened(file, indexableText(document));
    }
  }

  private documentPath(uri: string): string | undefined {
    return filePathOf(this.deps.fileUri?.(uri) ?? uri);
  }

  /**
   * A document's path as the index knows it: under a folder listed twice (a link to another listed folder) it is the
   * same file under the folder that is indexed, so retrieval skips its own chunks and never offers its disk copy.
   */
  private indexedPath(uri: string): string | undefined {
    const file = this.documentPath(uri);
    if (file === undefined) return undefined;
    for (const { path: alias, sameAs } of this.duplicates) {
      const relativePath = relativeInside(alias, file);
      if (relativePath !== undefined) return path.join(sameAs, relativePath);
    }
    return file;
  }

  /** Why the document's text must stay out of prompts (one sentence for the status bar), or undefined when it may go in. */
  privateReason(uri: string): string | undefined {
    const ranFrom = this.deps.ranFromUri?.(uri);
    return this.filePrivateReason(this.deps.fileUri?.(uri) ?? uri) ?? (ranFrom === undefined ? undefined : this.filePrivateReason(ranFrom));
  }

  /** Why the text of the file at `fileUri` must stay out of prompts; undefined when it may go in, or it has no path here. */
  filePrivateReason(fileUri: string): string | undefined {
    const file = filePathOf(fileUri);
    if (file === undefined) return undefined;
    const excludes = this.deps.excludes();
    if (this.privacy?.folders !== this.folders || this.privacy.excludes !== excludes) {
      this.privacy = { folders: this.folders, excludes, rules: new PromptPrivacy(this.folders, excludes) };
    }
    return this.privacy.rules.reasonFor(file);
  }

  setExcludes(excludes: WorkspaceExcludes): void {
    this.excludes = excludes;
    void this.engine?.setExcludes(excludes);
  }

  documentOpened(document: IndexedDocument): void {
    this.openedVersions.set(document.uri, document.version);
    const file = this.indexedPath(document.uri);
    if (file !== undefined) this.engine?.documentOpened(file, indexableText(document));
  }

  /** LSP document managers report the opening as a change too; only later versions are edits. */
  documentChanged(document: IndexedDocument): void {
    if (this.openedVersions.get(document.uri) === document.version) return;
    const file = this.indexedPath(document.uri);
    if (file !== undefined) this.engine?.documentChanged(file, indexableText(document));
  }

  documentClosed(uri: string): void {
    this.openedVersions.delete(uri);
    const file = this.indexedPath(uri);
    if (file !== undefined) this.engine?.documentClosed(file);
  }

  filesChanged(changes: readonly FileEvent[]): void {
    const events = changes.flatMap((c) => {
      const file = this.indexedPath(c.uri);
      const kind = FILE_EVENT_KINDS[c.type];
      return file === undefined || kind === undefined ? [] : [{ file, kind }];
    });
    this.engine?.filesChanged(events).catch((e: unknown) => this.deps.logger.warn(`Updating the index failed: ${describeError(e)}`));
  }

  /**
   * The completion prompt: retrieved snippets and the current file, compressed to the budget. Undefined when the
   * model or workspace gives no context (the caller then builds the plain FIM prompt), and on failure (logged).
   */
  async completionPrompt(model: LoadedModel, uri: string, text: Omit<CursorText, 'file'>, signal: AbortSignal): Promise<CompletionPrompt | undefined> {
    const kit = this.kitFor(model);
    if (kit === undefined) return undefined;
    try {
      return completionPromptOf(await kit.builder.build({ file: this.indexedPath(uri), ...text }, this.promptBudget(model), signal));
    } catch (error) {
      this.deps.logger.warn(`Workspace context skipped for this completion: ${describeError(error)}`);
      return undefined;
    }
  }

  /**
   * The words a completion must start with when the cursor is on a member of a workspace module (`utils_1.|`,
   * `utils.pattern.get|`): its names, less what is typed of them. Undefined elsewhere, and on failure (logged).
   */
  wordChoices(uri: string, typedPrefix: string, suffix: string): string[] | undefined {
    const file = this.indexedPath(uri);
    if (this.engine === undefined || file === undefined) return undefined;
    try {
      const choices = this.engine.memberChoices(file, typedPrefix + suffix, typedPrefix);
      return choices === undefined ? undefined : wordChoices(choices);
    } catch (error) {
      this.deps.logger.warn(`Member names skipped for this completion: ${describeError(error)}`);
      return undefined;
    }
  }

  async compress(params: CompressParams, signal: AbortSignal): Promise<CompressResult> {
    const model = this.deps.model();
    const document = this.deps.document(params.textDocument.uri);
    if (model === undefined) throw modelNotReady(this.deps.modelStatus());
    if (document === undefined) throw notOpen(params.textDocument.uri);
    // The prompt a completion here would send: none where completions make none.
    const completable = completableText(document, this.privateReason(document.uri));
    if ('reason' in completable) throw new Error(completable.reason);
    const kit = this.kitFor(model);
    if (kit === undefined) {
      throw new Error(
        this.engine === undefined
          ? 'Compress shows the workspace context of a prompt: open a folder (or a workspace) so that prompts carry context from its files.'
          : 'This model has no <|file_sep|> or FIM tokens, so prompts carry no workspace context to compress.',
      );
    }
    const { text } = completable;
    const offset = characterStartAt(text, document.offsetAt(params.position));
    // The prompt a completion here would send: healed as completions heal it, retrieved with the text as typed.
    const typedPrefix = asModelText(text.slice(0, offset), true);
    const cursor = { file: this.indexedPath(document.uri), prefix: healPrefix(model.tokenizer, typedPrefix).prefix, typedPrefix, suffix: asModelText(text.slice(offset), offset === 0) };
    // Checked at the border (requestParams.ts checkedBudget): absent, or a whole number of tokens from the setting's minimum.
    const budget = Math.min(params.budget ?? this.promptBudget(model), this.promptBudget(model));
    const after = await kit.builder.build(cursor, budget, signal, true);
    const before = await kit.builder.buildUncompressed(cursor, Math.min(budget * BEFORE_BUDGET_FACTOR, model.info.maxContext), signal);
    return compressReport({
      budget,
      scorer: after.compression?.scorer ?? kit.builder.scorerName,
      before,
      after,
      index: { files: this.engine?.fileCount ?? 0, chunks: this.engine?.chunkCount ?? 0, building: this.engine?.isBuilding ?? false },
    });
  }

  /** `accepted`: called once the request passed its checks, before the model runs (a refused one stops nothing). */
  async explain(params: ExplainParams, signal: AbortSignal, accepted: () => void = () => undefined): Promise<ExplainResult> {
    const model = this.deps.model();
    const document = this.deps.document(params.textDocument.uri);
    if (model === undefined) throw modelNotReady(this.deps.modelStatus());
    if (document === undefined) throw notOpen(params.textDocument.uri);
    const privateReason = this.privateReason(document.uri);
    if (privateReason !== undefined) throw new Error(privateReason);
    const text = document.getText();
    const end = characterStartAt(text, document.offsetAt(params.range.end));
    const start = pastLineEnd(text, characterStartAt(text, document.offsetAt(params.range.start)), end);
    if (end <= start) throw new Error('Select the code to explain first.');
    if (text.slice(start, end).trim() === '') throw new Error('The selection is blank: select the code to explain.');
    if (text.includes('\u0000')) throw new Error('Locus explains no binary files (this one holds NUL characters): select code in a text file.');
    const file = this.indexedPath(document.uri);
    const input: ExplainInput = { languageId: document.languageId, path: file === undefined ? undefined : this.engine?.displayPath(file) ?? path.basename(file), before: asModelText(text.slice(0, start), true), selection: asModelText(text.slice(start, end), start === 0), after: asModelText(text.slice(end), false) };
    const config = this.tokenizerConfig(model.info.dir);
    const first = buildExplainPrompt(input, config);
    const noComment = first.mode === 'docComment' ? noCommentReason(input.languageId) : undefined;
    if (noComment !== undefined) throw new Error(noComment);
    // A chat model reads the whole selection; a doc comment documents one declaration, so each gets its own.
    const declarations = first.mode === 'chat' ? { parts: [input], unexplained: 0, assignments: [] } : selectionDeclarations(input);
    const { parts } = declarations;
    const prompts = parts.length === 1 ? [first] : parts.map((part) => buildExplainPrompt(part, config));
    const room = Math.max(16, model.info.maxContext - Math.min(EXPLAIN_MAX_NEW_TOKENS, Math.floor(model.info.maxContext / 2)));
    const tokenizer = model.tokenizer as ContextTokenizer;
    // Encoded before the first run, so that a refusal stops no older explanation.
    const promptIds = prompts.map((prompt) => encodeExplainPrompt(prompt, tokenizer, model.fim, room));
    accepted();
    const started = performance.now();
    let streamed = '';
    const send = (delta: string) => {
      streamed += delta;
      this.deps.sendExplainChunk({ streamId: params.streamId, delta });
    };
    let stopReason: ExplainResult['stopReason'] = 'eos';
    let generatedTokens = 0;
    for (const [i, prompt] of prompts.entries()) {
      if (prompts.length > 1) send(`${i === 0 ? '' : '\n\n'}${declarationHeading(parts[i]!)}\n\n`);
      const frame = new ExplanationFrame(prompt.mode === 'docComment' ? prompt : undefined, prompt.mode === 'docComment' ? NO_DOC_COMMENT : NO_ANSWER, send);
      const result = await generateExplanation(
        { engine: model.engine, decode: (ids) => tokenizer.decode(ids), foregroundIdle: this.deps.foregroundIdle, foregroundStarts: this.deps.foregroundStarts },
        {
          promptIds: promptIds[i]!,
          maxNewTokens: Math.max(1, Math.min(EXPLAIN_MAX_NEW_TOKENS, model.info.maxContext - promptIds[i]!.length)),
          stopStrings: prompt.stopStrings,
          ...(prompt.mode === 'docComment' && { start: prompt.start, ...(prompt.linesStartWith !== undefined && { linesStartWith: prompt.linesStartWith }) }),
        },
        signal,
        (delta) => frame.push(delta),
      );
      frame.finish(result.stopReason);
      stopReason = result.stopReason;
      generatedTokens += result.generatedTokens;
      if (signal.aborted) break;
    }
    const note = unexplainedNote(declarations);
    if (note !== undefined && !signal.aborted) send(`\n\n${note}\n`);
    return {
      mode: first.mode,
      text: streamed,
      stopReason,
      promptTokens: promptIds.reduce((sum, ids) => sum + ids.length, 0),
      generatedTokens,
      totalMs: Math.round(performance.now() - started),
    };
  }

  async dispose(): Promise<void> {
    await this.engine?.dispose();
  }

  private promptBudget(model: LoadedModel): number {
    const { promptTokenBudget, maxNewTokens } = this.deps.limits();
    // The builder's budget counts the FIM tokens itself.
    return promptBudgetFor(model.info.maxContext, promptTokenBudget, maxNewTokens, 0);
  }

  /** Assembler and scorer for the loaded tokenizer (rebuilt when the model changes). */
  private kitFor(model: LoadedModel): PromptKit | undefined {
    if (this.kit?.tokenizer !== model.tokenizer || this.kit.info !== model.info) {
      // The server loads runtime TextTokenizers, which decode too (the compress view shows kept text).
      const tokenizer = model.tokenizer as ContextTokenizer;
      const assembler = new PromptAssembler(tokenizer);
      // Self-information under the draft model when the pair has one; token statistics of the workspace otherwise.
      const engine = model.engine;
      const scorer =
        this.engine === undefined
          ? undefined
          : model.info.draft !== undefined
            ? new DraftModelScorer(tokenizer, (ids, signal) => engine.draftLogProbs(ids, signal))
            : new UnigramScorer(tokenizer, this.engine);
      // Completions do not wait for the draft model: token statistics stand in until it has scored a chunk.
      const fallback = this.engine && scorer?.name === 'draft-model' ? { fallback: new UnigramScorer(tokenizer, this.engine) } : undefined;
      const selective = scorer && new SelectiveContext(scorer, fallback);
      this.kit = assembler.supportsContext && this.engine !== undefined ? { tokenizer: model.tokenizer, info: model.info, builder: new ContextPromptBuilder(this.engine, assembler, selective) } : undefined;
    }
    return this.kit;
  }

  private tokenizerConfig(modelDir: string): Record<string, unknown> | undefined {
    if (!this.tokenizerConfigs.has(modelDir)) {
      let config: Record<string, unknown> | undefined;
      try {
        // A model pair may share one tokenizer in the parent folder (the embedded default does).
        config = JSON.parse(readFileSync(path.join(tokenizerDirectory(modelDir), 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
      } catch {
        config = undefined;
      }
      this.tokenizerConfigs.set(modelDir, config);
    }
    return this.tokenizerConfigs.get(modelDir);
  }
}
