// Answers the server's `locus/memberNames`: VS Code's own completion list at a member access (TypeScript, Pylance
// or whichever language extension is installed), which knows the receiver's type. The server keeps the members.
import * as vscode from 'vscode';
import type { LanguageClient, StaticFeature } from 'vscode-languageclient/node';
import { MemberNamesRequest, type EditorCompletionEntry, type MemberNamesParams } from '../lsp-server/protocol';

/** A member list longer than this is not one type's members; the server would drop it anyway. */
const MAX_ENTRIES = 2000;

/** Declares the capability and answers the request. */
export class MemberNamesFeature implements StaticFeature {
  constructor(private readonly client: LanguageClient) {}

  fillClientCapabilities(capabilities: { experimental?: unknown }): void {
    capabilities.experimental = { ...(capabilities.experimental as object | undefined), [MemberNamesRequest.capability]: true };
  }

  initialize(): void {
    this.client.onRequest(MemberNamesRequest.type, (params, token) => memberEntries(params, token));
  }

  getState(): { kind: 'static' } {
    return { kind: 'static' };
  }

  clear(): void {}
}

async function memberEntries(params: MemberNamesParams, token: vscode.CancellationToken): Promise<{ entries: EditorCompletionEntry[] } | null> {
  const uri = vscode.Uri.parse(params.textDocument.uri);
  const position = new vscode.Position(params.position.line, params.position.character);
  // Right after the dot, as if it had just been typed: some providers list members only for their trigger character.
  const before = position.character > 0 ? new vscode.Range(position.translate(0, -1), position) : undefined;
  const dot = before !== undefined && vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString())?.getText(before) === '.';
  const list = await vscode.commands.executeCommand<vscode.CompletionList | undefined>('vscode.executeCompletionItemProvider', uri, position, dot ? '.' : undefined);
  if (token.isCancellationRequested || list === undefined) return null;
  return {
    entries: list.items.slice(0, MAX_ENTRIES).map((item) => ({
      name: typeof item.label === 'string' ? item.label : item.label.label,
      // vscode.CompletionItemKind counts from 0, LSP's from 1.
      kind: item.kind === undefined ? undefined : item.kind + 1,
    })),
  };
}
