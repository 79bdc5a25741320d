// Finds the chunks of other files the code at the cursor most likely needs: BM25 over identifiers of the
// lines around the cursor, re-ranked by Jaccard similarity to those lines, a bonus for chunks that declare
// a name used right before the cursor, and the file's weight (open, recently edited).
import type { RetrievedView } from '../protocol';
import type { CodeChunk } from './codeChunk';
import { identifiers, termCounts, termsOfIdentifier } from './codeTerms';
import { importedModules, moduleStem, receiverBeforeCursor } from './importGraph';
import { isStructuralLine } from './selectiveContext';
import { firstLines, lastLines } from './textWindow';
import type { ScoredChunk, WorkspaceIndex } from './workspaceIndex';

export interface RetrievalQuery {
  /**
   * The current file and the index of the folder it is in (its own chunks are skipped there, and its imports are
   * that folder's modules); undefined when it is in no folder.
   */
  current: { index: WorkspaceIndex; relativePath: string } | undefined;
  prefix: string;
  suffix: string;
  /** How a prompt names a file of `index` (`relativePath` as it is when left out); ranking uses the folder's own paths. */
  promptPath?: (index: WorkspaceIndex, relativePath: string) => string;
  /**
   * A module the current file imports (its stem in the current file's folder, `../lib/src/shapes` for a sibling
   * folder's) as a stem of `index`'s, when that folder holds it; left out, imports name the current folder's only.
   */
  stemIn?: (index: WorkspaceIndex, stem: string) => string | undefined;
}

/** A chunk with the scores `locus/compress` shows for it (documented once, in the protocol). */
export interface RetrievedSnippet
  extends CodeChunk,
    Pick<RetrievedView, 'score' | 'lexical' | 'similarity' | 'declaresNearbyName' | 'imported' | 'fileWeight'> {}

/**
 * The snippets worth prompt room: the module named before the cursor's dot, and definitions of names used near the
 * cursor. The rest, code that only shares words with it, distracted the small model and took the file's own lines:
 * held-out single-line exact match with the package open went from 15.2% to 16.7% (bench/results/model-eval-*-workspace-*).
 */
export function relevantSnippets(snippets: readonly RetrievedSnippet[]): RetrievedSnippet[] {
  return snippets.filter((s) => s.imported === 'receiver' || s.declaresNearbyName);
}

export interface RetrieverOptions {
  maxSnippets: number;
  /** BM25 candidates re-ranked per folder. */
  candidates: number;
  linesBefore: number;
  linesAfter: number;
}

export const DEFAULT_RETRIEVER_OPTIONS: RetrieverOptions = { maxSnippets: 4, candidates: 40, linesBefore: 40, linesAfter: 10 };

const LEXICAL_WEIGHT = 0.6;
const SIMILARITY_WEIGHT = 0.4;
const DECLARATION_BONUS = 0.5;
const IMPORT_BONUS = 0.3;
const RECEIVER_BONUS = 0.6;
/** Chunks of the module named before the cursor's dot join the candidates even without shared terms. */
const RECEIVER_CHUNKS = 12;
/** A receiver name matching more files than this says nothing about which one. */
const MAX_NAMED_MODULES = 2;
/** Lines of a module outline (its declarations), offered first when the cursor follows the module's name. */
const OUTLINE_LINES = 48;
/** Lines before the cursor whose names count as "used right before the cursor". */
const NEAR_LINES = 3;
/**
 * The query's window holds its lines up to this many characters a line on average: a long line (a literal, a
 * generated blob) counts as far as that, and reading it whole held the server's thread (200 ms for a 900 KB line).
 */
const MAX_QUERY_LINE_CHARS = 200;
/** Query terms on the lines nearest the cursor count this many times. */
const NEAR_TERM_WEIGHT = 2;
const WORD_CHAR = /^[\p{L}\p{N}_$]$/u;

/**
 * `prefix` without the identifier the cursor is in (or right after). Scanned backwards from the end: an end-anchored
 * regex retries from every start, quadratic in a long run of word characters (a generated blob).
 */
export function withoutPartialWord(prefix: string): string {
  let end = prefix.length;
  while (end > 0) {
    const low = prefix.charCodeAt(end - 1);
    const width = low >= 0xdc00 && low <= 0xdfff && end >= 2 ? 2 : 1;
    if (!WORD_CHAR.test(prefix.slice(end - width, end))) break;
    end -= width;
  }
  return prefix.slice(0, end);
}

/** The current file's imports that `stemHere` finds in another folder, by their stems there. */
function importsHere(imports: ReadonlyMap<string, string[]>, stemHere: (stem: string) => string | undefined): Map<string, string[]> {
  const here = new Map<string, string[]>();
  for (const [stem, names] of imports) {
    const found = stemHere(stem);
    if (found !== undefined) here.set(found, names);
  }
  return here;
}

export class Retriever {
  constructor(private readonly options: RetrieverOptions = DEFAULT_RETRIEVER_OPTIONS) {}

  retrieve(indexes: readonly WorkspaceIndex[], query: RetrievalQuery, maxSnippets = this.options.maxSnippets): RetrievedSnippet[] {
    // A word still being typed is not a term yet. Leaving it out keeps the snippets, which open the prompt, the
    // same from keystroke to keystroke until a word is finished, so the prompt stays in the prefix cache
    // (bench/results/promptStability-*). The price: a word the cursor is right after counts from the next character.
    const before = withoutPartialWord(query.prefix);
    const near = lastLines(before, NEAR_LINES, NEAR_LINES * MAX_QUERY_LINE_CHARS);
    const { linesBefore, linesAfter } = this.options;
    const window = `${lastLines(before, linesBefore, linesBefore * MAX_QUERY_LINE_CHARS)}\n${firstLines(query.suffix, linesAfter, linesAfter * MAX_QUERY_LINE_CHARS)}`;
    const terms = termCounts(window);
    for (const [term, count] of termCounts(near)) terms.set(term, (terms.get(term) ?? 0) + count * (NEAR_TERM_WEIGHT - 1));
    if (terms.size === 0) return [];
    const windowIds = new Set(identifiers(window));
    const nearNames = new Set(identifiers(near).filter((id) => termsOfIdentifier(id).length > 0));

    const { current } = query;
    const noImports = new Map<string, string[]>();
    const currentImports = current === undefined ? noImports : importedModules(current.relativePath, query.prefix);
    const receiver = receiverBeforeCursor(query.prefix);
    const receiverImports = [...currentImports].filter(([, names]) => receiver !== undefined && names.includes(receiver)).map(([stem]) => stem);

    const results: RetrievedSnippet[] = [];
    const outlines: RetrievedSnippet[] = [];
    for (const index of indexes) {
      // Paths are relative to each folder: the current file's imports name modules of another folder through stemIn.
      const own = index === current?.index;
      const shownPath = (relativePath: string) => query.promptPath?.(index, relativePath) ?? relativePath;
      const relativePath = own ? current.relativePath : undefined;
      const stemHere = (stem: string) => (own ? stem : query.stemIn?.(index, stem));
      const imports = own ? currentImports : importsHere(currentImports, stemHere);
      const importedReceivers = receiverImports.flatMap((stem) => stemHere(stem) ?? []);
      // The object before the dot is an imported module, or else named like a file (`sourceCode.` → source-code.js).
      const named = receiverImports.length > 0 || receiver === undefined ? [] : index.modulesNamed(receiver);
      const receiverStems = new Set([...importedReceivers, ...(named.length <= MAX_NAMED_MODULES ? named : [])]);
      if (relativePath !== undefined) receiverStems.delete(moduleStem(relativePath));
      const hits: ScoredChunk[] = index.search(terms, this.options.candidates, relativePath);
      const best = hits[0]?.score ?? 0;
      const seen = new Set(hits.map((h) => h.id));
      for (const stem of receiverStems) {
        const moduleChunks = index.chunksOfModule(stem);
        const outline = moduleOutline(moduleChunks.map((c) => c.chunk));
        if (outline !== undefined) outlines.push({ ...outline, path: shownPath(outline.path), score: 0, lexical: 0, similarity: 0, declaresNearbyName: false, imported: 'receiver', fileWeight: index.fileWeight(outline.path) });
        for (const extra of moduleChunks.slice(0, RECEIVER_CHUNKS)) if (!seen.has(extra.id)) hits.push(extra);
      }
      for (const hit of hits) {
        const chunkIds = new Set(identifiers(hit.chunk.text));
        const similarity = jaccard(windowIds, chunkIds);
        const declaresNearbyName = hit.chunk.symbols.some((s) => nearNames.has(s));
        const stem = moduleStem(hit.chunk.path);
        const imported = receiverStems.has(stem) ? 'receiver' : imports.has(stem) ? 'yes' : 'no';
        const lexical = best > 0 ? hit.score / best : 0;
        const fileWeight = index.fileWeight(hit.chunk.path);
        const bonus = (declaresNearbyName ? DECLARATION_BONUS : 0) + (imported === 'receiver' ? RECEIVER_BONUS : imported === 'yes' ? IMPORT_BONUS : 0);
        const score = (LEXICAL_WEIGHT * lexical + SIMILARITY_WEIGHT * similarity + bonus) * fileWeight;
        results.push({ ...hit.chunk, path: shownPath(hit.chunk.path), score, lexical, similarity, declaresNearbyName, imported, fileWeight });
      }
    }
    results.sort((a, b) => b.score - a.score || a.path.localeCompare(b.path) || a.startLine - b.startLine);
    // The outline of the module named before the cursor ranks first: it lists what can follow the dot.
    for (const outline of outlines) outline.score = (results[0]?.score ?? 1) + 1;
    return [...outlines, ...results].slice(0, maxSnippets);
  }
}

/** Declaration lines per chunk (chunks are immutable; a changed file gets new chunk objects). */
const declarationLines = new WeakMap<CodeChunk, string[]>();

function declarationsOf(chunk: CodeChunk): string[] {
  let lines = declarationLines.get(chunk);
  if (lines === undefined) {
    lines = chunk.text
      .split('\n')
      .filter((line) => isStructuralLine(line) && !/^\s*(import\b|from\b)|require\(/.test(line))
      .map((line) => line.trimEnd());
    declarationLines.set(chunk, lines);
  }
  return lines;
}

/** The declaration lines of a module's chunks, in file order: every name it offers, in few tokens. */
function moduleOutline(chunks: readonly CodeChunk[]): CodeChunk | undefined {
  if (chunks.length < 2) return undefined;
  const lines: string[] = [];
  for (const chunk of chunks) {
    lines.push(...declarationsOf(chunk));
    if (lines.length >= OUTLINE_LINES) break;
  }
  if (lines.length === 0) return undefined;
  const first = chunks[0]!;
  return { path: first.path, startLine: first.startLine, endLine: chunks[chunks.length - 1]!.endLine, text: lines.slice(0, OUTLINE_LINES).join('\n'), kind: 'outline', symbols: chunks.flatMap((c) => c.symbols) };
}

function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (a.size === 0 || b.size === 0) return 0;
  let shared = 0;
  const [small, large] = a.size < b.size ? [a, b] : [b, a];
  for (const x of small) if (large.has(x)) shared++;
  return shared / (a.size + b.size - shared);
}
