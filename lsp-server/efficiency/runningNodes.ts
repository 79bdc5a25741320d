// The parts of a script statement that run when the statement runs: not the bodies of the functions and classes it
// declares, which run only when called (`yaml: async (t) => (await import('yaml')).parse(t)` loads nothing yet).
import type { Node as SyntaxNode } from '@vscode/tree-sitter-wasm';

const FUNCTION_SCOPES = new Set(['function_declaration', 'generator_function_declaration', 'function_expression', 'generator_function', 'arrow_function', 'method_definition', 'class_declaration', 'class']);

/** The nodes of `type` in `node` that run with it: not inside a function or class. */
export function runningNodes(node: SyntaxNode, type: string): SyntaxNode[] {
  if (FUNCTION_SCOPES.has(node.type)) return [];
  const children = node.namedChildren.filter((child): child is SyntaxNode => child !== null);
  return [...(node.type === type ? [node] : []), ...children.flatMap((child) => runningNodes(child, type))];
}
