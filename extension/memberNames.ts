// Answers the server's `locus/memberNames`: VS Code's own completion list at a member access (TypeScript, Pylance
// or whichever language extension is installed), which knows the receiver's type. The server keeps the members.
import * as vscode from 'vscode';
import type { LanguageClient, StaticFeature } from 'vscode-languageclient/node';
import { MemberNamesRequest, type MemberNamesParams, type MemberNamesResult } from '../lsp-server/protocol';

/** Declares the capability and answers the request. */
export class MemberNamesFeature implements StaticFeature {
  constructor(
    private readonly client: LanguageClient,
    private readonly output: vscode.LogOutputChannel,
  ) {}

  fillClientCapabilities(capabilities: { experimental?: unknown }): void {
    capabilities.experimental = { ...(capabilities.experimental as object | undefined), [MemberNamesRequest.capability]: true };
  }

  initialize(): void {
    this.client.onRequest(MemberNamesRequest.type, async (params, token) => {
      try {
        return await completionListAt(params, token);
      } catch (error) {
        this.output.warn(`Member names: the editor's completion list failed: ${error instanceof Error ? error.message : String(error)}`);
        return null;
      }
    });
  }

  getState(): { kind: 'static' } {
    return { kind: 'static' };
  }

  clear(): void {}
}

async function completionListAt(params: MemberNamesParams, token: vscode.CancellationToken): Promise<MemberNamesResult> {
  const uri = vscode.Uri.parse(params.textDocument.uri);
  const position = new vscode.Position(params.position.line, params.position.character);
  // Right after the dot, as if it had just been typed: some providers list members only for their trigger character.
  const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  const dot = position.character > 0 && document?.getText(new vscode.Range(position.translate(0, -1), position)) === '.';
  const list = await vscode.commands.executeCommand<vscode.CompletionList | undefined>('vscode.executeCompletionItemProvider', uri, position, dot ? '.' : undefined);
  // A list this long is everything in scope: the server would not use it.
  if (token.isCancellationRequested || list === undefined || list.items.length > MemberNamesRequest.maxEntries) return null;
  return {
    entries: list.items.map((item) => ({
      name: typeof item.label === 'string' ? item.label : item.label.label,
      // vscode.CompletionItemKind counts from 0, LSP's from 1.
      kind: item.kind === undefined ? undefined : item.kind + 1,
    })),
  };
}
