// Which names a piece of code reads from the scope around it (its free names), and which names a binding pattern
// binds, on tree-sitter's Python and JavaScript/TypeScript trees. Scopes are flattened: a name bound anywhere inside
// the code (a parameter, a local, a loop variable, a nested function) counts as its own throughout, the way
// Python's function scope works; JavaScript's block scopes are approximated the same way. The approximation errs
// towards missing a module-level name that a nested scope also binds, never towards running an unneeded definition.
import type { Node as SyntaxNode } from '@vscode/tree-sitter-wasm';
import type { CandidateLanguage } from './sandboxRuntimes';
import type { TimeSlices } from '../timeSlices';

function namedChildren(node: SyntaxNode): SyntaxNode[] {
  return node.namedChildren.filter((child): child is SyntaxNode => child !== null);
}

function isField(node: SyntaxNode, field: string): boolean {
  return node.parent?.childForFieldName(field)?.id === node.id;
}

/** Names a Python assignment target, loop variable or `as` target binds (attributes and subscripts bind none). */
function pythonPatternNames(node: SyntaxNode): string[] {
  if (node.type === 'identifier') return [node.text];
  if (['pattern_list', 'tuple_pattern', 'list_pattern', 'tuple', 'list', 'list_splat_pattern', 'parenthesized_expression', 'as_pattern_target'].includes(node.type)) {
    return namedChildren(node).flatMap(pythonPatternNames);
  }
  return [];
}

/** Names a JavaScript declarator, parameter or catch binding binds, through destructuring and defaults. */
function scriptPatternNames(node: SyntaxNode): string[] {
  switch (node.type) {
    case 'identifier':
    case 'shorthand_property_identifier_pattern':
      return [node.text];
    case 'object_pattern':
    case 'array_pattern':
    case 'rest_pattern':
    case 'formal_parameters':
      return namedChildren(node).flatMap(scriptPatternNames);
    case 'pair_pattern':
      return scriptPatternNames(node.childForFieldName('value') ?? node);
    case 'assignment_pattern':
    case 'object_assignment_pattern':
      return scriptPatternNames(node.childForFieldName('left') ?? node);
    case 'required_parameter':
    case 'optional_parameter':
      return scriptPatternNames(node.childForFieldName('pattern') ?? node);
    default:
      return [];
  }
}

/** Names this node binds in the scope it sits in (Python). */
function pythonBindings(node: SyntaxNode): string[] {
  switch (node.type) {
    case 'function_definition':
    case 'class_definition':
      return [node.childForFieldName('name')?.text ?? ''];
    case 'parameters':
    case 'lambda_parameters':
      return namedChildren(node).flatMap((parameter) => {
        if (parameter.type === 'identifier') return [parameter.text];
        const name = parameter.childForFieldName('name') ?? namedChildren(parameter).find((child) => child.type === 'identifier');
        return name ? [name.text] : [];
      });
    case 'assignment':
    case 'augmented_assignment':
    case 'for_statement':
    case 'for_in_clause':
      return pythonPatternNames(node.childForFieldName('left') ?? node);
    case 'as_pattern_target':
      return pythonPatternNames(node);
    case 'named_expression':
      return [node.childForFieldName('name')?.text ?? ''];
    default:
      return pythonImportBindings(node);
  }
}

/** What an import binds: `import a.b` binds `a`, `from m import x as y` binds `y`; a wildcard binds nothing known. */
export function pythonImportBindings(node: SyntaxNode): string[] {
  if (node.type !== 'import_statement' && node.type !== 'import_from_statement') return [];
  const module = node.childForFieldName('module_name');
  return namedChildren(node)
    .filter((child) => child.id !== module?.id)
    .flatMap((child) => {
      if (child.type === 'aliased_import') return [child.childForFieldName('alias')?.text ?? ''];
      if (child.type !== 'dotted_name') return [];
      const parts = namedChildren(child);
      return [(node.type === 'import_statement' ? parts[0] : parts[parts.length - 1])?.text ?? ''];
    });
}

/** Names this node binds in the scope it sits in (JavaScript/TypeScript). */
function scriptBindings(node: SyntaxNode): string[] {
  switch (node.type) {
    case 'function_declaration':
    case 'generator_function_declaration':
    case 'function_expression':
    case 'generator_function':
    case 'class_declaration':
    case 'abstract_class_declaration':
    case 'class':
    case 'enum_declaration': {
      const name = node.childForFieldName('name');
      return name ? [name.text] : [];
    }
    case 'variable_declarator':
      return scriptPatternNames(node.childForFieldName('name') ?? node);
    case 'formal_parameters':
      return scriptPatternNames(node);
    case 'arrow_function': {
      const parameter = node.childForFieldName('parameter');
      return parameter ? [parameter.text] : [];
    }
    case 'catch_clause':
    case 'for_in_statement': {
      const bound = node.childForFieldName(node.type === 'catch_clause' ? 'parameter' : 'left');
      return bound ? scriptPatternNames(bound) : [];
    }
    default:
      return [];
  }
}

/** Whether an identifier node reads a name (Python): not an attribute after a dot, a keyword argument's name or an import path. */
function pythonReads(node: SyntaxNode): boolean {
  if (node.type !== 'identifier') return false;
  const parent = node.parent;
  if (parent?.type === 'attribute' && isField(node, 'attribute')) return false;
  if (parent?.type === 'keyword_argument' && isField(node, 'name')) return false;
  return parent?.type !== 'dotted_name';
}

/** Whether a node reads a name (JavaScript/TypeScript): property names, labels and types have node types of their own. */
function scriptReads(node: SyntaxNode): boolean {
  return node.type === 'identifier' || node.type === 'shorthand_property_identifier';
}

/** Names an assignment target or declarator pattern binds. */
export function bindingNames(pattern: SyntaxNode, language: CandidateLanguage): string[] {
  return language === 'python' ? pythonPatternNames(pattern) : scriptPatternNames(pattern);
}

/**
 * Names `node` reads but does not bind itself: what it needs from the module around it. Python's `global x` makes
 * an assignment to x inside the code a module-level one, so x stays free. Walked in `slices`: a module-level
 * definition may be a class of thousands of lines.
 */
export async function freeNames(node: SyntaxNode, language: CandidateLanguage, slices: TimeSlices): Promise<Set<string>> {
  const reads = language === 'python' ? pythonReads : scriptReads;
  const bindings = language === 'python' ? pythonBindings : scriptBindings;
  const read = new Set<string>();
  const bound = new Set<string>();
  const global = new Set<string>();
  // A cursor, not `namedChildren`: a node keeps the children it was asked for, and module-level definitions live as
  // long as the file's scope, so their whole subtrees stayed on the heap (156,000 nodes for a 627 KiB file of 12,000 statements) and each
  // young-generation GC, promoting them, held the thread for 20-60 ms.
  const cursor = node.walk();
  let depth = 0;
  try {
    for (;;) {
      if (slices.spent) await slices.breathe();
      if (cursor.nodeIsNamed) {
        const current = cursor.currentNode;
        if (reads(current)) read.add(current.text);
        for (const name of bindings(current)) bound.add(name);
        if (current.type === 'global_statement') for (const name of namedChildren(current)) global.add(name.text);
      }
      if (cursor.gotoFirstChild()) {
        depth++;
        continue;
      }
      while (depth > 0 && !cursor.gotoNextSibling()) {
        cursor.gotoParent();
        depth--;
      }
      if (depth === 0) break;
    }
  } finally {
    cursor.delete();
  }
  return new Set([...read].filter((name) => !bound.has(name) || global.has(name)));
}
