// Cursor positions in real code for the benches that drive the language server (completion, soak): real,
// unminified source files, deterministic single-line and multi-line positions kept only when the server's own rule
// gives them the intended mode, and the wait for the server's first index of a fixture workspace.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { Position } from 'vscode-languageserver-protocol';
import { completionMode, type CompletionMode } from '../../lsp-server/completionMode';
import { cursorContext } from '../../lsp-server/cursorContext';
import { CompressRequest } from '../../lsp-server/protocol';
import { assembleFixtureWorkspace } from '../context/fixtureWorkspace';
import { pinnedRepoFiles } from '../realCodeSources';
import { type BenchClient, sleep } from './benchClient';

const ROOT = resolve(__dirname, '..', '..');
/** Larger files are cut to this many lines around the cursor (the server skips documents over 1 MiB). */
const WINDOW_LINES = { before: 3000, after: 1000 };
const LARGE_FILE_CHARS = 1024 * 1024;

export interface SourceFile {
  path: string;
  languageId: string;
  text: string;
}

/** Real, unminified source files: TypeScript's compiler, the LSP server library, the Python training scripts. */
export function collectSources(): SourceFile[][] {
  const groups: Array<{ root: string; pattern: RegExp }> = [
    { root: 'node_modules/typescript/lib', pattern: /^[^/]+\.js$/ },
    { root: 'node_modules/vscode-languageserver/lib', pattern: /\.js$/ },
    { root: 'training', pattern: /\.py$/ },
  ];
  const usable = (text: string) => {
    const lines = text.split('\n');
    // Minified or generated: long lines (a few long table lines, as in TypeScript's compiler, are fine).
    return !(lines.filter((l) => l.length > 1000).length > lines.length / 1000 || text.length / lines.length > 120);
  };
  return groups.map(({ root, pattern }) => {
    if (root === 'training') {
      return pinnedRepoFiles(root)
        .filter((f) => pattern.test(f.path) && Buffer.byteLength(f.text) > 2000 && usable(f.text))
        .map((f) => ({ path: f.path, languageId: 'python', text: f.text }));
    }
    const files: SourceFile[] = [];
    const walk = (dir: string, rel: string) => {
      for (const name of readdirSync(dir).sort()) {
        const path = join(dir, name);
        const relPath = rel === '' ? name : `${rel}/${name}`;
        const st = statSync(path);
        if (st.isDirectory()) {
          walk(path, relPath);
        } else if (pattern.test(relPath) && !name.endsWith('.min.js') && st.size > 2000) {
          const text = readFileSync(path, 'utf8');
          if (usable(text)) files.push({ path: relative(ROOT, path), languageId: 'javascript', text });
        }
      }
    };
    walk(join(ROOT, root), '');
    return files;
  });
}

/** The context bench's held-out multi-file packages, copied into `root` (paths relative to it). */
export function fixtureSources(root: string): SourceFile[][] {
  const packages = assembleFixtureWorkspace(join(ROOT, 'node_modules'), root);
  const files: SourceFile[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.(js|ts)$/.test(name) && statSync(path).size > 2000) {
        files.push({ path: relative(root, path), languageId: name.endsWith('.ts') ? 'typescript' : 'javascript', text: readFileSync(path, 'utf8') });
      }
    }
  };
  walk(root);
  console.error(`fixture workspace: ${packages.map((p) => `${p.name}@${p.version}`).join(', ')}, ${files.length} files`);
  return [files];
}

const lineStartCache = new Map<SourceFile, number[]>();

export interface Case {
  id: string;
  source: string;
  languageId: string;
  kind: CompletionMode;
  /** The document before typing; the cursor is at `offset`. */
  text: string;
  offset: number;
  /** The real source text the user types next (1-5 characters). */
  typed: string;
}

/** Cuts a large file to a window of lines around `offset` (which is moved along). */
function windowed(text: string, offset: number): { text: string; offset: number } {
  if (text.length <= LARGE_FILE_CHARS) return { text, offset };
  const lines = text.split('\n');
  const cursorLine = text.slice(0, offset).split('\n').length - 1;
  const first = Math.max(0, cursorLine - WINDOW_LINES.before);
  const start = lines.slice(0, first).reduce((n, l) => n + l.length + 1, 0);
  const cut = lines.slice(first, cursorLine + WINDOW_LINES.after).join('\n');
  return { text: cut, offset: offset - start };
}

/**
 * Deterministic positions. Single-line: a random non-empty line, the cursor after its indentation or inside it,
 * the next 1-5 characters taken out (they are what gets typed). Multi-line: a line ending with a block opener,
 * followed by a new line holding only the next line's indentation, the cursor at its end; the typed text is
 * the start of the next line's code. Each is kept only when the server's own rule gives it the intended mode.
 */
export function buildCases(groups: SourceFile[][], kind: CompletionMode, count: number, random: () => number): Case[] {
  const cases: Case[] = [];
  const seen = new Set<string>();
  const lineStarts = (file: SourceFile) => {
    let starts = lineStartCache.get(file);
    if (starts === undefined) {
      starts = [0, ...[...file.text.matchAll(/\n/g)].map((m) => m.index + 1)];
      lineStartCache.set(file, starts);
    }
    return starts;
  };
  for (let attempt = 0; cases.length < count && attempt < count * 200; attempt++) {
    const group = groups[Math.floor(random() * groups.length)]!;
    if (group.length === 0) continue;
    const file = group[Math.floor(random() * group.length)]!;
    const lines = file.text.split('\n');
    const lineNo = Math.floor(random() * (lines.length - 1));
    const line = lines[lineNo]!;
    if (line.length > 300) continue;
    const lineStart = lineStarts(file)[lineNo]!;
    const typedLength = 1 + Math.floor(random() * 5);
    let text: string;
    let offset: number;
    let typed: string;
    if (kind === 'single-line') {
      const indent = line.length - line.trimStart().length;
      const content = line.trim();
      if (content.length < 8 || content.startsWith('//') || content.startsWith('#') || content.startsWith('*')) continue;
      const column = random() < 0.3 ? indent : indent + 1 + Math.floor(random() * (content.length - typedLength - 1));
      typed = line.slice(column, column + typedLength);
      if (typed.length < typedLength || typed.includes('\r')) continue;
      offset = lineStart + column;
      text = file.text.slice(0, offset) + file.text.slice(offset + typedLength);
    } else {
      const next = lines[lineNo + 1]!;
      const nextIndent = next.slice(0, next.length - next.trimStart().length);
      if (next.trim().length < 4 || line.trim().startsWith('#') || line.trim().startsWith('//')) continue;
      const insertAt = lineStart + line.length;
      offset = insertAt + 1 + nextIndent.length;
      text = file.text.slice(0, insertAt) + '\n' + nextIndent + file.text.slice(insertAt);
      typed = next.trimStart().slice(0, typedLength);
    }
    const ctx = cursorContext(text, offset, file.languageId);
    if (completionMode(ctx) !== kind) continue;
    const id = `${file.path}@${offset}`;
    if (seen.has(id)) continue;
    seen.add(id);
    const w = windowed(text, offset);
    cases.push({ id, source: file.path, languageId: file.languageId, kind, text: w.text, offset: w.offset, typed });
  }
  return cases;
}

export function positionAt(text: string, offset: number): Position {
  const before = text.slice(0, offset);
  const line = before.split('\n').length - 1;
  return { line, character: offset - (before.lastIndexOf('\n') + 1) };
}

/** Waits until the server's first index build of its workspace is done (locus/compress reports it). */
export async function waitForIndex(client: BenchClient, uri: string, c: Case): Promise<{ files: number; chunks: number }> {
  await client.open(uri, c.languageId, c.text);
  try {
    const until = Date.now() + 300_000;
    for (;;) {
      const r = await client.server.connection.sendRequest(CompressRequest.type, { textDocument: { uri }, position: positionAt(c.text, c.offset) });
      if (!r.index.building && r.index.files > 0) return r.index;
      if (Date.now() > until) throw new Error('the workspace index was not built within 5 minutes');
      await sleep(500);
    }
  } finally {
    await client.close(uri);
  }
}
