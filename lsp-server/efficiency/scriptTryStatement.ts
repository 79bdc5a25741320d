// A module-level JavaScript/TypeScript `try` statement that loads an optional module, with a fallback:
// `let fast; try { fast = require('fast-lib'); } catch { fast = null; }`. The sandbox holds no package, so its
// `catch` runs there as where the package is not installed, and a check that fails only on the null it bound is not
// the code's (checkFailures.ts). Python's `try: import numpy as np` / `except ImportError: np = None` in scripts.
// A `catch` that throws (`throw new Error('fast-lib is required')`) makes it a required import, run as Python's
// top-level ones are: one the sandbox lacks leaves its names undefined.
import { isBuiltin } from 'node:module';
import type { Node as SyntaxNode } from '@vscode/tree-sitter-wasm';
import { bindingNames } from './freeNames';
import { runningNodes } from './runningNodes';
import type { ImportSource } from './importedModules';

export interface ScriptTry {
  /** The names its blocks assign or declare with `var`: module-level ones. */
  binds: string[];
  /** As it runs in the sandbox: CommonJS has no top-level `await`, so `await import('fast-lib')` is `require('fast-lib')`. */
  text: string;
  /** Per name its `try` block binds from a module it loads, that module. */
  imports: Map<string, ImportSource[]>;
}

function namedChildren(node: SyntaxNode): SyntaxNode[] {
  return node.namedChildren.filter((child): child is SyntaxNode => child !== null);
}

function specifier(call: SyntaxNode): string | undefined {
  const argument = call.childForFieldName('arguments')?.namedChildren[0];
  return argument?.type === 'string' ? argument.text.slice(1, -1) : undefined;
}

/** The module a statement loads first as it runs, by `require(...)` or `import(...)` ('a module it loads' where no literal names it). */
function loadedModule(statement: SyntaxNode): string | undefined {
  const call = runningNodes(statement, 'call_expression').find((node) => ['require', 'import'].includes(node.childForFieldName('function')?.text ?? ''));
  return call && (specifier(call) ?? 'a module it loads');
}

/** The names a block statement assigns (`a = b = x;`) or declares with `var`; null when it is something else. */
function statementBinds(statement: SyntaxNode): string[] | null {
  if (statement.type === 'comment' || statement.type === 'empty_statement' || statement.type === 'lexical_declaration') return [];
  if (statement.type === 'variable_declaration') {
    return namedChildren(statement).flatMap((declarator) => bindingNames(declarator.childForFieldName('name') ?? declarator, 'javascript'));
  }
  let assignment = statement.type === 'expression_statement' ? namedChildren(statement)[0] : undefined;
  const names: string[] = [];
  while (assignment?.type === 'assignment_expression') {
    const left = assignment.childForFieldName('left');
    if (left?.type !== 'identifier') return null;
    names.push(left.text);
    assignment = assignment.childForFieldName('right') ?? undefined;
  }
  return names.length > 0 ? names : null;
}

/** The names a block's statements set to null or undefined (`fast = null`, `a = b = void 0`). */
function nullBinds(block: SyntaxNode | null | undefined): string[] {
  return (block ? namedChildren(block) : []).flatMap((statement) => {
    let value = statement.type === 'expression_statement' ? namedChildren(statement)[0] : undefined;
    while (value?.type === 'assignment_expression') value = value.childForFieldName('right') ?? undefined;
    return value && /^(?:null|undefined|void\s+0)$/.test(value.text) ? (statementBinds(statement) ?? []) : [];
  });
}

const isImportCall = (call: SyntaxNode): boolean => call.childForFieldName('function')?.type === 'import';

/**
 * The try statement, when its blocks only assign names or declare them (as Python's are taken: definitions alone; its
 * `catch` may throw too) and it awaits nothing but `import()` of a package, which the sandbox lacks; else null. A bare `import()` is left out:
 * its failure would reject after the `catch` had passed, unhandled.
 */
export function scriptTryStatement(statement: SyntaxNode): ScriptTry | null {
  const body = statement.childForFieldName('body');
  const handler = statement.childForFieldName('handler')?.childForFieldName('body');
  const finalizer = statement.childForFieldName('finalizer')?.childForFieldName('body');
  const binds: string[] = [];
  // A catch may throw, saying which package is required (`throw new Error('fast-lib is required')`).
  const throws = new Set((handler ? namedChildren(handler) : []).filter((inner) => inner.type === 'throw_statement').map((inner) => inner.id));
  for (const inner of [body, handler, finalizer].flatMap((block) => (block ? namedChildren(block) : []))) {
    if (throws.has(inner.id)) continue;
    const names = statementBinds(inner);
    if (names === null) return null;
    binds.push(...names);
  }
  const imports = runningNodes(statement, 'call_expression').filter(isImportCall);
  const awaitedPackage = (call: SyntaxNode): boolean => {
    const module = specifier(call);
    return call.parent?.type === 'await_expression' && module !== undefined && !isBuiltin(module);
  };
  if (!imports.every(awaitedPackage) || runningNodes(statement, 'await_expression').length !== imports.length) return null;
  let text = statement.text;
  // Where the sandbox lacks the module, both fail and the catch runs; require fails at once.
  for (const call of [...imports].reverse()) {
    const awaiting = call.parent!;
    const module = call.childForFieldName('arguments')?.namedChildren[0]?.text;
    text = `${text.slice(0, awaiting.startIndex - statement.startIndex)}require(${module})${text.slice(awaiting.endIndex - statement.startIndex)}`;
  }
  const fallback = nullBinds(handler);
  const assigned = new Set((handler ? namedChildren(handler) : []).flatMap((inner) => statementBinds(inner) ?? []));
  const sources = new Map<string, ImportSource[]>();
  for (const inner of body ? namedChildren(body) : []) {
    const module = loadedModule(inner);
    if (module === undefined) continue;
    for (const name of statementBinds(inner) ?? []) {
      // A name the catch sets to null, or leaves as it was (`let fast;`: undefined).
      const noneWhenMissing = handler != null && (fallback.includes(name) || !assigned.has(name));
      sources.set(name, [noneWhenMissing ? { module, noneWhenMissing } : { module }]);
    }
  }
  // A required package, as a top-level import is: where the sandbox lacks it, its names are left undefined, not every
  // candidate's load failed.
  return { binds, text: throws.size > 0 ? `try {\n${text}\n} catch {}` : text, imports: sources };
}
