// Every error the runtime (and, later, the rest of Locus) reports: a stable `code`, a message that says what
// happened and a one-sentence `fix` for the user. Errors cross the worker thread as {code, message, fix} and are
// rebuilt here as the same class, so `instanceof` works on both sides.

export interface SerializedLocusError {
  code: string;
  message: string;
  fix: string;
}

export class LocusError extends Error {
  readonly code: string;
  readonly fix: string;

  constructor(code: string, message: string, fix: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.fix = fix;
  }

  toJSON(): SerializedLocusError {
    return { code: this.code, message: this.message, fix: this.fix };
  }
}

type LocusErrorClass = new (message: string, fix?: string, options?: { cause?: unknown }) => LocusError;

function namedError(code: string, defaultFix: string): LocusErrorClass & { readonly code: string; readonly defaultFix: string } {
  return class extends LocusError {
    static readonly code = code;
    /** The class's general advice; a thrower with a more specific one passes its own. */
    static readonly defaultFix = defaultFix;
    constructor(message: string, fix: string = defaultFix, options?: { cause?: unknown }) {
      super(code, message, fix, options);
    }
  };
}

/** The fix for a quantization the model folder has no file of, where it has another (the server names its setting). */
export const QUANTIZATION_MISSING_FIX = 'Choose a quantization that the folder has, or auto, which picks one of them.';

export class ModelNotFoundError extends namedError(
  'MODEL_NOT_FOUND',
  'Use a model folder that contains config.json, tokenizer.json and onnx/model*.onnx.',
) {}

export class ModelFileCorruptError extends namedError(
  'MODEL_FILE_CORRUPT',
  'Download the model again (if it came from git, run `git lfs pull` so the real files replace the pointers).',
) {}

export class ModelConfigError extends namedError(
  'MODEL_CONFIG_INVALID',
  'Fix or replace config.json with the one published with the model.',
) {}

export class ModelSignatureError extends namedError(
  'MODEL_SIGNATURE_MISMATCH',
  'Use an ONNX decoder exported with its KV cache (Optimum layout) whose config.json belongs to the same model.',
) {}

export class TokenizerMismatchError extends namedError(
  'TOKENIZER_MISMATCH',
  'Use the tokenizer.json published with this model; the draft model must share the target model\'s tokenizer.',
) {}

export class OutOfMemoryError extends namedError(
  'OUT_OF_MEMORY',
  'Choose a smaller or quantized model (int8/q4), or shorten the context.',
) {}

export class ModelNotReadyError extends namedError(
  'MODEL_NOT_READY',
  'Wait for the model to finish loading, or check the Output channel for why loading failed.',
) {}

export class PromptTooLongError extends namedError(
  'PROMPT_TOO_LONG',
  'Shorten the prompt so that it fits in the model\'s context window.',
) {}

export class InferenceFailedError extends namedError(
  'INFERENCE_FAILED',
  'Check the Output channel for details; reloading the model usually recovers.',
) {}

export class ModelLoadFailedError extends namedError(
  'MODEL_LOAD_FAILED',
  'Use a model folder in the Hugging Face / Optimum ONNX layout that this onnxruntime supports (the Output channel says what it refused), or set locus.model.path to another one.',
) {}

export class WorkerCrashedError extends namedError(
  'WORKER_CRASHED',
  'Reload the window to restart the inference worker; check the Output channel for the cause.',
) {}

export class TelemetryReadFailedError extends namedError(
  'TELEMETRY_READ_FAILED',
  'The dashboard tries again at its next refresh; the Locus Output channel says why it failed.',
) {}

export class WorkspaceFolderUnreadableError extends namedError(
  'WORKSPACE_FOLDER_UNREADABLE',
  'Make the folder readable for your user, or remove it from the workspace.',
) {}

/** Every named class, by code; new classes are added here so they survive the trip across the worker thread. */
const classesByCode = new Map<string, LocusErrorClass>(
  [
    ModelNotFoundError,
    ModelFileCorruptError,
    ModelConfigError,
    ModelSignatureError,
    TokenizerMismatchError,
    OutOfMemoryError,
    ModelNotReadyError,
    PromptTooLongError,
    InferenceFailedError,
    ModelLoadFailedError,
    WorkerCrashedError,
    TelemetryReadFailedError,
    WorkspaceFolderUnreadableError,
  ].map((c) => [c.code, c]),
);

/** `message` ending as a sentence, so that a fix written after it reads as the next one (parser messages end bare). */
export function asSentence(message: string): string {
  const trimmed = message.trimEnd();
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

/** Rebuilds an error sent across a thread as the same class (plain `LocusError` for unknown codes). */
export function fromSerializedError(e: SerializedLocusError): LocusError {
  const cls = classesByCode.get(e.code);
  return cls ? new cls(e.message, e.fix) : new LocusError(e.code, e.message, e.fix);
}

const ortMessagePatterns: [RegExp, LocusErrorClass, string?][] = [
  [/bad_alloc|failed to allocate|out of memory|cannot allocate|allocation failed/i, OutOfMemoryError],
  // Before the patterns below: these messages name files too.
  [/\bEACCES\b|permission denied/i, ModelNotFoundError, "Make the model folder and its files readable for your user."],
  [/\bEISDIR\b|illegal operation on a directory|is a directory/i, ModelNotFoundError, 'Replace the folder that has a model file\'s name with the file published with the model.'],
  [/could not find an implementation|not implemented|opset .*(not supported|under development)|unsupported (op|operator|opset)|no opset import/i, ModelSignatureError, 'Export the model with operators and an opset this onnxruntime supports (the Output channel names the one it refused).'],
  [/protobuf|parse.*model|model.*parse|invalid model|modelproto|unexpected end|truncated/i, ModelFileCorruptError],
  [/external data|external initializer/i, ModelFileCorruptError],
  [/no such file|not found|enoent/i, ModelNotFoundError],
  [/invalid input name|invalid rank|got invalid dimensions|unexpected input data type|missing input/i, ModelSignatureError],
];

/**
 * Maps anything thrown (often an onnxruntime-node `Error` with a C++ message) to a LocusError; `fallback` where no
 * pattern knows it (a load's failures are not inference's, whose fix is to reload).
 */
export function toLocusError(error: unknown, fallback: LocusErrorClass = InferenceFailedError): LocusError {
  if (error instanceof LocusError) return error;
  const message = error instanceof Error ? error.message : String(error);
  for (const [pattern, cls, fix] of ortMessagePatterns) {
    if (pattern.test(message)) return new cls(message, fix, { cause: error });
  }
  return new fallback(message, undefined, { cause: error });
}
