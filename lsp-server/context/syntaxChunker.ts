// Splits a source file into chunks along declaration boundaries with tree-sitter (WASM grammars from
// @vscode/tree-sitter-wasm, loaded once per language), or into fixed line windows for languages without a
// grammar and for files that do not parse.
import * as path from 'node:path';
import { Parser, type Language, type Node as SyntaxNode, type Tree } from '@vscode/tree-sitter-wasm';
import type { CodeChunk } from './codeChunk';
import { asModelText } from '../modelText';
import { parseInSlices } from '../slicedParse';
import { TimeSlices } from '../timeSlices';
import { defaultGrammarDir, initTreeSitter, loadGrammar } from '../treeSitterRuntime';

/** A chunk grows by merging neighbouring declarations up to this many lines. */
const TARGET_LINES = 30;
/** A declaration longer than this is split into its members (or line windows). */
const MAX_LINES = 80;
const MAX_CHARS = 3000;
/** Line windows for languages without a grammar. */
const WINDOW_LINES = 30;

/** Extension → grammar file base name in the grammar folder. */
const GRAMMARS: Record<string, string> = {
  '.ts': 'typescript', '.mts': 'typescript', '.cts': 'typescript', '.tsx': 'tsx',
  '.js': 'javascript', '.jsx': 'javascript', '.mjs': 'javascript', '.cjs': 'javascript',
  '.py': 'python', '.pyi': 'python', '.go': 'go', '.rs': 'rust', '.java': 'java',
};

/** Node types whose children are members worth their own chunks when the node is too long. */
const BODY_FIELDS = ['body', 'declaration_list'];

/** Version of the chunking rules, part of the persisted index's key. 2: chunk text as the model reads it (modelText.ts). */
export const CHUNKER_VERSION = 2;

export function languageOfPath(filePath: string): string | undefined {
  return GRAMMARS[path.extname(filePath).toLowerCase()];
}

/** Grammar files a bundle must ship in `tree-sitter/` next to it (the runtime first). */
export const GRAMMAR_FILES = ['tree-sitter.wasm', ...new Set(Object.values(GRAMMARS))].map((g) => (g.endsWith('.wasm') ? g : `tree-sitter-${g}.wasm`));

interface Unit {
  startLine: number;
  endLine: number;
  symbols: string[];
  /** Comments attach to the declaration after them. */
  isComment: boolean;
}

export class SyntaxChunker {
  private readonly parser: Parser;
  /** One file at a time: a parse paused between slices resumes where it left off only if no other starts meanwhile. */
  private turn: Promise<unknown> = Promise.resolve();
  private disposed = false;

  private constructor(
    private readonly grammarDir: string,
    private readonly pause: () => Promise<void>,
  ) {
    this.parser = new Parser();
  }

  /** `pause`: awaited between a parse's slices, after a turn of the event loop (the server's foreground work goes first). */
  static async create(grammarDir = defaultGrammarDir(), pause: () => Promise<void> = async () => undefined): Promise<SyntaxChunker> {
    await initTreeSitter(grammarDir);
    return new SyntaxChunker(grammarDir, pause);
  }

  chunk(relativePath: string, fileText: string): Promise<CodeChunk[]> {
    const run = this.turn.then(() => this.chunkNow(relativePath, fileText));
    this.turn = run.catch(() => undefined);
    return run;
  }

  private async chunkNow(relativePath: string, fileText: string): Promise<CodeChunk[]> {
    // Chunks become prompt text: CRLF files are chunked as LF (the line numbers are the same).
    const text = asModelText(fileText, true);
    const grammar = languageOfPath(relativePath);
    const language = grammar === undefined ? undefined : await this.language(grammar);
    const lines = text.split('\n');
    if (language === undefined) return lineWindows(relativePath, lines, 0, lines.length);
    // Parsing and walking the tree go in slices (a 733 KB file took 570 ms to parse and 40-105 ms to walk in one go).
    const slices = new TimeSlices(this.pause);
    const tree = await this.parse(language, text, slices);
    if (tree === null) return lineWindows(relativePath, lines, 0, lines.length);
    try {
      const units = await this.units(tree.rootNode.namedChildren, lines, slices);
      return mergeUnits(relativePath, units, lines);
    } finally {
      tree.delete();
    }
  }

  dispose(): void {
    this.disposed = true;
    this.parser.delete();
  }

  /** `text`'s tree, parsed a slice at a time (tree-sitter resumes a halted parse where it stopped); null if it does not parse. */
  private parse(language: Language, text: string, slices: TimeSlices): Promise<Tree | null> {
    this.parser.reset();
    this.parser.setLanguage(language);
    // Disposed meanwhile (the server is stopping): the parser is gone.
    return parseInSlices(this.parser, text, slices, () => this.disposed);
  }

  private language(name: string): Promise<Language | undefined> {
    return loadGrammar(name, this.grammarDir);
  }

  private async units(nodes: readonly (SyntaxNode | null)[], lines: string[], slices: TimeSlices): Promise<Unit[]> {
    const units: Unit[] = [];
    for (const node of nodes) {
      if (node === null) continue;
      await slices.breathe();
      const startLine = node.startPosition.row;
      const endLine = node.endPosition.column === 0 ? node.endPosition.row : node.endPosition.row + 1;
      const isComment = node.type.includes('comment');
      const size = lineChars(lines, startLine, endLine);
      if (endLine - startLine <= MAX_LINES && size <= MAX_CHARS) {
        units.push({ startLine, endLine, symbols: declaredNames(node), isComment });
        continue;
      }
      const body = bodyOf(node);
      if (body !== null && body.namedChildren.length > 1 && body.startPosition.row > startLine - 1) {
        // A long class or namespace: its header line(s) stay with the first member so the owner name travels along.
        const members = await this.units(body.namedChildren, lines, slices);
        if (members.length > 0) {
          members[0] = { ...members[0]!, startLine, symbols: [...declaredNames(node, false), ...members[0]!.symbols] };
          members[members.length - 1]!.endLine = Math.max(members[members.length - 1]!.endLine, endLine);
          units.push(...members);
          continue;
        }
      }
      for (let s = startLine; s < endLine; s += WINDOW_LINES) {
        units.push({ startLine: s, endLine: Math.min(endLine, s + WINDOW_LINES), symbols: s === startLine ? declaredNames(node, false) : [], isComment: false });
      }
    }
    return units;
  }
}

function bodyOf(node: SyntaxNode): SyntaxNode | null {
  for (const field of BODY_FIELDS) {
    const body = node.childForFieldName(field);
    if (body !== null) return body;
  }
  // `export class …` and Python's decorated definitions wrap the declaration.
  const inner = node.childForFieldName('declaration') ?? node.childForFieldName('definition');
  return inner === null ? null : bodyOf(inner);
}

/** Declarations whose members are part of their interface (a function's locals are not). */
const CONTAINERS = /class|interface|enum|namespace|module|impl|trait|object_type/;

/** Names a node declares: its own `name`, a wrapped declaration's, variable declarators', and (deep) members'. */
export function declaredNames(node: SyntaxNode, deep = true): string[] {
  const names: string[] = [];
  const visit = (n: SyntaxNode, depth: number): void => {
    const name = n.childForFieldName('name');
    if (name !== null && /^[\w$]+$/.test(name.text)) names.push(name.text);
    for (const field of ['declaration', 'definition']) {
      const inner = n.childForFieldName(field);
      if (inner !== null) visit(inner, depth);
    }
    if (n.type === 'lexical_declaration' || n.type === 'variable_declaration') {
      for (const d of n.namedChildren) if (d !== null) visit(d, depth);
    }
    if (n.type === 'expression_statement' && depth === 0) {
      const first = n.namedChildren[0];
      const left = first?.type === 'assignment' ? first.childForFieldName('left') : null;
      if (left !== null && left !== undefined && left.type === 'identifier') names.push(left.text);
    }
    if (deep && depth === 0 && CONTAINERS.test(n.type)) {
      const body = bodyOf(n);
      if (body !== null) for (const member of body.namedChildren) if (member !== null) visit(member, 1);
    }
  };
  visit(node, 0);
  return [...new Set(names)];
}

function mergeUnits(filePath: string, units: Unit[], lines: string[]): CodeChunk[] {
  const chunks: CodeChunk[] = [];
  let current: Unit | undefined;
  const flush = (): void => {
    if (current === undefined) return;
    const text = lines.slice(current.startLine, current.endLine).join('\n');
    if (text.trim() !== '') chunks.push({ path: filePath, startLine: current.startLine, endLine: current.endLine, text, kind: 'syntax', symbols: current.symbols });
    current = undefined;
  };
  for (const unit of units) {
    if (current === undefined) {
      current = { ...unit };
      continue;
    }
    const mergedLines = unit.endLine - current.startLine;
    const fits = mergedLines <= TARGET_LINES && lineChars(lines, current.startLine, unit.endLine) <= MAX_CHARS;
    if (fits || current.isComment) {
      current = { startLine: current.startLine, endLine: Math.max(current.endLine, unit.endLine), symbols: [...current.symbols, ...unit.symbols], isComment: unit.isComment };
    } else {
      flush();
      current = { ...unit };
    }
  }
  flush();
  return chunks;
}

export function lineWindows(filePath: string, lines: string[], start: number, end: number): CodeChunk[] {
  const chunks: CodeChunk[] = [];
  for (let s = start; s < end; s += WINDOW_LINES) {
    const e = Math.min(end, s + WINDOW_LINES);
    const text = lines.slice(s, e).join('\n');
    if (text.trim() !== '') chunks.push({ path: filePath, startLine: s, endLine: e, text: text.slice(0, MAX_CHARS * 2), kind: 'lines', symbols: [] });
  }
  return chunks;
}

function lineChars(lines: string[], start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end && i < lines.length; i++) n += lines[i]!.length + 1;
  return n;
}
