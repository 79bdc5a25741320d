// Whether two LSP positions are the same place: they are plain objects, so `===` compares identities.
import type { Position } from 'vscode-languageserver-protocol';

export function samePosition(a: Position, b: Position): boolean {
  return a.line === b.line && a.character === b.character;
}
