// The contract between the language server and the inference runtime. The server talks only to
// `InferenceEngine`; the worker-thread implementation and the in-process one both satisfy it.

/** Which ONNX file to prefer in `<model>/onnx/`. `auto` picks the fastest variant present on CPU. */
export type Quantization = 'auto' | 'q4' | 'int8' | 'fp16' | 'fp32';

export interface EngineLoadOptions {
  /** Model directory in the Hugging Face / Optimum layout. */
  modelDir: string;
  /** Optional draft model directory for speculative decoding (same tokenizer). */
  draftDir?: string;
  quantization: Quantization;
  /** ORT intra-op threads; 0 = choose from the core count. */
  threads: number;
  /**
   * Where 8-bit copies of large 4-bit models are kept for long prompts (runtime/prefillCopyCache.ts); absent: the
   * user's cache folder.
   */
  cacheFolder?: string;
  /**
   * After the load, run requests of this shape in the background (runtime/memoryWarmUp.ts) until the first real
   * request aborts them, so that request does not pay for the first touches of memory. Absent: no warm-up.
   */
  warmUp?: WarmUpShape;
}

export interface LoadHooks {
  /** Called as a long step of the load starts (building a model copy), with what it does, in words. */
  onProgress?: (message: string) => void;
}

/** The size of the requests a caller will send, for the warm-up after a load. */
export interface WarmUpShape {
  /** Prompt length in tokens (the caller's prompt budget). */
  promptTokens: number;
  /** The beam width of single-line requests; 1 when they decode greedily. */
  beamWidth: number;
}

export interface FimTokens {
  prefix: number;
  suffix: number;
  middle: number;
  /** `<|file_sep|>` when the tokenizer has it (repository-level prompts). */
  fileSeparator?: number;
}

export interface ModelInfo {
  /** Human-readable name: the model directory's base name, or `name` from config.json. */
  name: string;
  dir: string;
  /** The ONNX file actually loaded, relative to `dir`. */
  onnxFile: string;
  /**
   * The 8-bit file long prompts prefill on when a large 4-bit model uses one (runtime/prefillFile.ts): the folder's,
   * relative to `dir`, or the copy built for it (runtime/prefillCopyCache.ts), absolute.
   */
  prefillFile?: string;
  /** What became of the 8-bit copy for a large 4-bit model without an 8-bit file: built, and how long it took, or why there is none. */
  prefillCopy?: string;
  /** What the runtime changed in the model's file as it loaded it (runtime/preparedModel.ts), in words. */
  prepared?: string;
  /** Why quantization `auto` took `onnxFile` over the 4-bit file it prefers (runtime/modelFiles.ts), in words. */
  autoChoice?: string;
  /** Why the loaded 4-bit file decodes slowly (much of it left in float32), and the fix (runtime/modelFiles.ts). */
  weightWarning?: string;
  quantization: Exclude<Quantization, 'auto'>;
  vocabSize: number;
  /** Longest context the model can address (max_position_embeddings). */
  maxContext: number;
  eosTokenIds: number[];
  fim: FimTokens | null;
  /** Present when a draft model was loaded too. */
  draft?: { name: string; onnxFile: string };
  /**
   * Why the draft model asked for was not loaded, and the fix, in words: it only makes decoding faster, so the model
   * loads without it (speculation then drafts by prompt lookup alone).
   */
  draftProblem?: string;
}

export interface SamplingOptions {
  /** 0 = greedy. */
  temperature: number;
  /** 0 = no top-k cut. */
  topK: number;
  /** 1 = no nucleus cut. */
  topP: number;
  seed: number;
}

/** Greedy decoding: what completions, Explain and the benchmarks use. */
export const GREEDY_SAMPLING: SamplingOptions = { temperature: 0, topK: 0, topP: 1, seed: 0 };

/**
 * How speculative decoding proposes tokens: `lookup` copies n-grams from the prompt and the output so far,
 * `draft` runs the draft model, `auto` uses lookup when it finds a match and the draft model otherwise,
 * `off` decodes one token per target pass. Greedy output is the same in every mode.
 */
export type SpeculationMode = 'auto' | 'draft' | 'lookup' | 'off';

export interface SpeculationStats {
  mode: SpeculationMode;
  /** Target verification passes that checked at least one drafted token. */
  rounds: number;
  drafted: number;
  accepted: number;
  /** accepted / drafted; 0 when nothing was drafted. */
  acceptanceRate: number;
  /** Drafted and accepted tokens per drafter. */
  byDrafter: { lookup: { drafted: number; accepted: number }; draft: { drafted: number; accepted: number } };
}

export interface GenerateRequest {
  promptIds: number[];
  /** Defaults to `auto`. */
  speculation?: SpeculationMode;
  maxNewTokens: number;
  sampling: SamplingOptions;
  /** Generation stops before the first occurrence of any of these strings (the stop string is not returned). */
  stopStrings: string[];
  /**
   * Token healing: text the caller cut from the end of the prompt (the last token at the cursor). The first
   * tokens are constrained to write exactly this text again, which is not part of the returned text.
   */
  requiredPrefix?: string;
  /**
   * The text after `requiredPrefix` must begin with one of these words, then a character that cannot continue a
   * word: the names a member access at the cursor can take (a workspace module's declarations). Empty or absent
   * leaves the text free.
   */
  wordChoices?: string[];
  /**
   * The text after `requiredPrefix` must not begin with any of these: tokens that would write one are masked (Explain's
   * doc comment, whose likeliest first line is a bare JSDoc tag, must open with prose). Empty or absent forbids nothing.
   */
  forbiddenStarts?: string[];
  /**
   * The text after `requiredPrefix` must hold a non-whitespace character before an end-of-text token can end it (a
   * stop string or the token limit still can): a small model often closes a doc comment it was asked to write at once.
   */
  nonBlank?: boolean;
  /**
   * Greedy sampling only: keep this many continuations and answer the most likely finished one (runtime/beamSearch.ts);
   * 1 or absent decodes greedily. Speculation does not apply to beam search.
   */
  beamWidth?: number;
  /**
   * Milliseconds the run may decode after its first token, checked before each step: past it the run answers
   * what it has, with stopReason `time` (beam search: its likeliest finished line with that line's own stop reason,
   * else its leading unfinished one with `time`).
   * Absent: no limit.
   */
  maxDecodeMs?: number;
  /**
   * Answer each generated token's log-probability under the target model (`tokenScores`): how sure the model was of
   * what it wrote, for a caller that shows only the confident part of a long text. Greedy and sampled decoding, not
   * beam search; costs one pass over each token's logits row.
   */
  scoreTokens?: boolean;
}

/** `time`: the request's `maxDecodeMs` ran out. */
export type StopReason = 'eos' | 'stop' | 'length' | 'aborted' | 'time';

export interface GenerationTimings {
  promptTokens: number;
  /** Leading prompt tokens whose KV state came from an earlier request (prefix cache); absent from fakes. */
  cachedPromptTokens?: number;
  generatedTokens: number;
  prefillMs: number;
  /** From the call to the first generated token. */
  firstTokenMs: number;
  totalMs: number;
  /** Generated tokens per second after the first token. */
  decodeTokensPerSecond: number;
}

export interface GenerateResult {
  text: string;
  tokenIds: number[];
  stopReason: StopReason;
  /**
   * The time limit (`maxDecodeMs`) ended the run: stop reason `time`, or, from beam search, the likeliest line that
   * had finished by then (with that line's stop reason). Absent otherwise.
   */
  timeLimited?: true;
  /**
   * Beam search's other finished texts, likeliest first, none equal to `text`: the editor may offer them as further
   * suggestions. Absent when there are none (and from greedy or sampled decoding).
   */
  alternatives?: string[];
  timings: GenerationTimings;
  /** With `scoreTokens`: one per token of `tokenIds`, in order. */
  tokenScores?: TokenScore[];
  /** Present when the engine decoded (absent only from engines that do not speculate). */
  speculation?: SpeculationStats;
}

export interface TokenScore {
  /** The token's log-probability under the target, from the logits it was chosen from (after any constraint). */
  logProb: number;
  /**
   * Where the token's text ends in `text` (its characters are before this offset). Past `text.length` for tokens of a
   * stop string, which is not returned; a token that ends inside a character (a byte piece) ends where the text
   * before that character does, and the character's last token ends after it.
   */
  textEnd: number;
}

export interface GenerateHooks {
  /** Checked before every decoding step; an aborted run resolves with stopReason `aborted` and its partial text. */
  signal?: AbortSignal;
  /** Streaming: called with each newly decoded piece of text (never a partial UTF-8 character). */
  onText?: (delta: string) => void;
  /**
   * Each generated token id as it is taken, before stop strings cut the text: for a caller that decodes one text
   * over several runs (Explain gives way to completions between runs, and a character or stop string may span two).
   */
  onToken?: (id: number) => void;
  /**
   * With `scoreTokens`: each token's score as it is taken, before `onText` gets the text it writes: a caller that
   * shows only what the model was sure of can stop the run as soon as it knows where that ends.
   */
  onTokenScore?: (score: TokenScore) => void;
}

export interface InferenceEngine {
  load(options: EngineLoadOptions, hooks?: LoadHooks): Promise<ModelInfo>;
  generate(request: GenerateRequest, hooks?: GenerateHooks): Promise<GenerateResult>;
  /**
   * log p(ids[i] | ids[0..i)) under the draft model, for Selective Context's self-information; the first token
   * of each context-sized window scores 0. Queued with generation. Rejects with ModelNotReadyError when no draft
   * model is loaded; stops early (the rest scored 0) when `signal` is aborted.
   */
  draftLogProbs(ids: number[], signal?: AbortSignal): Promise<number[]>;
  dispose(): Promise<void>;
}
