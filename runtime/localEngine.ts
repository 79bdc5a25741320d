// InferenceEngine in the calling thread. The worker runs one of these; tests and benchmarks can use it directly.
import { readFileSync } from 'node:fs';
import { basename, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { EngineLoadOptions, LoadHooks, FimTokens, GenerateHooks, GenerateRequest, GenerateResult, InferenceEngine, ModelInfo } from './engine';
import { asSentence, ModelNotReadyError, TokenizerMismatchError, toLocusError } from './errors';
import { Generator } from './generator';
import { warmUpRequests } from './memoryWarmUp';
import { assertModelDirectory, locateModelFiles } from './modelFiles';
import { loadDecoder, type LoadedDecoder } from './modelLoader';
import { TokenDecoder } from './tokenizer';
import { tokenLogProbs } from './tokenLogProbs';

/** FIM special tokens, Qwen2.5-Coder names first, then StarCoder's. */
export function findFimTokens(tokenizer: TokenDecoder): FimTokens | null {
  for (const style of [['<|fim_prefix|>', '<|fim_suffix|>', '<|fim_middle|>', '<|file_sep|>'], ['<fim_prefix>', '<fim_suffix>', '<fim_middle>', '<file_sep>']]) {
    const [prefix, suffix, middle, fileSeparator] = style.map((t) => tokenizer.specialTokenId(t));
    if (prefix !== undefined && suffix !== undefined && middle !== undefined) {
      return fileSeparator === undefined ? { prefix, suffix, middle } : { prefix, suffix, middle, fileSeparator };
    }
  }
  return null;
}

export class LocalEngine implements InferenceEngine {
  private target?: LoadedDecoder;
  private draft?: LoadedDecoder;
  private generator?: Generator;
  /** Generation and scoring run one request at a time (one session, one KV cache). */
  private queue: Promise<unknown> = Promise.resolve();
  /** The background warm-up after a load; every real request aborts it (at the end of the pass in flight). */
  private warmUp?: AbortController;
  /**
   * Loads and disposals, one after another: a dispose that came during a load waits for its sessions (releasing
   * them, or terminating the thread, while onnxruntime builds one aborts the process).
   */
  private lifecycle: Promise<unknown> = Promise.resolve();
  /** Counts dispose() calls, so a load in progress stops at its next step once one is asked for. */
  private disposals = 0;

  load(options: EngineLoadOptions, hooks: LoadHooks = {}): Promise<ModelInfo> {
    const disposals = this.disposals;
    return this.inTurn(() => this.loadNow(options, hooks, () => this.disposals !== disposals));
  }

  dispose(): Promise<void> {
    this.disposals++;
    this.warmUp?.abort();
    return this.inTurn(() => this.disposeNow());
  }

  private inTurn<T>(job: () => Promise<T>): Promise<T> {
    const run = this.lifecycle.then(job);
    this.lifecycle = run.catch(() => undefined);
    return run;
  }

  private async loadNow(options: EngineLoadOptions, hooks: LoadHooks, disposed: () => boolean): Promise<ModelInfo> {
    await this.disposeNow();
    const stopIfDisposed = async (...loaded: (LoadedDecoder | undefined)[]) => {
      if (!disposed()) return;
      await Promise.all(loaded.map((d) => d?.model.dispose()));
      throw new ModelNotReadyError('The model load was cancelled: the engine was disposed while it loaded.');
    };
    const dir = resolve(options.modelDir);
    // Before the tokenizer, whose own message would name its file in a folder that is not there.
    assertModelDirectory(dir);
    // This thread only decodes; the server encodes prompts with a tokenizer of its own.
    const tokenizer = TokenDecoder.fromDirectory(dir);
    await stopIfDisposed();
    const target = await loadDecoder(dir, options.quantization, options.threads, tokenizer.vocabSize, options.cacheFolder, hooks.onProgress);
    await stopIfDisposed(target);
    let draft: LoadedDecoder | undefined;
    let draftProblem: string | undefined;
    if (options.draftDir) {
      const draftDir = resolve(options.draftDir);
      await stopIfDisposed(target);
      try {
        // Before its load, which may write kept copies for minutes.
        if (!sameTokenizer(readFileSync(locateModelFiles(draftDir, options.quantization).tokenizer), readFileSync(target.files.tokenizer))) {
          throw new TokenizerMismatchError(
            `The draft model in ${draftDir} has a different tokenizer.json from the model in ${dir}.`,
            "Use a draft model trained with the target's tokenizer; if it is the same tokenizer, copy the target's tokenizer.json into the draft's folder.",
          );
        }
        draft = await loadDecoder(draftDir, options.quantization, options.threads, tokenizer.vocabSize, options.cacheFolder, (m) => hooks.onProgress?.(`Draft: ${m}`));
      } catch (e) {
        await draft?.model.dispose();
        draft = undefined;
        const error = toLocusError(e);
        draftProblem = `The draft model in ${draftDir} was not loaded, so speculation drafts by prompt lookup alone: ${asSentence(error.message)} ${error.fix}`;
      }
    }
    await stopIfDisposed(target, draft);
    const copies = [target.prefillCopy, draft?.prefillCopy && `Draft: ${draft.prefillCopy}`].filter((c) => c !== undefined);
    const prepared = [target.preparation, draft?.preparation && `Draft: ${draft.preparation}`].filter((c) => c !== undefined);
    const maxContext = target.config.maxPositionEmbeddings;
    this.target = target;
    this.draft = draft;
    // A control token is never text to show: generation ends at any of them as at EOS (at an indented blank line the
    // shipped model's likeliest token was `<|fim_prefix|>`, which had come back as the completion).
    const endIds = [...new Set([...target.config.eosTokenIds, ...tokenizer.controlTokenIds])];
    this.generator = new Generator({ model: target.model, draft: draft?.model, tokenizer, eosTokenIds: endIds, maxContext });
    if (options.warmUp) this.startWarmUp(this.generator, warmUpRequests(options.warmUp, maxContext, tokenizer.vocabSize));
    return {
      name: target.config.name ?? basename(dir),
      dir,
      onnxFile: target.files.onnxFile,
      ...(target.model.prefillFile !== undefined && { prefillFile: shownPath(dir, target.model.prefillFile) }),
      ...(copies.length > 0 && { prefillCopy: copies.join(' ') }),
      ...(prepared.length > 0 && { prepared: prepared.join(' ') }),
      ...(target.files.autoChoice !== undefined && { autoChoice: target.files.autoChoice }),
      ...(target.files.weightWarning !== undefined && { weightWarning: target.files.weightWarning }),
      quantization: target.files.quantization,
      vocabSize: tokenizer.vocabSize,
      maxContext,
      eosTokenIds: target.config.eosTokenIds,
      fim: findFimTokens(tokenizer),
      ...(draft && { draft: { name: draft.config.name ?? basename(draft.files.dir), onnxFile: draft.files.onnxFile } }),
      ...(draftProblem !== undefined && { draftProblem }),
    };
  }

  generate(request: GenerateRequest, hooks?: GenerateHooks): Promise<GenerateResult> {
    this.warmUp?.abort();
    const generator = this.generator;
    if (!generator) return Promise.reject(new ModelNotReadyError('generate() was called before a model was loaded.'));
    return this.enqueue(() => generator.generate(request, hooks));
  }

  draftLogProbs(ids: number[], signal?: AbortSignal): Promise<number[]> {
    this.warmUp?.abort();
    const draft = this.draft;
    if (!draft) return Promise.reject(new ModelNotReadyError('draftLogProbs() needs a draft model, and none is loaded.'));
    return this.enqueue(() => tokenLogProbs(draft.model, draft.config.maxPositionEmbeddings, ids, signal));
  }

  private startWarmUp(generator: Generator, requests: GenerateRequest[]): void {
    const controller = new AbortController();
    this.warmUp = controller;
    void this.enqueue(async () => {
      try {
        for (const request of requests) if (!controller.signal.aborted) await generator.generate(request, { signal: controller.signal });
      } finally {
        // Its states would only take room from the user's prompts, and its speeds and acceptance are not theirs.
        generator.clearPrefixCache();
        generator.resetSpeculationTuning();
      }
    }).catch(() => {
      // A failure here is the model's, and the first real request meets and reports it.
    });
  }

  /** Resolves once every job queued so far has run, the warm-up after a load included. */
  idle(): Promise<void> {
    return this.queue.then(() => undefined);
  }

  private enqueue<T>(job: () => Promise<T>): Promise<T> {
    const run = this.queue.then(job);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async disposeNow(): Promise<void> {
    this.warmUp?.abort();
    // Unset before waiting: a request made while the jobs queued so far finish would run on released sessions.
    const models = [this.target?.model, this.draft?.model];
    this.target = this.draft = this.generator = undefined;
    await this.queue;
    await Promise.all(models.map((m) => m?.dispose()));
  }
}

/** The same tokenizer file, byte for byte or once parsed (a copy saved again with other whitespace was refused). */
export function sameTokenizer(a: Buffer, b: Buffer): boolean {
  if (a.equals(b)) return true;
  try {
    return JSON.stringify(JSON.parse(a.toString('utf8'))) === JSON.stringify(JSON.parse(b.toString('utf8')));
  } catch {
    return false;
  }
}

/** The embedded default pair, relative to the extension root. */
export const defaultModelDirs = (extensionRoot: string) => ({
  modelDir: join(extensionRoot, 'models', 'default', 'target'),
  draftDir: join(extensionRoot, 'models', 'default', 'draft'),
});

/** `file` relative to the model folder `dir` when inside it (the folder's own files), else absolute (a cached copy). */
function shownPath(dir: string, file: string): string {
  const inside = relative(dir, file);
  return inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside) ? file : inside;
}
