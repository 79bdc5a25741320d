// The module-level definitions a function needs in the sandbox: the file's top-level imports, assignments, functions
// and classes that its free names reach, transitively, Python's `if` and `try` statements made of them alone
// (`try: import ujson as json`, `if sys.version_info >= (3, 11):`, whose imports outside a `try` block are wrapped as
// top-level ones are; a `try` whose `except` raises is wrapped whole) and scripts' `try` statements that only assign
// (`try { fast = require('fast-lib'); } catch { fast = null; }`, scriptTryStatement.ts). A script's declaration that
// loads a package by `require` or `import()` never runs. Nothing else at module level ever runs: calls
// (`main()`, `app.run()`), `if __name__ == '__main__':` blocks, loops, top-level `await`. A definition that computes
// its value (`PATTERN = re.compile(...)`, `DATA = load()`) runs when it is needed: most are cheap and pure, and one that
// reads a file or takes long fails within the sandbox's limits, which the check reports as the module-level code's
// failure. An import the sandbox cannot load (a package, a workspace module) leaves its names unbound there, or bound
// by its `try` statement's fallback: a check that fails on one of them is not checked rather than failed
// (checkFailures.ts).
import { isBuiltin } from 'node:module';
import type { Node as SyntaxNode } from '@vscode/tree-sitter-wasm';
import { bindingNames, freeNames, pythonImportBindings } from './freeNames';
import { pythonImportSources, scriptLoadedModules, type ImportSource } from './importedModules';
import { scriptTryStatement } from './scriptTryStatement';
import type { CandidateLanguage } from './sandboxRuntimes';
import type { TimeSlices } from '../timeSlices';

/** What runs around a candidate function: `before` it (in file order), then the function, then `after` it. */
export interface ModuleContext {
  before: string;
  /** Definitions below the function in the file: run after it, as in the file, since they may use it when they run. */
  after: string;
  /** The module-level names they bind, for messages. */
  names: string[];
  /**
   * Names the function reaches that the sandbox may lack, and the modules each is imported from (in file order; two
   * where branches import it, `try: import simplejson as json` / `except ImportError: import json`): a script's import
   * of a package or workspace file (never loaded there) and every Python import (one that fails leaves its names
   * unbound, or bound by a `try` statement's fallback).
   */
  mayLack: ReadonlyMap<string, readonly ImportSource[]>;
}

export const NO_MODULE_CONTEXT: ModuleContext = { before: '', after: '', names: [], mayLack: new Map() };

export interface ModuleDefinition {
  binds: string[];
  /** Module-level names it reads when it runs or is called (walked only for a definition that is taken). */
  reads: (slices: TimeSlices) => Promise<Set<string>>;
  /** The statement as it runs in the sandbox. */
  text: string;
  below: boolean;
  /** Python's `__future__` and wildcard imports: always taken (the first change the module, the second bind unknown names). */
  always: boolean;
  /** Per name it binds by importing, the modules (see {@link ModuleContext.mayLack}). */
  imports: ReadonlyMap<string, readonly ImportSource[]>;
  /** Never runs in the sandbox (a script's import of a package or workspace file): its names are missing there. */
  skipped: boolean;
}

export interface ModuleScope {
  /** Names the function's own statement binds: never taken from the file, the candidate defines them. */
  functionNames: Set<string>;
  definitions: ModuleDefinition[];
}

function namedChildren(node: SyntaxNode): SyntaxNode[] {
  return node.namedChildren.filter((child): child is SyntaxNode => child !== null);
}

/**
 * Python: an import the sandbox cannot load is passed over, as a name it binds may go unused: a package or workspace
 * module it lacks, or one whose import the sandbox refuses (asyncio's sets a function's `__code__`, which the
 * harness's audit hook forbids; the harness says ModuleNotFoundError). Its names stay unbound.
 */
function pythonImportText(text: string, caught = 'Exception'): string {
  return `try:\n${text.replace(/^/gm, '    ')}\nexcept ${caught}:\n    pass`;
}

function pythonAssignmentBinds(assignment: SyntaxNode): string[] {
  const left = assignment.childForFieldName('left');
  const right = assignment.childForFieldName('right');
  // `x: int` alone binds nothing; `a = b = 1` binds both.
  if (left === null || right === null) return [];
  const names = bindingNames(left, 'python');
  return right.type === 'assignment' ? [...names, ...pythonAssignmentBinds(right)] : names;
}

/** The names a block's statements bind to None (`np = None`, `np = mean = None`). */
function pythonNoneBinds(block: SyntaxNode | undefined): string[] {
  return (block ? namedChildren(block) : []).flatMap((statement) => {
    const assignment = statement.type === 'expression_statement' ? namedChildren(statement)[0] : undefined;
    if (assignment?.type !== 'assignment') return [];
    let value = assignment.childForFieldName('right');
    while (value?.type === 'assignment') value = value.childForFieldName('right');
    return value?.type === 'none' ? pythonAssignmentBinds(assignment) : [];
  });
}

const PYTHON_CLAUSES = new Set(['elif_clause', 'else_clause', 'except_clause', 'except_group_clause', 'finally_clause']);

/** `TYPE_CHECKING` or `typing.TYPE_CHECKING`: false when the module runs, so its block is the type checker's alone. */
function typeCheckingOnly(condition: SyntaxNode | null): boolean {
  const name = condition?.type === 'attribute' ? condition.childForFieldName('attribute') : condition;
  return name?.type === 'identifier' && name.text === 'TYPE_CHECKING';
}

/** An `if` or `try` statement's clauses with a block: `if`, `elif`, `else`; `try` (the statement), `except`, `else`, `finally`. */
function pythonClauses(statement: SyntaxNode): SyntaxNode[] {
  return [statement, ...namedChildren(statement).filter((child) => PYTHON_CLAUSES.has(child.type))];
}

function clauseBlock(clause: SyntaxNode): SyntaxNode | undefined {
  return namedChildren(clause).find((child) => child.type === 'block');
}

const isImport = (node: SyntaxNode): boolean => node.type === 'import_statement' || node.type === 'import_from_statement';

/**
 * The imports in an `if` or `try` statement that nothing handles, in file order, nested statements' too: every one
 * but those of a `try` block itself (its `except` handles them) and of a `TYPE_CHECKING` block (it never runs).
 */
function pythonUnhandledImports(statement: SyntaxNode): SyntaxNode[] {
  return pythonClauses(statement).flatMap((clause) => {
    if (clause.type === 'try_statement' || typeCheckingOnly(clause.childForFieldName('condition'))) return [];
    const block = clauseBlock(clause);
    return (block ? namedChildren(block) : []).flatMap((inner) => (isImport(inner) ? [inner] : inner.type === 'if_statement' || inner.type === 'try_statement' ? pythonUnhandledImports(inner) : []));
  });
}

/**
 * The statement as it runs in the sandbox: each of `imports` wrapped as a top-level import is, at its indentation, so
 * that one the sandbox cannot load leaves its names unbound rather than failing every candidate. An import that
 * shares its line with another statement (`import a; b = 1`) stays as written.
 */
function pythonWrappedText(statement: SyntaxNode, imports: SyntaxNode[]): string {
  let text = statement.text;
  for (const inner of [...imports].reverse()) {
    const start = inner.startIndex - statement.startIndex;
    const end = inner.endIndex - statement.startIndex;
    const lineStart = text.lastIndexOf('\n', start - 1) + 1;
    const indent = /^[ \t]*/.exec(text.slice(lineStart))?.[0] ?? '';
    const alone = lineStart + indent.length === start;
    const lineEnd = text.indexOf('\n', end);
    const rest = text.slice(end, lineEnd < 0 ? undefined : lineEnd);
    if (!/^\s*(?:#.*)?$/.test(rest) || (!alone && namedChildren(inner.parent ?? inner).filter((node) => node.type !== 'comment').length > 1)) continue;
    // `if x: import a` becomes a block of its own lines, under its clause.
    const at = alone ? indent : `${indent}    `;
    text = `${text.slice(0, start)}${alone ? '' : `\n${at}`}${pythonImportText(inner.text).replace(/\n/g, `\n${at}`)}${text.slice(end)}`;
  }
  return text;
}

const HANDLER_CLAUSES = new Set(['except_clause', 'except_group_clause']);

function pythonHandlers(statement: SyntaxNode): SyntaxNode[] {
  return namedChildren(statement).filter((clause) => HANDLER_CLAUSES.has(clause.type));
}

/** A `try` statement whose `except` clause raises (`raise ImportError("numpy is required")`) where its import failed. */
function raisesOnFailure(statement: SyntaxNode): boolean {
  return statement.type === 'try_statement' && pythonHandlers(statement).some((clause) => namedChildren(clauseBlock(clause) ?? clause).some((inner) => inner.type === 'raise_statement'));
}

/** Per name, the sources of each of `parts` in order: a name two of them bind keeps both. */
function joinedSources(parts: Iterable<Iterable<[string, readonly ImportSource[]]>>): Map<string, ImportSource[]> {
  const joined = new Map<string, ImportSource[]>();
  for (const part of parts) for (const [name, sources] of part) joined.set(name, [...(joined.get(name) ?? []), ...sources]);
  return joined;
}

/** Per name the imports bind, its source, `mark`ed. */
function importSources(imports: SyntaxNode[], mark: (name: string, source: ImportSource) => ImportSource = (_, source) => source): [string, ImportSource[]][] {
  return imports.flatMap((inner) => [...pythonImportSources(inner)].map(([name, source]): [string, ImportSource[]] => [name, [mark(name, source)]]));
}

/**
 * The names an `if` or `try` statement imports, the sandbox may lack, in file order: a `try` block's own (its `except`
 * clause runs instead), a name that clause binds to None marked so (`except ImportError: np = None`), and those of
 * `unhandled` (then unbound). A name imported in two branches keeps both: the run tells which failed to load.
 */
function pythonCompoundImports(statement: SyntaxNode, unhandled: SyntaxNode[]): Map<string, ImportSource[]> {
  if (statement.type !== 'try_statement') return joinedSources([importSources(unhandled)]);
  const body = clauseBlock(statement);
  const fallbacks = new Set(pythonHandlers(statement).flatMap((clause) => pythonNoneBinds(clauseBlock(clause))));
  const tried = importSources((body ? namedChildren(body) : []).filter(isImport), (name, source) => (fallbacks.has(name) ? { ...source, noneWhenMissing: true } : source));
  return joinedSources([tried, importSources(unhandled)]);
}

type Definition = Pick<ModuleDefinition, 'binds' | 'reads' | 'text' | 'always'> & Partial<Pick<ModuleDefinition, 'imports' | 'skipped'>>;

const NOTHING = async (): Promise<Set<string>> => new Set();

/**
 * What an `if` or `try` statement binds (`try: import ujson as json` / `except ImportError: import json`), or null
 * unless every statement in its blocks is a definition by the same rules as at module level (a call, a loop, a
 * `__main__` block is not). A `TYPE_CHECKING` block's imports are for annotations: they bind nothing a function needs.
 */
function pythonCompoundBinds(statement: SyntaxNode): string[] | null {
  const binds: string[] = [];
  for (const clause of pythonClauses(statement)) {
    const condition = clause.childForFieldName('condition');
    if (condition !== null && /\b__name__\b/.test(condition.text)) return null;
    const block = clauseBlock(clause);
    for (const inner of block ? namedChildren(block) : []) {
      if (inner.type === 'comment' || inner.type === 'pass_statement') continue;
      // Saying which package is required where the import failed (see raisesOnFailure).
      if (inner.type === 'raise_statement' && HANDLER_CLAUSES.has(clause.type)) continue;
      const definition = pythonDefinition(inner);
      if (definition === null) return null;
      if (!typeCheckingOnly(condition)) binds.push(...definition.binds);
    }
  }
  return binds;
}

function pythonDefinition(statement: SyntaxNode): Definition | null {
  const text = statement.text;
  const reads = (slices: TimeSlices): Promise<Set<string>> => freeNames(statement, 'python', slices);
  switch (statement.type) {
    case 'future_import_statement':
      return { binds: [], reads: NOTHING, text, always: true };
    case 'import_statement':
    case 'import_from_statement': {
      const wildcard = namedChildren(statement).some((child) => child.type === 'wildcard_import');
      // It runs whenever the definitions do: the run tells whether its module loaded (a relative one never does).
      const imports = new Map(importSources([statement], (_, source) => (source.module.startsWith('.') ? source : { ...source, unconditional: true })));
      return { binds: pythonImportBindings(statement), reads: NOTHING, text: pythonImportText(text), always: wildcard, imports };
    }
    case 'function_definition':
    case 'class_definition':
      return { binds: [statement.childForFieldName('name')?.text ?? ''], reads, text, always: false };
    case 'decorated_definition': {
      const inner = statement.childForFieldName('definition');
      return inner ? { binds: [inner.childForFieldName('name')?.text ?? ''], reads, text, always: false } : null;
    }
    case 'expression_statement': {
      const parts = namedChildren(statement);
      if (parts.length !== 1) return null;
      const [part] = parts;
      if (part.type === 'assignment') return { binds: pythonAssignmentBinds(part), reads, text, always: false };
      if (part.type === 'augmented_assignment') return { binds: bindingNames(part.childForFieldName('left') ?? part, 'python'), reads, text, always: false };
      return null;
    }
    case 'if_statement':
    case 'try_statement': {
      // Taken whole: a `try` handles its own ImportError (the harness makes an import the sandbox refuses one,
      // pythonHarness.ts), and an `if` runs one branch, as in the file; any other import is wrapped as a top-level one.
      const binds = pythonCompoundBinds(statement);
      if (binds === null) return null;
      const unhandled = pythonUnhandledImports(statement);
      // One whose `except` raises is a required import: wrapped as a top-level one, it leaves its names unbound.
      const wrapped = pythonWrappedText(statement, unhandled);
      // Its `except` may raise SystemExit ("pip install numpy"), which `except Exception` lets through.
      const text = raisesOnFailure(statement) ? pythonImportText(wrapped, 'BaseException') : wrapped;
      return { binds, reads, text, always: false, imports: pythonCompoundImports(statement, unhandled) };
    }
    default:
      return null;
  }
}

const FUNCTION_SCOPES = new Set(['function_declaration', 'generator_function_declaration', 'function_expression', 'generator_function', 'arrow_function', 'method_definition']);

/** A top-level `await` in a declaration's value: it never runs (CommonJS has none, and it waits on I/O). */
function awaitsAtTopLevel(node: SyntaxNode): boolean {
  if (node.type === 'await_expression') return true;
  return !FUNCTION_SCOPES.has(node.type) && namedChildren(node).some(awaitsAtTopLevel);
}

function scriptImportBinds(statement: SyntaxNode): string[] {
  const clause = namedChildren(statement).find((child) => child.type === 'import_clause');
  if (!clause) return [];
  return namedChildren(clause).flatMap((part) => {
    if (part.type === 'identifier') return [part.text];
    if (part.type === 'namespace_import') return namedChildren(part).map((name) => name.text);
    if (part.type !== 'named_imports') return [];
    return namedChildren(part).map((specifier) => (specifier.childForFieldName('alias') ?? specifier.childForFieldName('name'))?.text ?? '');
  });
}

function scriptDeclarationBinds(declaration: SyntaxNode): string[] {
  const declarators = namedChildren(declaration).filter((child) => child.type === 'variable_declarator');
  return declarators.flatMap((declarator) => bindingNames(declarator.childForFieldName('name') ?? declarator, 'javascript'));
}

/**
 * A statement that loads a module other than Node's own (`./logger`, a package): the sandbox holds the harness and
 * the candidate alone, so it would fail the load of every candidate, where the name it binds may be used only on a
 * branch the checks never take. It never runs; its names are missing there, and which module they came from is kept.
 * Null when it loads only Node's own modules.
 */
function skippedScriptDefinition(declaration: SyntaxNode): Definition | null {
  const missing = scriptLoadedModules(declaration).filter((source) => source === undefined || !isBuiltin(source));
  if (missing.length === 0) return null;
  const binds = declaration.type === 'import_statement' ? scriptImportBinds(declaration) : scriptDeclarationBinds(declaration);
  // `require(name)` names no module: said as such.
  const module = missing.find((source) => source !== undefined) ?? 'a module it loads';
  return { binds, reads: NOTHING, text: '', always: false, imports: new Map(binds.map((name) => [name, [{ module }]])), skipped: true };
}

function scriptDefinition(statement: SyntaxNode): Definition | null {
  // `export` is dropped: the sandbox's module exports nothing but the function.
  const declaration = statement.type === 'export_statement' ? statement.childForFieldName('declaration') : statement;
  if (declaration === null) return null;
  const skipped = skippedScriptDefinition(declaration);
  if (skipped) return skipped;
  const text = declaration.text;
  const reads = (slices: TimeSlices): Promise<Set<string>> => freeNames(declaration, 'javascript', slices);
  switch (declaration.type) {
    case 'import_statement':
      return { binds: scriptImportBinds(declaration), reads: NOTHING, text, always: false };
    case 'function_declaration':
    case 'generator_function_declaration':
    case 'class_declaration':
    case 'abstract_class_declaration':
    case 'enum_declaration':
      return { binds: [declaration.childForFieldName('name')?.text ?? ''], reads, text, always: false };
    case 'lexical_declaration':
    case 'variable_declaration': {
      if (awaitsAtTopLevel(declaration)) return null;
      return { binds: scriptDeclarationBinds(declaration), reads, text, always: false };
    }
    case 'try_statement': {
      const optional = scriptTryStatement(declaration);
      return optional && { binds: optional.binds, reads, text: optional.text, always: false, imports: optional.imports };
    }
    default:
      return null;
  }
}

/** The top-level statements of a parsed file, read with a cursor in `slices` (a file may have 12,000 of them). */
async function topLevelStatements(root: SyntaxNode, slices: TimeSlices): Promise<SyntaxNode[]> {
  const statements: SyntaxNode[] = [];
  const cursor = root.walk();
  try {
    for (let more = cursor.gotoFirstChild(); more; more = cursor.gotoNextSibling()) {
      if (slices.spent) await slices.breathe();
      if (cursor.nodeIsNamed) statements.push(cursor.currentNode);
    }
    return statements;
  } finally {
    cursor.delete();
  }
}

/**
 * The top-level definitions of a parsed file, around the function whose statement spans line `row` (0-based) and
 * binds `functionName`; null when no top-level statement spans `row`. Their reads are walked on demand: the scope is
 * good while the tree lives. Read in `slices`, like the reads.
 */
export async function moduleScope(root: SyntaxNode, row: number, functionName: string, language: CandidateLanguage, slices: TimeSlices): Promise<ModuleScope | null> {
  const statements = await topLevelStatements(root, slices);
  const target = statements.find((statement) => statement.startPosition.row <= row && row <= statement.endPosition.row);
  if (!target) return null;
  const read = language === 'python' ? pythonDefinition : scriptDefinition;
  const functionNames = new Set([functionName, ...(read(target)?.binds ?? [])]);
  const definitions: ModuleDefinition[] = [];
  for (const statement of statements) {
    if (slices.spent) await slices.breathe();
    if (statement.id === target.id) continue;
    const definition = read(statement);
    if (!definition) continue;
    const binds = definition.binds.filter((name) => name !== '');
    const reads = async (walk: TimeSlices): Promise<Set<string>> => new Set([...(await definition.reads(walk))].filter((name) => !binds.includes(name)));
    definitions.push({
      binds,
      reads,
      text: definition.text,
      always: definition.always,
      imports: definition.imports ?? new Map(),
      skipped: definition.skipped ?? false,
      below: statement.startPosition.row > target.startPosition.row,
    });
  }
  return { functionNames, definitions };
}

/**
 * The definitions a function reading `functionReads` needs, transitively, in file order around it. The function's own
 * name is never looked up: a definition of it elsewhere (an earlier draft, a later `f = None`) would replace the candidate.
 */
export async function neededDefinitions(scope: ModuleScope, functionReads: Iterable<string>, slices: TimeSlices): Promise<ModuleContext> {
  const byName = new Map<string, ModuleDefinition[]>();
  for (const definition of scope.definitions) for (const name of definition.binds) byName.set(name, [...(byName.get(name) ?? []), definition]);
  const taken = new Set(scope.definitions.filter((definition) => definition.always));
  const seen = new Set<string>();
  const pending = [...functionReads];
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (seen.has(name) || scope.functionNames.has(name)) continue;
    seen.add(name);
    for (const definition of byName.get(name) ?? []) {
      if (taken.has(definition)) continue;
      taken.add(definition);
      for (const read of await definition.reads(slices)) pending.push(read);
    }
  }
  if (slices.spent) await slices.breathe();
  const inOrder = scope.definitions.filter((definition) => taken.has(definition));
  const runs = inOrder.filter((definition) => !definition.skipped);
  const text = (below: boolean): string => runs.filter((definition) => definition.below === below).map((definition) => `${definition.text}\n`).join('');
  const mayLack = joinedSources(inOrder.map((definition) => definition.imports));
  return { before: text(false), after: text(true), names: [...new Set(runs.flatMap((definition) => definition.binds))], mayLack };
}
