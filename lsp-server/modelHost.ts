// Owns the loaded model: loads it in the background, reports its state to the client, reloads on settings
// changes. Completion requests read `current()` and get nothing while it is undefined.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { EngineLoadOptions, InferenceEngine } from '../runtime/engine';
import { defaultModelCacheFolder } from '../runtime/modelCacheFolder';
import { asSentence, LocusError, ModelConfigError, ModelFileCorruptError, ModelLoadFailedError, ModelNotFoundError, ModelSignatureError, QUANTIZATION_MISSING_FIX, TokenizerMismatchError } from '../runtime/errors';
import type { LoadedModel } from './completionProvider';
import type { ServerConfig } from './config';
import { fimTokenIds, type PromptTokenizer } from './fimPrompt';
import { describeError, type Logger } from './logger';
import { RestartPolicy } from './restartPolicy';
import { threadsWarning } from './threadsWarning';
import { withinCacheFolder } from './cacheFolderPaths';
import type { ModelSetting, ModelStatus } from './protocol';

export interface ModelHostDeps {
  /** `onCrash`: for engines whose inference can die apart from the server (a worker thread). */
  createEngine: (onCrash: (error: Error) => void) => InferenceEngine;
  loadTokenizer: (modelDir: string) => Promise<PromptTokenizer>;
  logger: Logger;
  onStatus: (status: ModelStatus) => void;
  directoryExists?: (dir: string) => boolean;
  /** Milliseconds since the epoch; tests pass a clock. */
  now?: () => number;
}

/** Reloads after crashes of a loaded engine within the window; one more is reported as an error instead. */
const MAX_CRASH_RELOADS = 3;
const CRASH_WINDOW_MS = 3 * 60_000;

/** Fix shown for failures that are not a `LocusError` (those carry their own). */
const UNKNOWN_FIX = 'See the Locus Output channel for details; restart the server after fixing the model settings.';

export class ModelHost {
  private loaded: LoadedModel | undefined;
  private engine: InferenceEngine | undefined;
  /** Counts load() calls so a slow, superseded load cannot win. */
  private generation = 0;
  private lastStatus: ModelStatus | undefined;
  /** A loaded engine that crashed is reloaded a few times; a crash loop is reported instead. */
  private readonly reloads: RestartPolicy;

  constructor(private readonly deps: ModelHostDeps) {
    this.reloads = new RestartPolicy(MAX_CRASH_RELOADS, CRASH_WINDOW_MS, () => (deps.now ?? Date.now)());
  }

  current(): LoadedModel | undefined {
    return this.loaded;
  }

  status(): ModelStatus | undefined {
    return this.lastStatus;
  }

  /** Replaces the current model (if any) with the one `config` names. Never rejects: failures become status. */
  async load(config: ServerConfig): Promise<void> {
    // A load the user caused (start, a settings change) gets a fresh budget of crash reloads.
    this.reloads.reset();
    return this.loadModel(config);
  }

  private async loadModel(config: ServerConfig): Promise<void> {
    const generation = ++this.generation;
    this.loaded = undefined;
    await this.disposeEngine();
    if (generation !== this.generation) return;

    this.setStatus({ state: 'loading', modelDir: config.modelDir, embedded: config.usesEmbeddedModel });
    const engine = this.deps.createEngine((error) => this.crashed(engine, config, error));
    this.engine = engine;
    const started = Date.now();
    // A long step (building a model copy) shows in the log and the loading status as it starts.
    const onProgress = (step: string) => {
      this.deps.logger.info(step);
      if (generation === this.generation) this.setStatus({ state: 'loading', modelDir: config.modelDir, embedded: config.usesEmbeddedModel, step });
    };
    const threads = threadsWarning(config.threads, availableParallelism());
    if (threads !== undefined) this.deps.logger.warn(threads);
    // The engine loads in its worker while the tokenizer loads (and warms up) on this thread.
    const options: EngineLoadOptions = {
      modelDir: config.modelDir,
      draftDir: this.draftDir(config),
      quantization: config.quantization,
      threads: config.threads,
      ...(config.modelCacheDir !== null && { cacheFolder: config.modelCacheDir }),
      warmUp: { promptTokens: config.promptTokenBudget, beamWidth: config.beamWidth },
    };
    const loading = engine.load(options, { onProgress });
    // Wrapped so that a loader which throws before returning its promise fails here like one that rejects.
    const tokenizing = (async () => this.deps.loadTokenizer(config.modelDir))();
    // Awaited after the engine (whose model check explains a bad folder best); handled now so that its failure
    // is not an unhandled rejection meanwhile.
    tokenizing.catch(() => undefined);
    try {
      const info = await loading;
      const tokenizer = await tokenizing;
      if (generation !== this.generation) return;
      this.loaded = { engine, tokenizer, info, fim: fimTokenIds(tokenizer) };
      const folder = config.modelCacheDir ?? defaultModelCacheFolder();
      const named = [info.prefillFile, info.prefillCopy, info.prepared];
      const [prefillFile, prefillCopy, prepared] = named.map((t) => t && withinCacheFolder(t, folder));
      const keptCopies = [prefillFile, prefillCopy, prepared].some((t, i) => t !== named[i]);
      const draft = info.draft === undefined ? '' : `, draft ${info.draft.name} (${info.draft.onnxFile})`;
      const prefill = prefillFile === undefined ? '' : `, long prompts prefill on ${prefillFile}`;
      const choice = info.autoChoice === undefined ? '' : ` Quantization auto took ${info.onnxFile}: ${info.autoChoice}.`;
      this.deps.logger.info(`Loaded ${info.name} from ${info.dir} (${info.onnxFile}, ${info.quantization}${prefill}${draft}) in ${Date.now() - started} ms.${choice}`);
      if (prefillCopy !== undefined) this.deps.logger.info(prefillCopy);
      if (prepared !== undefined) this.deps.logger.info(prepared);
      if (keptCopies) this.deps.logger.info(`The model's kept copies named here are in ${folder}; deleting it frees their space, and the next load writes them again.`);
      if (info.weightWarning !== undefined) this.deps.logger.warn(info.weightWarning);
      if (info.draftProblem !== undefined) this.deps.logger.warn(config.usesEmbeddedDraft ? info.draftProblem : `${info.draftProblem} The draft comes from locus.model.draftPath: point it at another draft, or clear it.`);
      if (this.loaded.fim === null) this.deps.logger.warn(`${info.name} has no FIM tokens; completions see only the code before the cursor.`);
      this.setStatus({
        state: 'ready',
        model: info.name,
        modelDir: info.dir,
        quantization: info.quantization,
        onnxFile: info.onnxFile,
        ...(prefillFile === undefined ? {} : { prefillFile }),
        ...(prefillCopy === undefined ? {} : { prefillCopy }),
        ...(prepared === undefined ? {} : { prepared }),
        ...(keptCopies ? { keptCopies: folder } : {}),
        ...(info.autoChoice === undefined ? {} : { autoChoice: info.autoChoice }),
        ...(info.draft === undefined ? {} : { draft: info.draft.name }),
      });
    } catch (error) {
      if (generation !== this.generation) return;
      this.deps.logger.error(`Loading the model from ${config.modelDir} failed: ${describeError(error)}`);
      await this.disposeEngine();
      this.setStatus({ state: 'error', ...namingTheSetting(error, errorFields(error), config) });
    }
  }

  /**
   * The loaded engine's inference died (its calls were rejected): reload it, unless that keeps happening. A crash
   * while loading is the load's failure, reported by load() itself.
   */
  private crashed(engine: InferenceEngine, config: ServerConfig, error: Error): void {
    if (this.loaded?.engine !== engine) return;
    if (this.reloads.crashed()) {
      this.deps.logger.error(`${describeError(error)} Reloading the model.`);
      void this.loadModel(config);
      return;
    }
    this.generation++;
    this.loaded = undefined;
    void this.disposeEngine();
    this.deps.logger.error(`${describeError(error)} It crashed ${MAX_CRASH_RELOADS + 1} times in ${CRASH_WINDOW_MS / 60_000} minutes, so it is not reloaded again.`);
    this.setStatus({ state: 'error', ...errorFields(error), fix: 'See the Locus Output channel for the cause, then run "Locus: Restart Server".' });
  }

  async dispose(): Promise<void> {
    this.generation++;
    this.loaded = undefined;
    await this.disposeEngine();
  }

  /**
   * The embedded draft is optional (it may not have been trained yet); a configured one is handed to the engine, which
   * says why it could not load it.
   */
  private draftDir(config: ServerConfig): string | undefined {
    if (config.draftDir === undefined) return undefined;
    const exists = this.deps.directoryExists ?? existsSync;
    return config.usesEmbeddedDraft && !exists(config.draftDir) ? undefined : config.draftDir;
  }

  private async disposeEngine(): Promise<void> {
    const engine = this.engine;
    this.engine = undefined;
    if (engine === undefined) return;
    try {
      await engine.dispose();
    } catch (error) {
      this.deps.logger.warn(`Disposing the previous model failed: ${describeError(error)}`);
    }
  }

  private setStatus(status: ModelStatus): void {
    this.lastStatus = status;
    this.deps.onStatus(status);
  }
}

/** Failures of the model folder itself: their general advice is completed with the setting that chose the folder. */
const MODEL_FOLDER_ERRORS = [ModelNotFoundError, ModelFileCorruptError, ModelConfigError, ModelSignatureError, TokenizerMismatchError];

/** The fields of a load's failure, with the setting to change where changing it is the fix. */
export function namingTheSetting(error: unknown, fields: ErrorFields, config: ServerConfig): ErrorFields & { setting?: ModelSetting } {
  // Its general fix already says to set locus.model.path (the embedded model is no setting of the user's).
  if (error instanceof ModelLoadFailedError) return config.usesEmbeddedModel || fields.fix !== ModelLoadFailedError.defaultFix ? fields : { ...fields, setting: 'locus.model.path' };
  // The quantization the folder lacks: the setting that asked for it is the fix, the built-in model's folder no news.
  if (error instanceof ModelNotFoundError && fields.fix === QUANTIZATION_MISSING_FIX) {
    const folder = config.usesEmbeddedModel ? `The built-in model has only the files the message names` : 'The folder has only the files the message names';
    return { ...fields, fix: `${folder}: set locus.model.quantization to one of them, or to auto, which picks one.`, setting: 'locus.model.quantization' };
  }
  // A specific fix (a Git LFS pointer to fetch) says more than a setting's name.
  const cls = MODEL_FOLDER_ERRORS.find((c) => error instanceof c);
  if (cls === undefined || fields.fix !== cls.defaultFix) return fields;
  if (config.usesEmbeddedModel) return { ...fields, fix: 'Reinstall the Locus extension: its embedded model is missing or damaged.' };
  return { ...fields, fix: `${fields.fix} The folder is set by locus.model.path; clear it to use the embedded model.`, setting: 'locus.model.path' };
}

interface ErrorFields {
  code: string;
  message: string;
  fix: string;
}

/** `LocusError`s (rebuilt as the same class after crossing the worker) carry their own code and fix. */
function errorFields(error: unknown): ErrorFields {
  if (error instanceof LocusError) return { code: error.code, message: asSentence(error.message), fix: error.fix };
  return { code: 'INTERNAL', message: asSentence(describeError(error)), fix: UNKNOWN_FIX };
}
