// The context engine's `locus/*` messages: `locus/compress` (what the prompt for a cursor holds before and after
// compression) and `locus/explain` (a streamed explanation of a selection). Types only; merged into
// protocol.ts by the lead, so server, client and CLI share them.
import { NotificationType, RequestType, type Position, type Range, type TextDocumentIdentifier } from 'vscode-languageserver-protocol';

export interface CompressParams {
  textDocument: TextDocumentIdentifier;
  position: Position;
  /** Prompt token budget after compression; the server's `completion.promptTokenBudget` when absent. */
  budget?: number;
}

/** One part of a prompt, in prompt order. */
export interface PromptPartView {
  kind: 'snippet' | 'path' | 'suffix' | 'prefix';
  /** Workspace-relative path of a snippet (or of the current file for `path`). */
  path?: string;
  /** One-based first line of a snippet in its file. */
  line?: number;
  text: string;
  tokens: number;
}

export interface PromptView {
  tokens: number;
  parts: PromptPartView[];
}

/** A retrieved chunk and why it ranked where it did. */
export interface RetrievedView {
  path: string;
  /** One-based, inclusive. */
  startLine: number;
  endLine: number;
  score: number;
  /** BM25 relative to the best candidate, 0..1. */
  lexical: number;
  /** Jaccard similarity with the lines around the cursor, 0..1. */
  similarity: number;
  /** It declares a name used on the lines just before the cursor. */
  declaresNearbyName: boolean;
  /** The current file imports the chunk's file; `receiver`: under the name right before the cursor's dot. */
  imported: 'no' | 'yes' | 'receiver';
  /** More than 1 for open or recently edited files. */
  fileWeight: number;
}

export interface DroppedLineView {
  /** `path:line` of a snippet or `prefix:line` of the current file (one-based start of the scored block). */
  section: string;
  /** Zero-based line within the section. */
  line: number;
  text: string;
  /** Self-information in nats. */
  information: number;
  tokens: number;
}

export interface CompressResult {
  budget: number;
  /** How lines were scored: the draft model's log-probabilities, or token statistics from the index. */
  scorer: 'draft-model' | 'unigram';
  /** Uncompressed: every retrieved snippet whole, with the current file's window. */
  before: PromptView;
  after: PromptView;
  retrieved: RetrievedView[];
  dropped: DroppedLineView[];
  /** Files and chunks in the workspace index, and whether its first build is still running. */
  index: { files: number; chunks: number; building: boolean };
  timings: { retrievalMs: number; compressionMs: number };
  /** All of the above as plain text, for clients that only need to show it. */
  report: string;
}

/**
 * The prompt the cursor would get, before and after selective-context compression (client → server).
 * - method: `locus/compress`
 * - params: {@link CompressParams}
 * - result: {@link CompressResult}
 */
export namespace CompressRequest {
  export const method = 'locus/compress';
  export const type = new RequestType<CompressParams, CompressResult, void>(method);
}

export interface ExplainParams {
  textDocument: TextDocumentIdentifier;
  range: Range;
  /** Chosen by the client; every {@link ExplainChunkNotification} of this request carries it. */
  streamId: string;
}

export interface ExplainResult {
  /** `chat`: the model's chat template; `docComment`: a completion of a doc comment above the selection. */
  mode: 'chat' | 'docComment';
  /** The whole explanation (what the chunks added up to). */
  text: string;
  stopReason: 'eos' | 'stop' | 'length' | 'aborted';
  promptTokens: number;
  generatedTokens: number;
  totalMs: number;
}

/**
 * Explain the selected code (client → server). Text streams as {@link ExplainChunkNotification}s; the
 * response comes when generation ends. Cancelling the request stops generation.
 * - method: `locus/explain`
 * - params: {@link ExplainParams}
 * - result: {@link ExplainResult}
 */
export namespace ExplainRequest {
  export const method = 'locus/explain';
  export const type = new RequestType<ExplainParams, ExplainResult, void>(method);
}

export interface ExplainChunk {
  streamId: string;
  /** Newly generated text. */
  delta: string;
}

/**
 * A piece of an explanation (server → client), in order.
 * - method: `locus/explainChunk`
 * - params: {@link ExplainChunk}
 */
export namespace ExplainChunkNotification {
  export const method = 'locus/explainChunk';
  export const type = new NotificationType<ExplainChunk>(method);
}
