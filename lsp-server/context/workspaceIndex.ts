// The chunks of one workspace folder with a BM25 index over them: built from a walk (reusing cached chunks of
// files whose mtime and size did not change), updated one file at a time, and weighted toward open and
// recently edited files.
import type { CodeChunk } from './codeChunk';
import { Bm25Index } from './bm25Index';
import { termCounts, termsOfIdentifier } from './codeTerms';
import { moduleStem } from './importGraph';
import { ownedText } from './ownedText';
import type { PathFilter } from './pathFilter';
import { containsSecret } from './secretRules';
import { readTextFile, walkWorkspace } from './workspaceWalker';
import { TimeSlices } from '../timeSlices';

export interface Chunker {
  chunk(relativePath: string, text: string): Promise<CodeChunk[]>;
}

/** A file's chunks as the persisted cache keeps them. */
export interface FileChunks {
  path: string;
  mtimeMs: number;
  size: number;
  chunks: CodeChunk[];
}

/** A file's text and the version it was read at: its mtime and size on disk (for a buffer, now and its length). */
export interface FileText {
  text: string;
  mtimeMs: number;
  size: number;
}

export interface BuildOptions {
  /** Chunks of the on-disk cache, reused for files whose mtime and size did not change. */
  cached?: ReadonlyMap<string, FileChunks>;
  signal?: AbortSignal;
  /** Awaited before each file and between the slices of its counting (the server's foreground work goes first). */
  pause?: () => Promise<void>;
  /** Files whose entry holds an open buffer's text: the walk leaves them as they are. */
  owned?: (relativePath: string) => boolean;
}

export interface BuildStats {
  files: number;
  chunks: number;
  /** Files whose chunks came from the cache. */
  reusedFiles: number;
  /** Chunks left out because their content looks like a credential. */
  secretChunks: number;
  /** The index reached its budget (`MAX_INDEXED_FOLDER_BYTES`): the files past it are left out. */
  full: boolean;
  ms: number;
}

/**
 * The most file bytes one folder's index takes in: its memory is about 4.5 times the text (Debian's Python packages,
 * 83 MiB in 6,078 files, take ~390 MiB of the server's memory), and a monorepo must not take the machine's. Files are
 * taken nearest the root first; an open document is indexed whatever the budget.
 */
export const MAX_INDEXED_FOLDER_BYTES = 128 * 1024 * 1024;

export interface ScoredChunk {
  id: number;
  chunk: CodeChunk;
  score: number;
}

/** Extra term count for names a chunk declares, so definitions outrank mere uses. */
const DECLARED_NAME_BOOST = 2;

function chunkTerms(chunk: CodeChunk): Map<string, number> {
  const counts = termCounts(chunk.text);
  for (const symbol of chunk.symbols) {
    const whole = termsOfIdentifier(symbol)[0];
    if (whole !== undefined) counts.set(whole, (counts.get(whole) ?? 0) + DECLARED_NAME_BOOST);
  }
  return counts;
}

const MODULE_EXTENSIONS = ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.jsx', '.mts', '.cts', '.py', '.pyi'];

function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

function baseNameKey(relativePath: string): string {
  const base = relativePath.slice(relativePath.lastIndexOf('/') + 1);
  return normalizeName(base.replace(/\.[^.]*$/, ''));
}

function moduleFiles(stem: string): string[] {
  return [...MODULE_EXTENSIONS.map((e) => stem + e), ...MODULE_EXTENSIONS.map((e) => `${stem}/index${e}`), `${stem}/__init__.py`];
}

/** Weight of open files, and of a file edited just now (fading over RECENT_EDIT_MS). */
const OPEN_WEIGHT = 1.3;
const RECENT_EDIT_WEIGHT = 1.3;
const RECENT_EDIT_MS = 10 * 60 * 1000;
/** Files kept in the recently edited list. */
const RECENT_EDITS_KEPT = 32;

interface FileEntry {
  mtimeMs: number;
  size: number;
  chunkIds: number[];
  /** The index's count of writes when this one went in: a build leaves entries written after it began. */
  written: number;
}

/**
 * A write from its start (before the file is read and chunked) to its end: a removal of the file meanwhile drops it,
 * so that neither a file deleted while its change was read nor a buffer closed while its text was chunked comes back;
 * so does a later write of the file started meanwhile, whose text is newer (a buffer's edit, or a later read of the
 * disk), whichever of the two is chunked first.
 */
interface WriteTicket {
  stillWanted(): boolean;
  /** This write will not happen: unless another began since, the one it superseded is wanted again. */
  withdraw(): void;
  end(): void;
}

/** A file's write, counted and ready to go into the index in one step. */
interface PreparedFile {
  /** The file's entry when its terms were counted, and those terms by chunk id. */
  replaced: FileEntry | undefined;
  replacedTerms: Map<number, Map<string, number>>;
  kept: { chunk: CodeChunk; terms: Map<string, number> }[];
  /** Chunks left out because their content looks like a credential. */
  secrets: number;
}

export class WorkspaceIndex {
  private readonly bm25 = new Bm25Index();
  private readonly chunks = new Map<number, CodeChunk>();
  private readonly files = new Map<string, FileEntry>();
  private readonly openFiles = new Set<string>();
  private readonly recentEdits = new Map<string, number>();
  /** Normalized file base name (`sourcecode` for source-code.js) → paths, for receivers named like a module. */
  private readonly byBaseName = new Map<string, Set<string>>();
  private secretChunks = 0;
  /** The last write asked for (see `replaceFile`). */
  private writes: Promise<unknown> = Promise.resolve();
  /** Writes gone in so far. */
  private written = 0;
  /**
   * By path, writes started and not ended, and a count of the writes started and removals since the first of them
   * (only while there are some): a write is wanted while the count is the one it started at.
   */
  private readonly writesInFlight = new Map<string, { writes: number; generation: number }>();

  /** Sum of the indexed files' sizes. */
  private indexedBytes = 0;

  constructor(
    readonly root: string,
    private readonly chunker: Chunker,
    private readonly now: () => number = Date.now,
    private readonly budgetBytes = MAX_INDEXED_FOLDER_BYTES,
  ) {}

  get fileCount(): number {
    return this.files.size;
  }

  get chunkCount(): number {
    return this.chunks.size;
  }

  get documentCount(): number {
    return this.bm25.documentCount;
  }

  documentFrequency(term: string): number {
    return this.bm25.documentFrequency(term);
  }

  hasFile(relativePath: string): boolean {
    return this.files.has(relativePath);
  }

  /** The size an indexed file had when it was read (bytes on disk; a buffer's length), or undefined when not indexed. */
  indexedSize(relativePath: string): number | undefined {
    return this.files.get(relativePath)?.size;
  }

  /** Whether a file of `size` bytes not yet indexed fits in the index's budget. */
  hasRoomFor(size: number): boolean {
    return this.indexedBytes + size <= this.budgetBytes;
  }

  /**
   * Walks the folder and indexes what the filter lets through (BuildOptions). Files the walk does not meet leave the
   * index, unless written after the build began or owned by a buffer.
   */
  async build(filter: PathFilter, options: BuildOptions = {}): Promise<BuildStats> {
    const { cached = new Map(), signal, pause, owned } = options;
    const started = performance.now();
    const writtenBefore = this.written;
    const seen = new Set<string>();
    let reusedFiles = 0;
    let full = false;
    const secretsBefore = this.secretChunks;
    for await (const file of walkWorkspace(this.root, filter, { signal })) {
      await pause?.();
      // A newer build (new exclude settings) is under way: files this one takes now could be excluded there.
      if (signal?.aborted) break;
      const current = this.files.get(file.relativePath);
      // Once a new file does not fit, no later one is taken: what is in stays the files nearest the root. Past that
      // point only the files already in matter (they stay), so the walk ends once all of them were met: the rest of
      // a large tree took seconds of stat calls at every start (5 s for /usr/lib's 44,304 files).
      if (current === undefined && (full || !this.hasRoomFor(file.size))) {
        full = true;
        if (seen.size >= this.files.size && [...this.files.keys()].every((path) => seen.has(path))) break;
        continue;
      }
      seen.add(file.relativePath);
      // An open buffer's unsaved text stays: the disk's is older (and its mtime is never the buffer's).
      if (owned?.(file.relativePath)) continue;
      if (current !== undefined && current.mtimeMs === file.mtimeMs && current.size === file.size) continue;
      const hit = cached.get(file.relativePath);
      // Wanted while this build is: one stopped during the file's counting slices must not commit it after the newer
      // build's sweep (new exclude settings may cover it).
      const ticket = this.beginWrite(file.relativePath, signal);
      try {
        if (hit !== undefined && hit.mtimeMs === file.mtimeMs && hit.size === file.size) {
          await this.replaceFile(file.relativePath, file.mtimeMs, file.size, hit.chunks, ticket, true, pause);
          reusedFiles++;
          continue;
        }
        const text = await readTextFile(file.absolutePath);
        // No longer text that can be indexed (now binary, minified or unreadable): its old chunks go.
        const chunks = text === undefined ? undefined : await this.chunker.chunk(file.relativePath, text);
        // Stopped while this file was read or chunked: the newer build's filter may exclude it.
        if (signal?.aborted) break;
        await this.replaceFile(file.relativePath, file.mtimeMs, file.size, chunks, ticket, false, pause);
      } finally {
        ticket.end();
      }
    }
    if (!signal?.aborted) {
      for (const [path, entry] of [...this.files]) {
        if (seen.has(path)) continue;
        // Written after the build began (a file event), or a buffer's own file (one never saved is not on disk for
        // the walk), it stays, unless this build's filter excludes it.
        const excluded = filter.isExcluded(path, false);
        if (excluded || (entry.written <= writtenBefore && owned?.(path) !== true)) this.removeFile(path);
      }
    }
    return {
      files: this.files.size,
      chunks: this.chunks.size,
      reusedFiles,
      secretChunks: this.secretChunks - secretsBefore,
      full,
      ms: performance.now() - started,
    };
  }

  /** Re-chunks one file from an open buffer's `text`. */
  async updateFile(relativePath: string, text: string): Promise<void> {
    await this.refreshFile(relativePath, async () => ({ text, mtimeMs: this.now(), size: text.length }));
  }

  /**
   * Re-chunks one file from what `read` gives (the file on disk); undefined (gone, no longer text) takes it out, null
   * leaves it as it is. A removal of the file, or a later write of it, while it is read or chunked drops this write.
   */
  async refreshFile(relativePath: string, read: () => Promise<FileText | undefined | null>): Promise<void> {
    const ticket = this.beginWrite(relativePath);
    try {
      const file = await read();
      // Giving way, this write supersedes nothing: a buffer's write it overtook when it began counts again.
      if (file === null) return ticket.withdraw();
      const chunks = file === undefined ? undefined : await this.chunker.chunk(relativePath, file.text);
      await this.replaceFile(relativePath, file?.mtimeMs ?? 0, file?.size ?? 0, chunks, ticket);
    } finally {
      ticket.end();
    }
  }

  /**
   * Removes every file under the folder `relativePath` (a folder deleted or renamed away is one file event), or every
   * file when it is '' (the folder itself can no longer be read).
   */
  removeFolder(relativePath: string): void {
    const inside = relativePath === '' ? '' : `${relativePath}/`;
    for (const file of [...this.files.keys()]) if (file.startsWith(inside)) this.removeFile(file);
  }

  /** Takes a file out; a write of it started before this and not yet in is dropped. */
  removeFile(relativePath: string): void {
    const inFlight = this.writesInFlight.get(relativePath);
    if (inFlight !== undefined) inFlight.generation++;
    this.dropFile(relativePath);
  }

  private beginWrite(relativePath: string, signal?: AbortSignal): WriteTicket {
    let inFlight = this.writesInFlight.get(relativePath);
    if (inFlight === undefined) this.writesInFlight.set(relativePath, (inFlight = { writes: 0, generation: 0 }));
    inFlight.writes++;
    // Supersedes the writes of the file under way: this one's text is read (or was typed) after theirs.
    const generation = ++inFlight.generation;
    const entry = inFlight;
    return {
      stillWanted: () => entry.generation === generation && signal?.aborted !== true,
      withdraw: () => {
        if (entry.generation === generation) entry.generation = generation - 1;
      },
      end: () => {
        if (--entry.writes === 0) this.writesInFlight.delete(relativePath);
      },
    };
  }

  /** `termsOf`: a chunk's terms when they were counted ahead (by `prepare`), else they are counted now. */
  private dropFile(relativePath: string, termsOf?: ReadonlyMap<number, Map<string, number>>): void {
    const entry = this.files.get(relativePath);
    if (entry === undefined) return;
    const key = baseNameKey(relativePath);
    const sameName = this.byBaseName.get(key);
    sameName?.delete(relativePath);
    if (sameName?.size === 0) this.byBaseName.delete(key);
    for (const id of entry.chunkIds) {
      this.bm25.remove(id, termsOf?.get(id) ?? chunkTerms(this.chunks.get(id)!));
      this.chunks.delete(id);
    }
    this.files.delete(relativePath);
    this.indexedBytes -= entry.size;
  }

  setOpen(relativePath: string, open: boolean): void {
    if (open) this.openFiles.add(relativePath);
    else this.openFiles.delete(relativePath);
  }

  isOpen(relativePath: string): boolean {
    return this.openFiles.has(relativePath);
  }

  noteEdited(relativePath: string): void {
    this.recentEdits.delete(relativePath);
    this.recentEdits.set(relativePath, this.now());
    if (this.recentEdits.size > RECENT_EDITS_KEPT) this.recentEdits.delete(this.recentEdits.keys().next().value!);
  }

  /** 1 for an ordinary file; more for open and recently edited ones. */
  fileWeight(relativePath: string): number {
    let weight = this.openFiles.has(relativePath) ? OPEN_WEIGHT : 1;
    const edited = this.recentEdits.get(relativePath);
    if (edited !== undefined) {
      const age = this.now() - edited;
      if (age < RECENT_EDIT_MS) weight *= 1 + (RECENT_EDIT_WEIGHT - 1) * (1 - age / RECENT_EDIT_MS);
    }
    return weight;
  }

  /** BM25 candidates, excluding `excludePath` (the file being completed: its text is in the prompt already). */
  search(query: ReadonlyMap<string, number>, limit: number, excludePath?: string): ScoredChunk[] {
    const excluded = excludePath === undefined ? undefined : this.files.get(excludePath)?.chunkIds;
    const accept = excluded === undefined || excluded.length === 0 ? undefined : (id: number) => !excluded.includes(id);
    return this.bm25.search(query, limit, accept).map((hit) => ({ id: hit.doc, chunk: this.chunks.get(hit.doc)!, score: hit.score }));
  }

  /** Chunks of the file whose module stem is `stem` (`src/a` for src/a.ts or src/a/index.js), score 0. */
  chunksOfModule(stem: string): ScoredChunk[] {
    for (const path of moduleFiles(stem)) {
      const entry = this.files.get(path);
      if (entry !== undefined) return entry.chunkIds.map((id) => ({ id, chunk: this.chunks.get(id)!, score: 0 }));
    }
    return [];
  }

  /** Module stems of files whose base name matches `name` once case, `-`, `_` and a `_1`-style suffix are ignored. */
  modulesNamed(name: string): string[] {
    return [...(this.byBaseName.get(normalizeName(name.replace(/_\d+$/, ''))) ?? [])].map(moduleStem);
  }

  /** Every file with its chunks, for the on-disk cache. */
  snapshot(): FileChunks[] {
    return [...this.files].map(([path, entry]) => ({
      path,
      mtimeMs: entry.mtimeMs,
      size: entry.size,
      chunks: entry.chunkIds.map((id) => this.chunks.get(id)!),
    }));
  }

  /**
   * Replaces a file's chunks (`chunks` undefined: takes the file out). Writes go one at a time, in the order they were
   * asked for: the terms are counted between pauses, and an edit's chunks must not be overtaken by older chunks of the
   * same file. `scanned`: the chunks come from the cache, which holds only chunks that passed the secret scan.
   * `pause`: awaited between slices, as a build's (the counting must not take a core from a completion being decoded).
   */
  private replaceFile(
    relativePath: string,
    mtimeMs: number,
    size: number,
    chunks: CodeChunk[] | undefined,
    ticket: WriteTicket,
    scanned = false,
    pause?: () => Promise<void>,
  ): Promise<void> {
    const write = this.writes.then(async () => {
      if (chunks === undefined) {
        if (ticket.stillWanted()) this.dropFile(relativePath);
        return;
      }
      const prepared = await this.prepare(relativePath, chunks, scanned, pause);
      if (ticket.stillWanted()) this.commit(relativePath, mtimeMs, size, prepared);
    });
    this.writes = write.catch(() => undefined);
    return write;
  }

  /**
   * The counting part of a write, in time slices (a 734 KB file's 318 chunks took up to 100 ms in one go): the
   * secret scan, the chunks' own copies of their text and their terms, and the terms of the chunks they replace.
   */
  private async prepare(relativePath: string, chunks: CodeChunk[], scanned: boolean, pause?: () => Promise<void>): Promise<PreparedFile> {
    const slices = new TimeSlices(pause);
    const replaced = this.files.get(relativePath);
    const replacedTerms = new Map<number, Map<string, number>>();
    for (const id of replaced?.chunkIds ?? []) {
      await slices.breathe();
      // Gone when the file was removed meanwhile (a file event); `commit` then has nothing of it to remove.
      const chunk = this.chunks.get(id);
      if (chunk !== undefined) replacedTerms.set(id, chunkTerms(chunk));
    }
    const kept: PreparedFile['kept'] = [];
    let secrets = 0;
    for (const found of chunks) {
      await slices.breathe();
      if (!scanned && containsSecret(found.text)) {
        secrets++;
        continue;
      }
      // The cache's chunks are parsed from JSON, strings of their own; the chunker's are cut from the file's text.
      const chunk = scanned ? found : { ...found, text: ownedText(found.text), symbols: found.symbols.map(ownedText) };
      kept.push({ chunk, terms: chunkTerms(chunk) });
    }
    return { replaced, replacedTerms, kept, secrets };
  }

  private commit(relativePath: string, mtimeMs: number, size: number, prepared: PreparedFile): void {
    // A write skipped after a removal keeps this the entry `prepare` counted; should another be there, it is counted now.
    const current = this.files.get(relativePath);
    this.dropFile(relativePath, current === prepared.replaced ? prepared.replacedTerms : undefined);
    const chunkIds: number[] = [];
    for (const { chunk, terms } of prepared.kept) {
      const id = this.bm25.add(terms);
      this.chunks.set(id, chunk);
      chunkIds.push(id);
    }
    this.secretChunks += prepared.secrets;
    this.files.set(relativePath, { mtimeMs, size, chunkIds, written: ++this.written });
    this.indexedBytes += size;
    const key = baseNameKey(relativePath);
    if (!this.byBaseName.has(key)) this.byBaseName.set(key, new Set());
    this.byBaseName.get(key)!.add(relativePath);
  }
}
