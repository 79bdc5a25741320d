// Builds the completion prompt in the repository format the models are trained with:
//   [<|file_sep|> path "\n" snippet "\n"]*  [<|file_sep|> path "\n"]  <|fim_suffix|> suffix <|fim_prefix|> prefix <|fim_middle|>
// with every text piece tokenized separately, inside one token budget. Without compression, retrieved snippets
// are packed whole (best first) into their share of the budget; with compression, they keep their most informative
// lines (self-information) within that share. The current file fills the rest, cut around the cursor as in the plain
// FIM prompt.
import { buildFimPrompt, fimTokenIds, type FimTokenIds, type PromptTokenizer } from '../fimPrompt';
import type { RetrievedSnippet } from './retriever';
import { isStructuralLine, type CompressibleSection, type DroppedLine, type SelectiveContext, type TokenScorer } from './selectiveContext';

export const FILE_SEPARATOR = '<|file_sep|>';

/** `runtime`'s TextTokenizer satisfies it; decoding shows the kept prefix and suffix in `locus/compress`. */
export interface ContextTokenizer extends PromptTokenizer {
  decode(ids: readonly number[]): string;
  /** Ids of a chat template's own text, whose special-token spellings are control tokens (TextTokenizer.encodeMarkup). */
  encodeMarkup(text: string): number[];
}

export interface PromptRequest {
  /** Path shown for the current file (workspace-relative), or undefined when unknown. */
  currentPath: string | undefined;
  prefix: string;
  suffix: string;
  /** Retrieved snippets from other files, best first. */
  snippets: readonly RetrievedSnippet[];
}

export interface PromptOptions {
  /** Every prompt token, special tokens included. */
  budget: number;
  /** Least share of the budget snippets may take (more when the file is short). */
  contextShare: number;
  compression?: SelectiveContext;
  /** Wait for the main scorer (the `locus/compress` view) rather than compress with the fallback's scores. */
  waitForScores?: boolean;
}

export const DEFAULT_PROMPT_OPTIONS: Omit<PromptOptions, 'budget'> = {
  // Code from other files helps where it holds what the cursor needs and otherwise costs the file's own lines: at
  // 0.4 of the budget, held-out single-line exact match fell from 17.4% (no workspace) to 14.1%; relevant
  // snippets only (retriever.ts) at 0.2 keep 16.7% (bench/results/model-eval-*-workspace-*).
  contextShare: 0.2,
};

export interface PromptPiece {
  kind: 'snippet' | 'path' | 'suffix' | 'prefix';
  path?: string;
  /** First line of a snippet (zero-based) in its file. */
  startLine?: number;
  text: string;
  /** Tokens including the piece's special token. */
  tokens: number;
}

export interface AssembledPrompt {
  ids: number[];
  /** In prompt order. */
  pieces: PromptPiece[];
  snippetTokens: number;
  /** Lines compression removed (empty without compression). */
  dropped: DroppedLine[];
  /** Tokens of the compressible part before and after compression. */
  compression?: { scorer: TokenScorer['name']; tokensBefore: number; tokensAfter: number };
}

/** Snippets cut to fit keep at least this many lines, or are left out. */
const MIN_SNIPPET_LINES = 3;

export class PromptAssembler {
  private readonly fim: FimTokenIds | null;
  private readonly fileSeparator: number | undefined;

  constructor(private readonly tokenizer: ContextTokenizer) {
    this.fim = fimTokenIds(tokenizer);
    this.fileSeparator = tokenizer.specialTokenId(FILE_SEPARATOR);
  }

  /** Whether retrieved context can be sent at all (the tokenizer has `<|file_sep|>` and FIM tokens). */
  get supportsContext(): boolean {
    return this.fim !== null && this.fileSeparator !== undefined;
  }

  async assemble(request: PromptRequest, options: PromptOptions, signal?: AbortSignal): Promise<AssembledPrompt> {
    if (this.fim === null || this.fileSeparator === undefined) {
      const local = buildFimPrompt(this.tokenizer, this.fim, request.prefix, request.suffix, Math.max(0, options.budget - 3));
      return { ids: local.ids, pieces: this.localPieces(local.ids, local.prefixTokens, local.suffixTokens), snippetTokens: 0, dropped: [] };
    }
    const pathIds = request.currentPath === undefined ? [] : [this.fileSeparator, ...this.encodeText(`${request.currentPath}\n`)];
    const available = Math.max(0, options.budget - 3 - pathIds.length);
    return options.compression === undefined
      ? this.assemblePlain(request, options, pathIds, available)
      : this.assembleCompressed(request, options, options.compression, pathIds, available, signal);
  }

  private assemblePlain(request: PromptRequest, options: PromptOptions, pathIds: number[], available: number): AssembledPrompt {
    const localNeeded = buildFimPrompt(this.tokenizer, this.fim, request.prefix, request.suffix, available).ids.length - 3;
    const snippetBudget = Math.max(Math.floor(available * options.contextShare), available - localNeeded);
    const packed: { snippet: RetrievedSnippet; text: string; ids: number[] }[] = [];
    let used = 0;
    for (const snippet of request.snippets) {
      const fitted = this.fitSnippet(snippet, snippetBudget - used);
      if (fitted === undefined) continue;
      packed.push({ snippet, ...fitted });
      used += fitted.ids.length;
    }
    return this.finish(request, packed.reverse(), pathIds, request.prefix, request.suffix, available - used, []);
  }

  private async assembleCompressed(
    request: PromptRequest,
    options: PromptOptions,
    compression: SelectiveContext,
    pathIds: number[],
    available: number,
    signal?: AbortSignal,
  ): Promise<AssembledPrompt> {
    const snippetSections: CompressibleSection[] = request.snippets.map((snippet, rank) => {
      const lines = snippet.text.split('\n');
      return {
        id: `${snippet.path}:${snippet.startLine + 1}`,
        lines,
        keep: lines.map(isStructuralLine),
        overheadTokens: 1 + this.tokenizer.encode(`${snippet.path}\n`).length,
        priority: 100 - 10 * rank,
      };
    });
    // Snippets get the same share of the budget as without compression (more when the file is short) and keep
    // their most informative lines within it. The current file is cut, not thinned: it reaches the model as one
    // run of lines up to the cursor, as in training (thinning its far prefix too cost 1.5-2 points of held-out
    // single-line exact match, bench/results/model-eval-*-workspace-*).
    const localNeeded = buildFimPrompt(this.tokenizer, this.fim, request.prefix, request.suffix, available).ids.length - 3;
    const snippetBudget = Math.max(Math.floor(available * options.contextShare), available - localNeeded);
    const result = await compression.compress(snippetSections, snippetBudget, signal, options.waitForScores ?? true);
    const packed: { snippet: RetrievedSnippet; text: string; ids: number[] }[] = [];
    request.snippets.forEach((snippet, i) => {
      const kept = result.sections[i]!.kept;
      if (kept.every((k) => !k)) return;
      const text = snippetSections[i]!.lines.filter((_l, l) => kept[l]).join('\n');
      packed.push({ snippet, text, ids: [this.fileSeparator!, ...this.encodeText(`${snippet.path}\n${text}\n`)] });
    });
    const snippetTokens = packed.reduce((n, p) => n + p.ids.length, 0);
    const prompt = this.finish(request, packed.reverse(), pathIds, request.prefix, request.suffix, available - snippetTokens, result.dropped);
    const localTokens = prompt.ids.length - snippetTokens - pathIds.length;
    prompt.compression = { scorer: result.scorer, tokensBefore: result.tokensBefore + localTokens, tokensAfter: snippetTokens + localTokens };
    return prompt;
  }

  /** The snippet as a piece within `budget` tokens: whole, or its leading lines, or undefined when too little fits. */
  private fitSnippet(snippet: RetrievedSnippet, budget: number): { text: string; ids: number[] } | undefined {
    if (budget <= 0) return undefined;
    const encodePiece = (text: string): number[] => [this.fileSeparator!, ...this.encodeText(`${snippet.path}\n${text}\n`)];
    const whole = encodePiece(snippet.text);
    if (whole.length <= budget) return { text: snippet.text, ids: whole };
    // Count line by line once, then confirm with one encoding (merges across line ends may differ slightly).
    const lines = snippet.text.split('\n');
    let used = 1 + this.tokenizer.encode(`${snippet.path}\n`).length;
    let end = 0;
    for (; end < lines.length; end++) {
      const count = this.tokenizer.encode(lines[end]! + '\n').length;
      if (used + count > budget) break;
      used += count;
    }
    for (; end >= MIN_SNIPPET_LINES; end--) {
      const text = lines.slice(0, end).join('\n');
      const ids = encodePiece(text);
      if (ids.length <= budget) return { text, ids };
    }
    return undefined;
  }

  private finish(
    request: PromptRequest,
    packed: { snippet: RetrievedSnippet; text: string; ids: number[] }[],
    pathIds: number[],
    prefix: string,
    suffix: string,
    localBudget: number,
    dropped: DroppedLine[],
  ): AssembledPrompt {
    const local = buildFimPrompt(this.tokenizer, this.fim, prefix, suffix, Math.max(0, localBudget));
    const pieces: PromptPiece[] = packed.map((p) => ({ kind: 'snippet', path: p.snippet.path, startLine: p.snippet.startLine, text: p.text, tokens: p.ids.length }));
    if (pathIds.length > 0) pieces.push({ kind: 'path', path: request.currentPath, text: request.currentPath!, tokens: pathIds.length });
    pieces.push(...this.localPieces(local.ids, local.prefixTokens, local.suffixTokens));
    return {
      ids: [...packed.flatMap((p) => p.ids), ...pathIds, ...local.ids],
      pieces,
      snippetTokens: packed.reduce((n, p) => n + p.ids.length, 0),
      dropped,
    };
  }

  private localPieces(ids: number[], prefixTokens: number, suffixTokens: number): PromptPiece[] {
    if (this.fim === null) return [{ kind: 'prefix', text: this.decode(ids), tokens: ids.length }];
    const suffixIds = ids.slice(1, 1 + suffixTokens);
    const prefixIds = ids.slice(2 + suffixTokens, 2 + suffixTokens + prefixTokens);
    return [
      { kind: 'suffix', text: this.decode(suffixIds), tokens: suffixTokens + 1 },
      { kind: 'prefix', text: this.decode(prefixIds), tokens: prefixTokens + 2 },
    ];
  }

  /**
   * Workspace text as plain tokens: the tokenizer turns a literal `<|fim_middle|>` in the text into the control
   * token, so a file that merely mentions one (a prompt builder, say) would steer the model. Such literals
   * are encoded in two halves, which keeps their characters and drops their meaning.
   */
  /** The tokenizer's encode already spells special-token text out as plain characters (runtime/tokenizer.ts). */
  private encodeText(text: string): number[] {
    return this.tokenizer.encode(text);
  }

  private decode(ids: number[]): string {
    return this.tokenizer.decode(ids);
  }
}
