// Reads, with tree-sitter, the module-level definitions each candidate function needs from the file it is written in
// (moduleDefinitions.ts decides which). The file is parsed once: outside the function's body it is the same for every
// candidate; each candidate's own function is parsed for the names it reads.
import { Parser } from '@vscode/tree-sitter-wasm';
import { freeNames } from './freeNames';
import { candidateLanguage } from './functionTarget';
import { moduleScope, neededDefinitions, NO_MODULE_CONTEXT, type ModuleContext } from './moduleDefinitions';
import type { CandidateLanguage } from './sandboxRuntimes';
import { parseInSlices } from '../slicedParse';
import { TimeSlices } from '../timeSlices';
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
  /**
   * The expressions the checks evaluate next to the function (`area(Rect(2, 3))`): the names they read are needed
   * as the function's own are, though its body may never read them.
   */
  checkSources?: string[];
}

export interface ModuleContextWork {
  /** Awaited between slices, after a turn of the event loop (completions being answered go first). */
  pause?: () => Promise<void>;
  /** Stops the work at the next slice: no context then. */
  signal?: AbortSignal;
  grammarDir?: string;
}

/**
 * Per source, what runs around it; no context at all where the grammar cannot load or the file has no such function.
 * The file is parsed and read in slices (timeSlices.ts): in one go a 627 KiB file held the server's thread for 0.4-1.2 s.
 */
export async function moduleContexts(request: ModuleContextRequest, work: ModuleContextWork = {}): Promise<ModuleContext[]> {
  const none = request.sources.map(() => NO_MODULE_CONTEXT);
  const grammarName = GRAMMARS[request.languageId];
  const language = candidateLanguage(request.languageId);
  const grammar = grammarName === undefined ? undefined : await loadGrammar(grammarName, work.grammarDir);
  if (grammar === undefined || language === null || work.signal?.aborted) return none;
  const slices = new TimeSlices(async () => {
    await work.pause?.();
    work.signal?.throwIfAborted();
  });
  // A parser of its own: a parse halted between slices resumes only if no other starts on its parser meanwhile.
  const parser = new Parser();
  try {
    parser.setLanguage(grammar);
    const file = await parseInSlices(parser, request.text, slices);
    if (file === null) return none;
    try {
      const row = rowAt(request.text, request.offset);
      const scope = await moduleScope(file.rootNode, row, request.functionName, language, slices);
      if (scope === null) return none;
      const checkReads = new Set<string>();
      for (const source of request.checkSources ?? []) for (const name of (await functionReads(parser, source, language, slices)) ?? []) checkReads.add(name);
      const contexts: ModuleContext[] = [];
      for (const source of request.sources) {
        const reads = await functionReads(parser, source, language, slices);
        contexts.push(reads === null ? NO_MODULE_CONTEXT : await neededDefinitions(scope, [...reads, ...checkReads], slices));
      }
      return contexts;
    } finally {
      file.delete();
    }
  } catch (error) {
    if (work.signal?.aborted) return none;
    throw error;
  } finally {
    parser.delete();
  }
}

/** The names `source` (a function, or an expression) reads from around it; null when it does not parse. */
async function functionReads(parser: Parser, source: string, language: CandidateLanguage, slices: TimeSlices): Promise<Set<string> | null> {
  const tree = await parseInSlices(parser, source, slices);
  if (tree === null) return null;
  try {
    return await freeNames(tree.rootNode, language, slices);
  } finally {
    tree.delete();
  }
}

/** The 0-based line of `offset`, counted without splitting the file into lines. */
function rowAt(text: string, offset: number): number {
  let row = 0;
  for (let end = text.indexOf('\n'); end !== -1 && end < offset; end = text.indexOf('\n', end + 1)) row++;
  return row;
}
