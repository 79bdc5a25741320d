// The editor's member list, without an editor: TypeScript's language service over the fixture workspace (JavaScript
// with allowJs, as VS Code's TypeScript extension reads a folder without a tsconfig), asked at the member's start as
// the extension asks `vscode.executeCompletionItemProvider`, its entry kinds mapped to LSP kinds the way the
// TypeScript extension maps them. What the server then keeps is lsp-server/context/editorMemberNames.ts's job.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import type { Position } from 'vscode-languageserver-protocol';
import type { EditorCompletionEntry } from '../../lsp-server/protocol';

/** ScriptElementKind → LSP CompletionItemKind, after typescript-language-features' `convertKind`; others are Property (10). */
const KIND: Record<string, number> = {
  'primitive type': 14,
  keyword: 14,
  const: 21,
  let: 6,
  var: 6,
  'local var': 6,
  alias: 6,
  parameter: 6,
  property: 5,
  getter: 5,
  setter: 5,
  function: 3,
  'local function': 3,
  method: 2,
  construct: 2,
  call: 2,
  index: 2,
  enum: 13,
  'enum member': 20,
  module: 9,
  'external module name': 9,
  class: 7,
  type: 7,
  interface: 8,
  warning: 1,
  script: 17,
  directory: 19,
  string: 21,
};

export class TsMemberLists {
  private readonly service: ts.LanguageService;
  private readonly overrides = new Map<string, { text: string; version: number }>();

  constructor(private readonly root: string, files: readonly string[]) {
    const options: ts.CompilerOptions = { allowJs: true, checkJs: false, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10 };
    const names = files.map((f) => join(root, f));
    const host: ts.LanguageServiceHost = {
      getScriptFileNames: () => names,
      getScriptVersion: (file) => String(this.overrides.get(file)?.version ?? 0),
      getScriptSnapshot: (file) => {
        const text = this.overrides.get(file)?.text ?? (ts.sys.fileExists(file) ? readFileSync(file, 'utf8') : undefined);
        return text === undefined ? undefined : ts.ScriptSnapshot.fromString(text);
      },
      getCurrentDirectory: () => root,
      getCompilationSettings: () => options,
      getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
      fileExists: ts.sys.fileExists,
      readFile: ts.sys.readFile,
      readDirectory: ts.sys.readDirectory,
      directoryExists: ts.sys.directoryExists,
      getDirectories: ts.sys.getDirectories,
    };
    this.service = ts.createLanguageService(host, ts.createDocumentRegistry());
  }

  /** The list at `position` of `path` (workspace-relative) when the file reads `text`, as the editor would have it. */
  entriesAt(path: string, text: string, position: Position): EditorCompletionEntry[] | null {
    const file = join(this.root, path);
    let offset = 0;
    for (let line = 0; line < position.line; line++) offset = text.indexOf('\n', offset) + 1;
    offset += position.character;
    const previous = this.overrides.get(file);
    this.overrides.set(file, { text, version: (previous?.version ?? 0) + 1 });
    const dot = text[offset - 1] === '.';
    const list = this.service.getCompletionsAtPosition(file, offset, { triggerCharacter: dot ? '.' : undefined, includeCompletionsWithInsertText: true });
    if (list === undefined) return null;
    return list.entries.map((entry) => ({ name: entry.name, kind: KIND[entry.kind] ?? 10 }));
  }
}
