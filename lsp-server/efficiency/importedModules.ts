// Which module a module-level statement loads, and which module each name an import binds comes from: the sandbox
// holds the harness and the candidate alone (no site-packages, no workspace files), so an import may be missing
// there, and a check that fails on such a name says which module it lacked.
import type { Node as SyntaxNode } from '@vscode/tree-sitter-wasm';
import { pythonImportBindings } from './freeNames';
import { runningNodes } from './runningNodes';

function namedChildren(node: SyntaxNode): SyntaxNode[] {
  return node.namedChildren.filter((child): child is SyntaxNode => child !== null);
}

/** Where a name an import binds comes from, for saying which module the sandbox lacked. */
export interface ImportSource {
  /** The module the statement names: `numpy`, `os.path`, `unittest` (of `from unittest import mock`), `./logger`. */
  module: string;
  /** `from m import x`'s `m.x`: x may be a submodule, and the run tells whether its load was what failed. */
  submodule?: string;
  /**
   * Bound to None where the import fails (`except ImportError: np = None`; a script's `catch { fast = null; }`): then
   * an error of using None (null) through the name says the module is missing, not that the code is wrong
   * (checkFailures.ts).
   */
  noneWhenMissing?: boolean;
  /**
   * A Python top-level import, which runs whenever the definitions do: where the run failed to load none of its
   * modules, they loaded without the name it imports (`from json import lods`), the code's mistake (checkFailures.ts).
   */
  unconditional?: boolean;
}

/**
 * Per name a Python import binds, the module it loads: `import numpy as np` → np: numpy, `import os.path` → os: os.path,
 * `from pkg.util import clamp` → clamp: pkg.util (or pkg.util.clamp), `from . import util` → util: .util (a relative
 * module, written so).
 */
export function pythonImportSources(statement: SyntaxNode): Map<string, ImportSource> {
  const sources = new Map<string, ImportSource>();
  if (statement.type === 'import_statement') {
    for (const child of namedChildren(statement)) {
      if (child.type === 'aliased_import') {
        const alias = child.childForFieldName('alias')?.text;
        if (alias) sources.set(alias, { module: child.childForFieldName('name')?.text ?? alias });
      } else if (child.type === 'dotted_name') {
        const head = namedChildren(child)[0]?.text;
        if (head) sources.set(head, { module: child.text });
      }
    }
    return sources;
  }
  const from = statement.childForFieldName('module_name')?.text ?? '';
  for (const name of pythonImportBindings(statement)) {
    if (name === '') continue;
    // `from . import util` loads the package's module (or name) `util`: `.util` says which; `from .a import b` says `.a`.
    // A relative import never loads in the sandbox (the candidate is in no package): the run tells nothing of it.
    if (from.startsWith('.')) sources.set(name, { module: /^\.+$/.test(from) ? `${from}${importedName(statement, name)}` : from });
    else sources.set(name, { module: from, submodule: `${from}.${importedName(statement, name)}` });
  }
  return sources;
}

/** The name as imported (`x` of `from m import x as y`), for a binding `y`. */
function importedName(statement: SyntaxNode, binding: string): string {
  const module = statement.childForFieldName('module_name');
  for (const child of namedChildren(statement)) {
    if (child.id === module?.id) continue;
    if (child.type === 'aliased_import' && child.childForFieldName('alias')?.text === binding) return child.childForFieldName('name')?.text ?? binding;
  }
  return binding;
}

/**
 * The modules a script statement loads as it runs: an import's source, each `require('...')` or `import('...')` in a
 * declaration's value (undefined for one that is not a string literal). A function's or class's own `require` runs
 * only when called.
 */
export function scriptLoadedModules(statement: SyntaxNode): (string | undefined)[] {
  const specifier = (node: SyntaxNode | null | undefined) => (node?.type === 'string' ? node.text.slice(1, -1) : undefined);
  if (statement.type === 'import_statement') return [specifier(statement.childForFieldName('source'))];
  if (statement.type !== 'lexical_declaration' && statement.type !== 'variable_declaration') return [];
  return runningNodes(statement, 'call_expression')
    .filter((call) => ['require', 'import'].includes(call.childForFieldName('function')?.text ?? ''))
    .map((call) => specifier(call.childForFieldName('arguments')?.namedChildren[0]));
}
