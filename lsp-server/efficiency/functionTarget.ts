// Does a completion write (part of) a function body, and if so which function: its name, parameters, doc-comment
// examples and full source with the completion in place. TypeScript/JavaScript are parsed with the TypeScript
// compiler; Python with a small indentation-based reader (def header, body block, docstring).
import { closingBracket } from './closingBracket';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type * as TypeScript from 'typescript';
import { parseDocExamples, parseDoctests, type DocExample } from './docExamples';
import type { CandidateLanguage } from './sandboxRuntimes';

// The compiler is ~9 MB: bundled into the server it would cost every start ~0.5 s and ~50 MB for a feature that
// is off by default. It is loaded on the first efficiency check instead, from `typescript.js` next to the bundle
// (its own esbuild entry) or, in development, from node_modules. createRequire keeps esbuild from inlining it.
let compiler: typeof TypeScript | undefined;
function typescript(): typeof TypeScript {
  if (!compiler) {
    const load = createRequire(__filename);
    const bundled = join(__dirname, 'typescript.js');
    compiler = (existsSync(bundled) ? load(bundled) : load('typescript')) as typeof TypeScript;
  }
  return compiler;
}

export interface TargetParam {
  name: string;
  /** The annotation as written (`number[]`, `list[int]`), when there is one. */
  type?: string;
}

export interface FunctionTarget {
  language: CandidateLanguage;
  name: string;
  params: TargetParam[];
  returnType?: string;
  isAsync: boolean;
  /** The whole function, with the completion in place. */
  source: string;
  /**
   * Whether the completion writes all of the body's code: outside it the body holds nothing but comments and
   * (Python) a docstring. Only then are candidates whole bodies that can be compared by running them.
   */
  wholeBody: boolean;
  examples: DocExample[];
}

export function candidateLanguage(languageId: string): CandidateLanguage | null {
  if (['typescript', 'javascript', 'typescriptreact', 'javascriptreact'].includes(languageId)) return 'javascript';
  if (languageId === 'python') return 'python';
  return null;
}

/**
 * The function whose body the text `completion`, inserted at `offset` of `text`, writes into; null when the
 * completion is not inside a top-level function body or the result does not parse.
 */
/** The document's text with `completion` in place at `offset`. */
export function textWithCompletion(text: string, offset: number, completion: string): string {
  return text.slice(0, offset) + completion + text.slice(offset);
}

export function findFunctionTarget(text: string, offset: number, completion: string, languageId: string): FunctionTarget | null {
  const language = candidateLanguage(languageId);
  if (!language || completion.trim() === '') return null;
  const full = textWithCompletion(text, offset, completion);
  return language === 'python'
    ? pythonTarget(full, offset, offset + completion.length)
    : scriptTarget(full, offset, offset + completion.length, languageId.startsWith('typescript'));
}

function scriptTarget(full: string, start: number, end: number, isTypeScript: boolean): FunctionTarget | null {
  const ts = typescript();
  const kind = isTypeScript ? ts.ScriptKind.TS : ts.ScriptKind.JS;
  const file = ts.createSourceFile(isTypeScript ? 'f.ts' : 'f.js', full, ts.ScriptTarget.ES2022, true, kind);
  for (const statement of file.statements) {
    const found = topLevelFunction(statement);
    if (!found) continue;
    const { name, fn, docHost } = found;
    const body = fn.body;
    if (!body || !ts.isBlock(body)) continue;
    if (start <= body.getStart(file) || end >= body.getEnd()) continue;
    const source = statement.getText(file).replace(/^export\s+(default\s+)?/, '');
    if (hasSyntaxErrors(source, isTypeScript)) return null;
    const params = fn.parameters.map((p) => ({ name: p.name.getText(file), type: p.type?.getText(file) }));
    const isAsync = (ts.getCombinedModifierFlags(fn as TypeScript.Declaration) & ts.ModifierFlags.Async) !== 0;
    const wholeBody = body.statements.every((node) => node.getStart(file) >= start && node.getEnd() <= end);
    return {
      language: 'javascript',
      name,
      params,
      returnType: fn.type?.getText(file),
      isAsync,
      source,
      wholeBody,
      examples: parseDocExamples(exampleTexts(docHost)),
    };
  }
  return null;
}

function topLevelFunction(statement: TypeScript.Statement): { name: string; fn: TypeScript.FunctionLikeDeclaration; docHost: TypeScript.Node } | null {
  const ts = typescript();
  if (ts.isFunctionDeclaration(statement) && statement.name) return { name: statement.name.text, fn: statement, docHost: statement };
  if (ts.isVariableStatement(statement) && statement.declarationList.declarations.length === 1) {
    const declaration = statement.declarationList.declarations[0];
    const init = declaration.initializer;
    if (ts.isIdentifier(declaration.name) && init && (ts.isArrowFunction(init) || ts.isFunctionExpression(init))) {
      return { name: declaration.name.text, fn: init, docHost: declaration };
    }
  }
  return null;
}

function exampleTexts(node: TypeScript.Node): string[] {
  const ts = typescript();
  return ts
    .getJSDocTags(node)
    .filter((tag) => tag.tagName.text === 'example')
    .map((tag) => (typeof tag.comment === 'string' ? tag.comment : (ts.getTextOfJSDocComment(tag.comment) ?? '')));
}

function hasSyntaxErrors(source: string, isTypeScript: boolean): boolean {
  const ts = typescript();
  const out = ts.transpileModule(source, {
    reportDiagnostics: true,
    fileName: isTypeScript ? 'candidate.ts' : 'candidate.js',
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
  });
  return (out.diagnostics ?? []).length > 0;
}

/**
 * TypeScript or JavaScript → CommonJS JavaScript for the sandbox (types stripped, `import`s of the module-level
 * definitions made `require`s); the bundled compiler, never the workspace's.
 */
export function toCommonJs(source: string, isTypeScript: boolean): string {
  const ts = typescript();
  return ts.transpileModule(source, {
    fileName: isTypeScript ? 'candidate.ts' : 'candidate.js',
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, removeComments: true },
  }).outputText;
}

// ---- Python ----

const DEF = /^(async\s+)?def\s+([A-Za-z_]\w*)\s*\(/;

function indentOf(line: string): number {
  return line.length - line.trimStart().length;
}

function pythonTarget(full: string, start: number, end: number): FunctionTarget | null {
  const lines = full.split('\n');
  const lineStarts: number[] = [];
  let position = 0;
  for (const line of lines) {
    lineStarts.push(position);
    position += line.length + 1;
  }
  const lineAt = (offset: number): number => {
    let index = 0;
    while (index + 1 < lineStarts.length && lineStarts[index + 1] <= offset) index++;
    return index;
  };
  const cursorLine = lineAt(start);
  // The nearest top-level def at or above the cursor; any other top-level statement in between means the
  // cursor is not in a function (lines starting with a bracket close a multi-line def header).
  let defLine = -1;
  for (let i = cursorLine; i >= 0; i--) {
    if (DEF.test(lines[i])) {
      defLine = i;
      break;
    }
    const topLevel = i < cursorLine && lines[i].trim() !== '' && indentOf(lines[i]) === 0;
    if (topLevel && !/^[#@)\]}]/.test(lines[i])) return null;
  }
  if (defLine < 0) return null;
  const header = DEF.exec(lines[defLine])!;
  // Parameters: from the '(' to its matching ')', possibly across lines.
  const open = lineStarts[defLine] + lines[defLine].indexOf('(', header[0].length - 1);
  const close = closingBracket(full, open, '"\'');
  if (close < 0) return null;
  const colon = full.indexOf(':', close);
  const afterParen = full.slice(close + 1, colon);
  if (colon < 0 || !/^\s*(->[^:]+)?$/.test(afterParen)) return null;
  const headerEndLine = lineAt(colon);
  let lastBodyLine = headerEndLine;
  for (let i = headerEndLine + 1; i < lines.length; i++) {
    if (lines[i].trim() === '') continue;
    if (indentOf(lines[i]) === 0) break;
    lastBodyLine = i;
  }
  const bodyStart = lineStarts[headerEndLine] + lines[headerEndLine].length;
  const bodyEnd = lineStarts[lastBodyLine] + lines[lastBodyLine].length;
  if (start < bodyStart || end > bodyEnd + 1 || lastBodyLine === headerEndLine) return null;
  const source = lines.slice(decoratorsAbove(lines, defLine), lastBodyLine + 1).join('\n') + '\n';
  const params = splitTopLevel(full.slice(open + 1, close))
    .map((part) => part.trim())
    .filter((part) => part !== '' && part !== '/' && part !== '*' && !part.startsWith('*') && part !== 'self' && part !== 'cls')
    .map((part) => {
      const [nameAndType] = part.split('=');
      const [name, type] = nameAndType.split(':').map((s) => s.trim());
      return type ? { name, type } : { name };
    });
  const returnType = /->\s*(.*?\S|.)\s*$/.exec(afterParen)?.[1];
  const outside = docstringRemoved(full.slice(bodyStart, start)) + full.slice(end, bodyEnd);
  return {
    language: 'python',
    name: header[2],
    params,
    returnType,
    isAsync: header[1] !== undefined,
    source,
    wholeBody: isBlankOrComments(outside),
    examples: parseDoctests(docstringOf(lines.slice(headerEndLine + 1, lastBodyLine + 1).join('\n'))),
  };
}

/**
 * The first line of the decorators above the def at `defLine` (`defLine` when it has none): they are part of the
 * function, and a memoizing one (`@functools.cache`) changes what its calls cost and what its examples can read.
 * Comments and a decorator's own continuation lines (indented, or closing a bracket) may sit among them.
 */
function decoratorsAbove(lines: string[], defLine: number): number {
  let first = defLine;
  for (let i = defLine - 1; i >= 0; i--) {
    const line = lines[i];
    if (line.trim() === '' || line.startsWith('#') || indentOf(line) > 0 || /^[)\]}]/.test(line)) continue;
    if (!line.startsWith('@')) break;
    first = i;
  }
  return first;
}

/** Splits on commas outside brackets and quotes. */
export function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      current += c;
      if (c === '\\' && i + 1 < text.length) current += text[++i];
      else if (c === quote) quote = null;
      continue;
    }
    if (c === '"' || c === "'" || c === '`') quote = c;
    else if ('([{<'.includes(c)) depth++;
    else if (')]}>'.includes(c)) depth--;
    if (c === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += c;
  }
  if (current.trim() !== '') parts.push(current);
  return parts;
}

function docstringRemoved(body: string): string {
  return body.replace(/^\s*(?:[rRuU]?)("""|''')[\s\S]*?\1/, '');
}

/** Python text with no code: blank lines and `#` comments only (a `#` inside a string leaves code before it). */
function isBlankOrComments(text: string): boolean {
  return text.split('\n').every((line) => line.replace(/#.*$/, '').trim() === '');
}

function docstringOf(body: string): string {
  const match = /^\s*(?:[rRuU]?)("""|''')([\s\S]*?)\1/.exec(body);
  return match ? match[2] : '';
}
