// The server's one handle on workspace context: one index per workspace folder, built in the background at
// start (from the on-disk cache where files did not change), kept current from editor and file-watcher
// events, and queried for the snippets a prompt should carry.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { innermostHolding, relativeInside } from './folderPaths';
import { WorkspaceFolderUnreadableError } from '../../runtime/errors';
import { IndexCache } from './indexPersistence';
import { workspaceFolderFilter, type PathFilter } from './pathFilter';
import type { CodeChunk } from './codeChunk';
import { memberChoices, type MemberChoices, type ModuleChunks } from './moduleMembers';
import { DEFAULT_RETRIEVER_OPTIONS, Retriever, type RetrievedSnippet } from './retriever';
import type { TermStatistics } from './selectiveContext';
import type { BuildStats, Chunker } from './workspaceIndex';
import { MAX_INDEXED_FOLDER_BYTES, WorkspaceIndex } from './workspaceIndex';
import { isIndexableText, reachedThroughLink, readTextFile, staysInside } from './workspaceWalker';
import { excludesChangedIn, type WorkspaceExcludes } from './workspaceExcludes';

export interface ContextEngineOptions {
  /** Absolute paths of the workspace folders. */
  folders: readonly string[];
  /** files.exclude and locus.exclude globs (`index`), the window's and those of folders with their own. */
  excludes: WorkspaceExcludes;
  chunker: Chunker;
  cache: IndexCache;
  log: (message: string) => void;
  /** An open document's edits are indexed after this much quiet. */
  editDelayMs?: number;
  /**
   * A newly opened document the index lacks (or holds other text of) is indexed after this long: the messages queued
   * with it go first. Chunked at once, 200 documents opened together held a request behind them for 0.6-1.2 s, as the
   * connection takes one message a turn of the event loop and each turn also ran a slice of chunking.
   */
  openDelayMs?: number;
  /** The cache is rewritten at most this often after changes. */
  saveDelayMs?: number;
  /** Awaited before each file of a build: resolves once the server's foreground work (completions) is done. */
  pause?: () => Promise<void>;
  /** File bytes each folder's index takes in (default MAX_INDEXED_FOLDER_BYTES). */
  folderBudgetBytes?: number;
}

export type FileEventKind = 'created' | 'changed' | 'deleted';

interface Folder {
  index: WorkspaceIndex;
  filter: PathFilter;
}

export class ContextEngine implements TermStatistics {
  private folders: Folder[];
  private readonly retriever = new Retriever(DEFAULT_RETRIEVER_OPTIONS);
  private readonly pendingEdits = new Map<string, ReturnType<typeof setTimeout>>();
  /** Open documents whose index entry holds (or is about to hold) the buffer's text rather than the file's (`bufferKey`). */
  private readonly bufferTexts = new Set<string>();
  /** Closed documents whose entry goes back to the file on disk. */
  private readonly resyncs = new Set<string>();
  private saveTimer: ReturnType<typeof setTimeout> | undefined;
  /** Indexes a build went through to the end: only their snapshot may replace a folder's cache when it is removed. */
  private readonly builtIndexes = new WeakSet<WorkspaceIndex>();
  private buildAbort = new AbortController();
  private building: Promise<void> | undefined;
  private disposed = false;

  private get budgetBytes(): number {
    return this.options.folderBudgetBytes ?? MAX_INDEXED_FOLDER_BYTES;
  }

  /** `options.folders` and `options.excludes` are replaced as they change (setFolders, setExcludes). */
  constructor(private options: ContextEngineOptions) {
    this.folders = options.folders.map((root) => this.newFolder(root));
  }

  private newFolder(root: string): Folder {
    return { index: new WorkspaceIndex(root, this.options.chunker, Date.now, this.budgetBytes), filter: this.filterFor(root) };
  }

  private filterFor(root: string): PathFilter {
    return workspaceFolderFilter(root, this.options.folders, this.options.excludes);
  }

  /** The folders indexed now, in the client's order. */
  get roots(): string[] {
    return this.folders.map((f) => f.index.root);
  }

  get isBuilding(): boolean {
    return this.building !== undefined;
  }

  get fileCount(): number {
    return this.folders.reduce((n, f) => n + f.index.fileCount, 0);
  }

  get chunkCount(): number {
    return this.folders.reduce((n, f) => n + f.index.chunkCount, 0);
  }

  get documentCount(): number {
    return this.folders.reduce((n, f) => n + f.index.documentCount, 0);
  }

  documentFrequency(term: string): number {
    return this.folders.reduce((n, f) => n + f.index.documentFrequency(term), 0);
  }

  /** Starts (or restarts) the background build; resolves when it ends. Never rejects. */
  build(): Promise<void> {
    this.buildAbort.abort();
    const abort = (this.buildAbort = new AbortController());
    const run = (async () => {
      for (const folder of this.folders) {
        if (abort.signal.aborted) return;
        try {
          const cached = await this.options.cache.load(folder.index.root);
          const stats: BuildStats = await folder.index.build(folder.filter, {
            cached,
            signal: abort.signal,
            pause: this.options.pause,
            owned: (relativePath) => this.bufferTexts.has(bufferKey(folder, relativePath)),
          });
          this.options.log(
            `Indexed ${stats.files} files (${stats.chunks} chunks, ${stats.reusedFiles} from cache, ${stats.secretChunks} left out as secrets) in ${Math.round(stats.ms)} ms: ${folder.index.root}`,
          );
          if (stats.full) {
            this.options.log(
              `The index of ${folder.index.root} is full (${formatMiB(this.budgetBytes)} of files, the nearest the folder's root): the rest of the folder is left out of workspace context. Add the folders you do not need to the locus.exclude setting.`,
            );
          }
          if (!abort.signal.aborted) {
            this.builtIndexes.add(folder.index);
            await this.options.cache.save(folder.index.root, folder.index.snapshot());
          }
        } catch (e) {
          if (e instanceof WorkspaceFolderUnreadableError) {
            // What it held before (a folder made unreadable or deleted since) can no longer be checked against the disk.
            folder.index.removeFolder('');
            this.builtIndexes.delete(folder.index);
          }
          this.options.log(e instanceof WorkspaceFolderUnreadableError ? `${e.message} ${e.fix}` : `Indexing ${folder.index.root} failed: ${(e as Error).message}`);
        }
      }
    })();
    const tracked: Promise<void> = run.finally(() => {
      if (this.building === tracked) this.building = undefined;
    });
    this.building = tracked;
    return tracked;
  }

  /**
   * New exclude globs: filters are rebuilt and the folders re-walked (unchanged files are not re-read), unless no
   * indexed folder's globs changed (a folder not listed yet, whose settings came first, is built with them when added).
   */
  setExcludes(excludes: WorkspaceExcludes): Promise<void> {
    const changed = excludesChangedIn(this.options.excludes, excludes, this.roots);
    this.options = { ...this.options, excludes };
    if (!changed) return Promise.resolve();
    this.folders = this.folders.map((f) => ({ index: f.index, filter: this.filterFor(f.index.root) }));
    return this.build();
  }

  /**
   * The workspace folders changed (`workspace/didChangeWorkspaceFolders`): a removed folder's index goes, with what
   * could still be retrieved from it (its cache is saved first, so adding it again reads only what changed), and an
   * added one is built as at start. Every filter is rebuilt, since a folder nested in another is left out of the
   * outer one's index while it is listed. Resolves when the build this starts ends.
   */
  async setFolders(roots: readonly string[]): Promise<void> {
    const removed = this.folders.filter((f) => !roots.includes(f.index.root));
    const added = roots.filter((root) => !this.roots.includes(root));
    if (removed.length === 0 && added.length === 0) return;
    // A build in flight walks the folder list it started with: it must not go on into a removed folder.
    const restart = added.length > 0 || this.building !== undefined || removed.some((f) => nestedInAny(f.index.root, roots));
    this.buildAbort.abort();
    this.options = { ...this.options, folders: roots };
    const kept = new Map(this.folders.map((f) => [f.index.root, f.index]));
    this.folders = roots.map((root) => {
      const index = kept.get(root);
      return index === undefined ? this.newFolder(root) : { index, filter: this.filterFor(root) };
    });
    for (const folder of removed) this.forgetBuffersOf(folder);
    await Promise.all(removed.filter((f) => this.builtIndexes.has(f.index)).map((f) => this.saveFolder(f)));
    if (restart) await this.build();
  }

  /** A removed folder's open buffers: marks of an index that is gone (a folder listed again gets a new one). */
  private forgetBuffersOf(folder: Folder): void {
    const prefix = bufferKey(folder, '');
    for (const key of this.bufferTexts) if (key.startsWith(prefix)) this.bufferTexts.delete(key);
  }

  /** `text` undefined: the buffer is too large to index (its text was not even read); it leaves the index. */
  documentOpened(file: string, text: string | undefined): void {
    const located = this.locate(file);
    if (located === undefined) return;
    located.folder.index.setOpen(located.relativePath, true);
    // Reopened while its entry goes back to the disk's text (VS Code closes and reopens a document whose language
    // changes): the buffer, which may hold unsaved edits, is what counts. So does a buffer whose size is not the
    // indexed file's (VS Code restores unsaved edits at start-up, after the index has the disk's text); one of the
    // same size is taken for the disk's text, which saves chunking every file the user opens.
    const indexedSize = located.folder.index.indexedSize(located.relativePath);
    const differs = text !== undefined && indexedSize !== undefined && Buffer.byteLength(text, 'utf8') !== indexedSize;
    if (indexedSize === undefined || differs || this.resyncs.has(file)) this.scheduleUpdate(file, text, this.options.openDelayMs ?? 250);
  }

  /**
   * A closed buffer's unsaved text leaves the index: the file on disk goes back in, or none when it was never saved.
   * Without this, code discarded with "Don't Save" was retrieved into prompts until the server restarted.
   */
  documentClosed(file: string): void {
    // Found whatever the filter says now: a document excluded while it was open must still drop its marks.
    const located = this.locate(file, false);
    if (located === undefined) return;
    located.folder.index.setOpen(located.relativePath, false);
    const pending = this.pendingEdits.get(file);
    clearTimeout(pending);
    this.pendingEdits.delete(file);
    const hadBuffer = this.bufferTexts.delete(bufferKey(located.folder, located.relativePath));
    if (pending === undefined && !hadBuffer) return;
    this.resyncs.add(file);
    void this.resyncWithDisk(file).finally(() => this.resyncs.delete(file));
  }

  /** Unsaved edits count: the index follows the buffer, after `editDelayMs` of quiet; `text` as for `documentOpened`. */
  documentChanged(file: string, text: string | undefined): void {
    const located = this.locate(file);
    if (located === undefined) return;
    located.folder.index.noteEdited(located.relativePath);
    this.scheduleUpdate(file, text, this.options.editDelayMs ?? 500);
  }

  /** `workspace/didChangeWatchedFiles`: re-read, add or drop files; a changed .gitignore re-walks its folder. */
  async filesChanged(events: readonly { file: string; kind: FileEventKind }[]): Promise<void> {
    let rewalk = false;
    for (const { file, kind } of events) {
      const located = this.locate(file);
      if (located === undefined) continue;
      const { folder, relativePath } = located;
      if (path.basename(relativePath) === '.gitignore') {
        // Its rules reach into the folders nested below it too, which read them as an outer folder's or their repository's.
        for (const each of this.folders) each.filter.gitignoreChanged(file);
        rewalk = true;
        continue;
      }
      if (kind === 'deleted' || folder.filter.isExcluded(relativePath, false)) {
        if (folder.index.hasFile(relativePath)) folder.index.removeFile(relativePath);
        // A folder deleted or renamed away comes as one event for the folder; one left out holds no indexed files, so
        // the churn of excluded folders (node_modules) costs no scan of the index per event.
        else if (kind === 'deleted' && !folder.filter.isExcluded(relativePath, true)) folder.index.removeFolder(relativePath);
        continue;
      }
      // An open buffer's text wins over the disk.
      if (this.bufferHolds(file, folder, relativePath)) continue;
      // A link, or a file in a linked folder, is not indexed at that path, as the walker does not follow links: its
      // target is, at its real one.
      if (await reachedThroughLink(file, folder.index.root)) {
        folder.index.removeFile(relativePath);
        continue;
      }
      const stat = await fs.stat(file).catch(() => undefined);
      // A folder created or renamed into place: its files come with a walk.
      if (stat?.isDirectory()) {
        if (!folder.filter.isExcluded(relativePath, true)) rewalk = true;
        continue;
      }
      if (stat !== undefined && !folder.index.hasFile(relativePath) && !folder.index.hasRoomFor(stat.size)) continue;
      await this.readIntoIndex(file, folder, relativePath);
    }
    this.scheduleSave();
    if (rewalk) await this.build();
  }

  /** Whether an open buffer's text is in the index for the file, or on its way (an edit waiting out its delay). */
  private bufferHolds(file: string, folder: Folder, relativePath: string): boolean {
    return this.pendingEdits.has(file) || this.bufferTexts.has(bufferKey(folder, relativePath));
  }

  /** Puts the file's text on disk in the index, or takes the file out when it is gone or not indexable. */
  private async readIntoIndex(file: string, folder: Folder, relativePath: string, unlessOpen = false): Promise<void> {
    // Reopened (a resync after a close): its buffer's text goes in instead (documentOpened).
    const bufferWins = () => (unlessOpen && folder.index.isOpen(relativePath)) || this.bufferHolds(file, folder, relativePath);
    // Looked at before the write begins as well as after the read: a write that begins supersedes the buffer's under way.
    if (bufferWins()) return;
    await folder.index.refreshFile(relativePath, async () => {
      // A link out of the workspace is not indexed (the walker refuses it too): its text is not the workspace's.
      if (!(await staysInside(file, folder.index.root))) return undefined;
      const stat = await fs.stat(file).catch(() => undefined);
      const text = stat === undefined ? undefined : await readTextFile(file);
      // The buffer's text went in, or is about to, while the file was read. One that goes in after this point drops
      // this write (`WorkspaceIndex.beginWrite`).
      if (bufferWins()) return null;
      // Kept with the disk's version, so the next start reuses the cached chunks and the budget counts bytes.
      return text === undefined ? undefined : { text, mtimeMs: stat!.mtimeMs, size: stat!.size };
    });
  }

  private async resyncWithDisk(file: string): Promise<void> {
    const located = this.locate(file);
    if (located === undefined || this.disposed) return;
    try {
      // Out first: a write of the buffer's text still being chunked is dropped with it, and cannot land after the disk's.
      located.folder.index.removeFile(located.relativePath);
      // A document indexed past the budget only while it was open (documentOpened) stays out, as a new file would.
      const size = (await fs.stat(file).catch(() => undefined))?.size;
      if (size === undefined || located.folder.index.hasRoomFor(size)) await this.readIntoIndex(file, located.folder, located.relativePath, true);
      this.scheduleSave();
    } catch (e) {
      this.options.log(`Indexing ${located.relativePath} failed: ${(e as Error).message}`);
    }
  }

  /** Best snippets from other files for the code around a cursor in `file` (absolute path, or undefined for an untitled buffer). */
  retrieve(file: string | undefined, prefix: string, suffix: string, maxSnippets?: number): RetrievedSnippet[] {
    const located = file === undefined ? undefined : this.locate(file);
    return this.retriever.retrieve(
      this.folders.map((f) => f.index),
      {
        current: located && { index: located.folder.index, relativePath: located.relativePath },
        prefix,
        suffix,
        promptPath: (index, relativePath) => this.promptPath(index.root, relativePath),
        // A relative import may reach into a sibling folder (`../../lib/src/shapes` from app/src): that folder's stem.
        stemIn: located && ((index, stem) => relativeInside(index.root, path.resolve(located.folder.index.root, stem))),
      },
      maxSnippets,
    );
  }

  /** The names the member access ending `prefix` can take when its receiver is a workspace module (moduleMembers.ts). */
  memberChoices(file: string, text: string, prefix: string): MemberChoices | undefined {
    const located = this.locate(file);
    return located === undefined ? undefined : memberChoices(this.modulesSeenFrom(located.folder), located.relativePath, text, prefix);
  }

  /**
   * A folder's modules, and through relative imports out of it (`../lib/src/shapes`) the other folders' modules, with
   * their paths as seen from it, so that their own relative imports resolve from there too.
   */
  private modulesSeenFrom(folder: Folder): ModuleChunks {
    if (this.folders.length === 1) return folder.index;
    return {
      modulesNamed: (name) => folder.index.modulesNamed(name),
      chunksOfModule: (stem) => {
        const own = folder.index.chunksOfModule(stem);
        if (own.length > 0) return own;
        const target = path.resolve(folder.index.root, stem);
        for (const other of this.folders) {
          const inOther = other === folder ? undefined : relativeInside(other.index.root, target);
          if (inOther === undefined) continue;
          const offset = path.relative(folder.index.root, other.index.root).split(path.sep).join('/');
          return other.index.chunksOfModule(inOther).map(({ chunk }) => ({ chunk: seenFrom(chunk, offset) }));
        }
        return [];
      },
    };
  }

  /**
   * The path a prompt shows for `file`: workspace-relative when inside a folder (after the folder's name where there
   * are several), else its base name.
   */
  displayPath(file: string): string {
    const located = this.locate(file);
    return located === undefined ? path.basename(file) : this.promptPath(located.folder.index.root, located.relativePath);
  }

  /**
   * A folder's file as prompts name it. With several folders its path starts with the folder's name, as VS Code labels
   * them: two folders' `src/index.ts` were one path with two contents, and a sibling's code looked like the file's own.
   */
  private promptPath(root: string, relativePath: string): string {
    return this.folders.length > 1 ? `${folderLabel(root, this.folders.map((f) => f.index.root))}/${relativePath}` : relativePath;
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    this.buildAbort.abort();
    for (const timer of this.pendingEdits.values()) clearTimeout(timer);
    this.pendingEdits.clear();
    if (this.saveTimer !== undefined) {
      clearTimeout(this.saveTimer);
      this.saveTimer = undefined;
      await this.saveAll();
    }
  }

  /**
   * The folder that holds `file` (the innermost one, where workspace folders nest) and its path there; undefined
   * outside every folder, and where the filter excludes it unless `filtered` is false.
   */
  private locate(file: string, filtered = true): { folder: Folder; relativePath: string } | undefined {
    const found = innermostHolding(this.folders, (folder) => folder.index.root, file);
    if (found === undefined || (filtered && found.item.filter.isExcluded(found.relativePath, false))) return undefined;
    return { folder: found.item, relativePath: found.relativePath };
  }

  private scheduleUpdate(file: string, text: string | undefined, delayMs: number): void {
    clearTimeout(this.pendingEdits.get(file));
    this.pendingEdits.set(
      file,
      setTimeout(() => {
        this.pendingEdits.delete(file);
        const located = this.locate(file);
        if (located === undefined || this.disposed) return;
        this.bufferTexts.add(bufferKey(located.folder, located.relativePath));
        if (text === undefined || !isIndexableText(text)) {
          located.folder.index.removeFile(located.relativePath);
          return;
        }
        located.folder.index
          .updateFile(located.relativePath, text)
          .then(() => this.scheduleSave())
          .catch((e: Error) => this.options.log(`Indexing ${located.relativePath} failed: ${e.message}`));
      }, delayMs),
    );
  }

  private scheduleSave(): void {
    if (this.saveTimer !== undefined || this.disposed) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      void this.saveAll();
    }, this.options.saveDelayMs ?? 30_000);
  }

  private async saveAll(): Promise<void> {
    for (const folder of this.folders) await this.saveFolder(folder);
  }

  private async saveFolder(folder: Folder): Promise<void> {
    await this.options.cache.save(folder.index.root, folder.index.snapshot()).catch((e: Error) => this.options.log(`Saving the index cache failed: ${e.message}`));
  }
}

/** Whether a folder of `roots` holds `root`: the files of `root` are that folder's once `root` is no longer listed. */
function nestedInAny(root: string, roots: readonly string[]): boolean {
  return roots.some((other) => relativeInside(other, root) !== undefined);
}

/** Copies of other folders' chunks with paths seen from a folder, one per chunk (the module readers cache by chunk). */
const chunksSeenFrom = new WeakMap<CodeChunk, Map<string, CodeChunk>>();

function seenFrom(chunk: CodeChunk, offset: string): CodeChunk {
  let copies = chunksSeenFrom.get(chunk);
  if (copies === undefined) chunksSeenFrom.set(chunk, (copies = new Map()));
  let copy = copies.get(offset);
  if (copy === undefined) copies.set(offset, (copy = { ...chunk, path: path.posix.join(offset, chunk.path) }));
  return copy;
}

/**
 * A folder's name in prompts: its last path segment, or as many as it takes to tell it from the other folders
 * (`client/app` and `server/app`).
 */
export function folderLabel(root: string, roots: readonly string[]): string {
  const segments = (folder: string) => folder.split(/[\\/]+/).filter((s) => s !== '');
  const own = segments(root);
  const others = roots.filter((r) => r !== root).map(segments);
  for (let n = 1; n < own.length; n++) {
    const label = own.slice(-n).join('/');
    if (others.every((o) => o.slice(-n).join('/') !== label)) return label;
  }
  return own.join('/');
}

/** The key of a file in `bufferTexts`: its folder and its path there (the same file whatever the spelling of its URI). */
function bufferKey(folder: Folder, relativePath: string): string {
  return `${folder.index.root}\0${relativePath}`;
}

function formatMiB(bytes: number): string {
  return `${Number((bytes / 1024 / 1024).toFixed(2))} MiB`;
}
