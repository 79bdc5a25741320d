// The unit the workspace index stores and retrieval returns: a run of whole lines of one file.

export type ChunkKind = 'syntax' | 'lines' | 'outline';

export interface CodeChunk {
  /** Workspace-relative path with forward slashes (what the prompt shows). */
  path: string;
  /** Zero-based, inclusive. */
  startLine: number;
  /** Zero-based, exclusive. */
  endLine: number;
  text: string;
  /** `syntax`: declaration boundaries from tree-sitter; `lines`: fixed line windows; `outline`: a module's declaration lines. */
  kind: ChunkKind;
  /** Names this chunk declares (functions, classes, methods, variables), from the syntax tree. */
  symbols: string[];
}
