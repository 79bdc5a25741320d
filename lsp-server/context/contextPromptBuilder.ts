// Retrieval plus assembly for one cursor: the completion prompt (retrieved snippets, compressed to the budget),
// and the uncompressed prompt `locus/compress` compares it with.
import type { ContextEngine } from './contextEngine';
import { DEFAULT_PROMPT_OPTIONS, type AssembledPrompt, type PromptAssembler } from './promptAssembler';
import { relevantSnippets, type RetrievedSnippet } from './retriever';
import type { SelectiveContext } from './selectiveContext';

/** Candidates retrieved per cursor; the relevant ones among them go to the prompt, thinned by compression to fit. */
export const COMPRESSION_CANDIDATES = 6;

export interface CursorText {
  /** Absolute path, or undefined for an untitled buffer. */
  file: string | undefined;
  /** What the prompt shows before the cursor: the typed text less the token healing cut (tokenHealing.ts). */
  prefix: string;
  /** The text before the cursor as typed, retrieval's query; `prefix` when absent. */
  typedPrefix?: string;
  suffix: string;
}

export interface ContextPrompt extends AssembledPrompt {
  snippets: RetrievedSnippet[];
  retrievalMs: number;
  assemblyMs: number;
}

/** What a completion sends, with what its latency record keeps of how it was made. */
export interface CompletionPrompt {
  ids: number[];
  /** Tokens before compression: `ids.length` and those of the lines compression dropped. */
  uncompressedTokens: number;
  retrievalMs: number;
  /** Assembly with compression, as `locus/compress` reports it; null where the prompt was assembled without compression. */
  compressionMs: number | null;
}

export function completionPromptOf(prompt: ContextPrompt): CompletionPrompt {
  return {
    ids: prompt.ids,
    uncompressedTokens: prompt.dropped.reduce((sum, line) => sum + line.tokens, prompt.ids.length),
    retrievalMs: prompt.retrievalMs,
    compressionMs: prompt.compression === undefined ? null : prompt.assemblyMs,
  };
}

export class ContextPromptBuilder {
  constructor(
    private readonly engine: ContextEngine,
    private readonly assembler: PromptAssembler,
    private readonly selective: SelectiveContext | undefined,
  ) {}

  get scorerName(): 'draft-model' | 'unigram' {
    return this.selective?.scorer.name ?? 'unigram';
  }

  /**
   * The prompt a completion sends: retrieval, then compression to `budget` (when a scorer is configured).
   * `waitForScores`: compress with the main scorer's scores even when they must be computed first.
   */
  build(cursor: CursorText, budget: number, signal?: AbortSignal, waitForScores = false): Promise<ContextPrompt> {
    return this.run(cursor, budget, this.selective, signal, waitForScores);
  }

  /** Same retrieval, no compression: every candidate whole, within `budget`. */
  buildUncompressed(cursor: CursorText, budget: number, signal?: AbortSignal): Promise<ContextPrompt> {
    return this.run(cursor, budget, undefined, signal);
  }

  private async run(cursor: CursorText, budget: number, selective: SelectiveContext | undefined, signal?: AbortSignal, waitForScores = true): Promise<ContextPrompt> {
    const started = performance.now();
    const snippets = this.assembler.supportsContext ? relevantSnippets(this.engine.retrieve(cursor.file, cursor.typedPrefix ?? cursor.prefix, cursor.suffix, COMPRESSION_CANDIDATES)) : [];
    const retrieved = performance.now();
    const prompt = await this.assembler.assemble(
      { currentPath: cursor.file === undefined ? undefined : this.engine.displayPath(cursor.file), prefix: cursor.prefix, suffix: cursor.suffix, snippets },
      { ...DEFAULT_PROMPT_OPTIONS, budget, compression: selective, waitForScores },
      signal,
    );
    return { ...prompt, snippets, retrievalMs: retrieved - started, assemblyMs: performance.now() - retrieved };
  }
}
