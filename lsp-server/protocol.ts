// Every `locus/*` message, typed once. Imported by the server, the VS Code client and the CLI, so it may
// depend on `vscode-languageserver-protocol` only (no server or client runtime).
import { NotificationType } from 'vscode-languageserver-protocol';

/** Which ONNX file to prefer; mirrors `runtime/engine.ts` without importing the runtime into clients. */
export type QuantizationSetting = 'auto' | 'q4' | 'int8' | 'fp16' | 'fp32';

/** Speculative decoding's drafter; mirrors `runtime/engine.ts` `SpeculationMode`. */
export type SpeculationSetting = 'auto' | 'draft' | 'lookup' | 'off';

/**
 * The `locus` settings section as the client sends it: in `initializationOptions` and as
 * `workspace/didChangeConfiguration` `settings.locus`. Every field is optional and unchecked; the
 * server validates the whole object once (`lsp-server/config.ts`).
 */
export interface LocusSettingsInput {
  model?: {
    /** Model directory (Hugging Face / Optimum layout). Empty: the embedded default. */
    path?: string;
    /** Draft model directory for speculative decoding. Empty: the embedded draft with the embedded model. */
    draftPath?: string;
    quantization?: QuantizationSetting;
    /** ORT intra-op threads; 0 = choose from the core count. */
    threads?: number;
  };
  completion?: {
    maxNewTokens?: number;
    /** Tokens of surrounding code (prefix + suffix) in the prompt. */
    promptTokenBudget?: number;
    /** Speculative decoding: `auto` (prompt lookup, else the draft model), `draft`, `lookup` or `off`. */
    speculation?: SpeculationSetting;
    /** Language id → enabled; `*` is the default for languages not listed. */
    languages?: Record<string, boolean>;
  };
  efficiency?: {
    /** Sample more candidates for whole-function completions, run them in a sandbox, offer the fastest correct one first. */
    enabled?: boolean;
    /** Sampled candidates besides the plain suggestion. */
    samples?: number;
  };
  /** `locus.exclude`: globs (relative to each workspace folder) kept out of the workspace index and so out of prompts; .gitignore and the built-in secret rules apply too. */
  exclude?: string[];
  context?: {
    /** VS Code's `files.exclude` globs that are switched on; the client sends them with the settings. */
    filesExclude?: string[];
    /** Not a user setting: the client's storage folder for the workspace index cache, read from initializationOptions only. */
    cacheDir?: string;
  };
  telemetry?: {
    /** Record each completion's timings (no code) on this machine. */
    enabled?: boolean;
    /** Not a user setting: the client's private storage folder for the records, read from initializationOptions only. */
    dir?: string;
  };
}

/** Model state as the server sees it. */
export type ModelStatus =
  | { state: 'loading'; modelDir: string }
  | {
      state: 'ready';
      /** Human-readable model name. */
      model: string;
      modelDir: string;
      quantization: Exclude<QuantizationSetting, 'auto'>;
      /** ONNX file actually loaded, relative to the model directory. */
      onnxFile: string;
      /** Draft model name when speculative decoding is on. */
      draft?: string;
    }
  | {
      state: 'error';
      /** Stable error code from `runtime/errors.ts` (for example `E_MODEL_NOT_FOUND`). */
      code: string;
      message: string;
      /** One sentence telling the user what to do. */
      fix: string;
    };

/**
 * Model status changed (server → client). Sent when loading starts, when the model is ready, and when
 * loading failed.
 * - method: `locus/status`
 * - params: {@link ModelStatus}
 */
export namespace StatusNotification {
  export const method = 'locus/status';
  export const type = new NotificationType<ModelStatus>(method);
}

/** Latency of one inline completion, measured in the server. */
export interface CompletionTimings {
  /** Document the completion was for. */
  uri: string;
  promptTokens: number;
  generatedTokens: number;
  /** From the start of generation to the first generated token. */
  firstTokenMs: number;
  /** Whole generation in the engine. */
  totalMs: number;
  /** From receiving the request to sending the answer (prompt building and post-processing included). */
  requestMs: number;
  /** Generated tokens per second after the first token. */
  tokensPerSecond: number;
  /** Length of the text offered after post-processing; 0 when nothing was offered. */
  shownChars: number;
  /** Speculative decoding for this request: drafted and accepted tokens (acceptance = accepted / drafted). */
  speculation: { mode: SpeculationSetting; drafted: number; accepted: number; acceptanceRate: number };
  /**
   * True when the answer came from the server's cache of recent completions (the user typed the start of a
   * suggestion that was showing) with no model run; token counts and engine times are then 0.
   */
  cacheHit?: boolean;
}

/**
 * A completion finished generating (server → client), so the client can show the last latency.
 * - method: `locus/completionTimings`
 * - params: {@link CompletionTimings}
 */
export namespace CompletionTimingsNotification {
  export const method = 'locus/completionTimings';
  export const type = new NotificationType<CompletionTimings>(method);
}

// The context engine's messages: `locus/compress`, `locus/explain` and `locus/explainChunk`.
export * from './contextProtocol';
