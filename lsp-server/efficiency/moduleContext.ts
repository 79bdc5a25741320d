// Reads, with tree-sitter, the module-level definitions each candidate function needs from the file it is written in
// (moduleDefinitions.ts decides which). The file is parsed once: outside the function's body it is the same for every
// candidate; each candidate's own function is parsed for the names it reads.
import { Parser } from '@vscode/tree-sitter-wasm';
import { freeNames } from './freeNames';
import { candidateLanguage } from './functionTarget';
import { moduleScope, neededDefinitions, NO_MODULE_CONTEXT, type ModuleContext } from './moduleDefinitions';
import type { CandidateLanguage } from './sandboxRuntimes';
import { loadGrammar } from '../treeSitterRuntime';

const GRAMMARS: Record<string, string> = {
  python: 'python',
  javascript: 'javascript',
  javascriptreact: 'javascript',
  typescript: 'typescript',
  typescriptreact: 'tsx',
};

export interface ModuleContextRequest {
  /** The file with a completion in place (any candidate's: they differ only inside the function's body). */
  text: string;
  /** Where the completion starts in `text`, inside the function's body. */
  offset: number;
  functionName: string;
  languageId: string;
  /** Each candidate's whole function. */
  sources: string[];
}

/** Per source, what runs around it; no context at all where the grammar cannot load or the file has no such function. */
export async function moduleContexts(request: ModuleContextRequest, grammarDir?: string): Promise<ModuleContext[]> {
  const none = request.sources.map(() => NO_MODULE_CONTEXT);
  const grammarName = GRAMMARS[request.languageId];
  const language = candidateLanguage(request.languageId);
  const grammar = grammarName === undefined ? undefined : await loadGrammar(grammarName, grammarDir);
  if (grammar === undefined || language === null) return none;
  const parser = new Parser();
  try {
    parser.setLanguage(grammar);
    const file = parser.parse(request.text);
    if (file === null) return none;
    try {
      const row = request.text.slice(0, request.offset).split('\n').length - 1;
      const scope = moduleScope(file.rootNode, row, request.functionName, language);
      if (scope === null) return none;
      return request.sources.map((source) => {
        const reads = functionReads(parser, source, language);
        return reads === null ? NO_MODULE_CONTEXT : neededDefinitions(scope, reads);
      });
    } finally {
      file.delete();
    }
  } finally {
    parser.delete();
  }
}

function functionReads(parser: Parser, source: string, language: CandidateLanguage): Set<string> | null {
  const tree = parser.parse(source);
  if (tree === null) return null;
  try {
    return freeNames(tree.rootNode, language);
  } finally {
    tree.delete();
  }
}
