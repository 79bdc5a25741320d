// The tree-sitter runtime (WASM, from @vscode/tree-sitter-wasm) and its grammars, loaded once per process for every
// reader of syntax trees (the workspace index's chunker, the efficiency checks). Once: Parser.init replaces the WASM
// module, which would leave the parsers and grammars made from the previous one pointing into a module that is gone.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { Language, Parser } from '@vscode/tree-sitter-wasm';

/** The grammar folder: next to the bundle when it ships one (`dist/tree-sitter/`), else the npm package's. */
export function defaultGrammarDir(): string {
  const candidates = [
    path.join(__dirname, 'tree-sitter'),
    path.join(__dirname, '..', 'node_modules', '@vscode', 'tree-sitter-wasm', 'wasm'),
    path.join(__dirname, '..', '..', 'node_modules', '@vscode', 'tree-sitter-wasm', 'wasm'),
  ];
  return candidates.find((dir) => existsSync(path.join(dir, 'tree-sitter.wasm'))) ?? candidates[0]!;
}

let runtime: Promise<void> | undefined;
const grammars = new Map<string, Promise<Language | undefined>>();

/** Loads the runtime from `grammarDir` on the first call; later calls share it, whatever folder they name. */
export function initTreeSitter(grammarDir = defaultGrammarDir()): Promise<void> {
  runtime ??= Parser.init({ locateFile: (file: string) => path.join(grammarDir, file) });
  return runtime;
}

/** The grammar `tree-sitter-<name>.wasm` of `grammarDir`, loaded once; undefined when it cannot load. */
export function loadGrammar(name: string, grammarDir = defaultGrammarDir()): Promise<Language | undefined> {
  const file = path.join(grammarDir, `tree-sitter-${name}.wasm`);
  let loaded = grammars.get(file);
  if (loaded === undefined) {
    loaded = initTreeSitter(grammarDir).then(() => Language.load(file)).catch(() => undefined);
    grammars.set(file, loaded);
  }
  return loaded;
}
