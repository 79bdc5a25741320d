// The efficiency-check feature: after the plain suggestion has been shown, sample more candidates for a completion
// that writes a whole function body, run them all against the function's checks in the sandbox, and rank them. It runs
// only when enabled and the workspace is trusted, only on runtimes the isolation self-test confirmed, one
// refinement at a time (a newer request aborts the older), and never throws: a failure logs and refines nothing.
import type { SamplingOptions } from '../../runtime/engine';
import { buildChecks } from './checkBuilder';
import { compileErrors, DEFAULT_REPETITIONS, evaluateCandidates, type CandidateOutcome, type CandidateResult, type CompileInput, type Evaluation, type EvaluationInput, type Repetitions } from './candidateEvaluator';
import { offersOtherFirst, rankCandidates, summarize } from './candidateRanker';
import { findFunctionTarget, textWithCompletion } from './functionTarget';
import type { SelfTestResult } from './isolationSelfTest';
import { moduleContexts } from './moduleContext';
import { NEEDS_EVENT_LOOP } from './pythonHarness';
import { DEFAULT_LIMITS, SandboxRunner, type SandboxLimits } from './sandboxRunner';
import type { TestFile } from './workspaceTestCalls';

export interface EfficiencyOptions {
  enabled: boolean;
  /** Sampled candidates in addition to the greedy one. */
  samples: number;
  temperature: number;
  topP: number;
  limits: SandboxLimits;
  repetitions: Repetitions;
}

export const DEFAULT_EFFICIENCY_OPTIONS: EfficiencyOptions = {
  enabled: false,
  samples: 4,
  temperature: 0.8,
  topP: 0.95,
  limits: DEFAULT_LIMITS,
  repetitions: DEFAULT_REPETITIONS,
};

export interface EfficiencyRequest {
  uri: string;
  version: number;
  languageId: string;
  /** Document text without the completion. */
  text: string;
  offset: number;
  /** The plain (greedy) suggestion: what was shown, or all of the block whose first lines were shown. */
  greedy: string;
  /** One more completion for the same prompt with other sampling (post-processed like the plain one). */
  sample: (sampling: SamplingOptions, signal: AbortSignal) => Promise<string>;
  signal?: AbortSignal;
}

/** What the completion provider needs from the feature (EfficiencyChecker implements it). */
export interface CompletionRefiner {
  /** Completions to offer, best first, if a refinement finished for exactly this version and offset. */
  offerFirst(uri: string, version: number, offset: number): string[] | undefined;
  /** A new request elsewhere: stop a refinement that is running for another version or offset. */
  cancelOthers(uri: string, version: number, offset: number): void;
  /** The plain suggestion went out; refine it in the background. */
  afterSuggestion(request: EfficiencyRequest): void;
  /**
   * Whether a block suggestion may be checked (on, trusted, isolation not found missing): it is then written whole, as
   * a check needs the whole body, though it shows only the lines the model was sure of.
   */
  checksBlocks(): boolean;
}

export interface RankedCompletion {
  text: string;
  outcome: CandidateOutcome;
  checksPassed: number;
  checksTotal: number;
  timeNs: number;
  memoryBytes: number;
  isGreedy: boolean;
  detail?: string;
}

export interface EfficiencyRefinement {
  uri: string;
  version: number;
  offset: number;
  functionName: string;
  /** Best first; `ranked[0].text` is the completion to offer first. */
  ranked: RankedCompletion[];
  /** Whether a candidate other than the plain suggestion is offered first (a passing one). */
  improved: boolean;
  summary: string;
  durationMs: number;
}

export type EfficiencyAvailability =
  | { state: 'disabled'; reason: string }
  | { state: 'untrusted'; reason: string }
  | { state: 'checking-isolation' }
  | { state: 'unavailable'; reason: string }
  | { state: 'ready'; languages: string[]; reasons: string[] };

export interface EfficiencyLogger {
  info(message: string): void;
  warn(message: string): void;
}

export interface EfficiencyCheckerDeps {
  options: () => EfficiencyOptions;
  /** Workspace Trust, as the client reports it. */
  isTrusted: () => boolean;
  /** A suggestion was not refined, with the checks enabled, because the workspace is not trusted. */
  onUntrusted?: () => void;
  selfTest: () => Promise<SelfTestResult>;
  evaluate?: (input: EvaluationInput) => Promise<Evaluation>;
  /** Per source, why it does not compile (null: it does); Python only, in the sandbox (see compileErrors). */
  compile?: (input: CompileInput) => Promise<(string | null)[]>;
  logger: EfficiencyLogger;
  /** Milliseconds, monotonic. */
  clock: () => number;
  /** Seed of the generated differential inputs (fixed, so reruns check the same inputs). */
  inputSeed?: number;
  /** A background refinement finished (for the client: status bar text, re-trigger of the suggestion). */
  onRefined?: (refinement: EfficiencyRefinement) => void;
  /** Workspace test files that mention the function (read only once a target was found). */
  testFiles?: (functionName: string, signal: AbortSignal) => Promise<TestFile[]>;
  /** Resolves when no completion is being answered: reading the file's module-level definitions waits for it between slices. */
  foregroundIdle?: () => Promise<void>;
}

export class EfficiencyChecker implements CompletionRefiner {
  private selfTest: Promise<SelfTestResult> | undefined;
  private selfTestResult: SelfTestResult | undefined;
  private running: { controller: AbortController; uri: string; version: number; offset: number } | undefined;
  private latest: EfficiencyRefinement | undefined;

  constructor(private readonly deps: EfficiencyCheckerDeps) {}

  availability(): EfficiencyAvailability {
    if (!this.deps.options().enabled) return { state: 'disabled', reason: 'Efficiency checks are off (setting locus.efficiency.enabled).' };
    if (!this.deps.isTrusted()) return { state: 'untrusted', reason: 'Efficiency checks are off in this untrusted workspace: they run generated code, so they start once the workspace is trusted.' };
    const result = this.selfTestResult;
    if (!result) return { state: 'checking-isolation' };
    const languages = Object.keys(result.runtimes);
    if (languages.length === 0) return { state: 'unavailable', reason: result.reasons.join(' ') || 'Isolation could not be confirmed.' };
    return { state: 'ready', languages, reasons: result.reasons };
  }

  /** Starts the isolation self-test (once) when the feature is enabled and trusted; resolves when it is known. */
  async prepare(): Promise<EfficiencyAvailability> {
    if (!this.deps.options().enabled || !this.deps.isTrusted()) return this.availability();
    this.selfTest ??= this.deps.selfTest().then(
      (result) => {
        this.selfTestResult = result;
        for (const reason of result.reasons) this.deps.logger.warn(reason);
        return result;
      },
      (error: unknown) => {
        const result: SelfTestResult = { runtimes: {}, tools: null, reasons: [`Isolation self-test failed: ${String(error)}`], durationMs: 0 };
        this.selfTestResult = result;
        this.deps.logger.warn(result.reasons[0]);
        return result;
      },
    );
    await this.selfTest;
    return this.availability();
  }

  /**
   * The workspace folders changed: the self-test's verdict may not hold for them (its temporary folder must lie outside
   * every one), so the next `prepare` runs it again; a refinement checked under the old verdict stops.
   */
  forgetIsolation(): void {
    this.selfTest = undefined;
    this.selfTestResult = undefined;
    this.cancel();
  }

  /**
   * After the plain suggestion went out: refine it in the background. A new completion request must call
   * `cancel()` first, so sampling and measuring never compete with the suggestion the user is waiting for.
   */
  checksBlocks(): boolean {
    const { state } = this.availability();
    return state === 'ready' || state === 'checking-isolation';
  }

  afterSuggestion(request: EfficiencyRequest): void {
    void this.refine(request).then((refinement) => {
      if (refinement) this.deps.onRefined?.(refinement);
    });
  }

  /** Stops the running refinement (sampling and sandbox runs end within a decoding step or a kill). */
  cancel(): void {
    this.running?.controller.abort();
  }

  cancelOthers(uri: string, version: number, offset: number): void {
    const running = this.running;
    if (running && (running.uri !== uri || running.version !== version || running.offset !== offset)) running.controller.abort();
  }

  /** Completions to offer, best first, when a refinement finished for exactly this version and position. */
  offerFirst(uri: string, version: number, offset: number): string[] | undefined {
    const refinement = this.lookup(uri, version, offset);
    if (!refinement || refinement.ranked[0]?.outcome !== 'pass') return undefined;
    const passing = refinement.ranked.filter((candidate) => candidate.outcome === 'pass').map((candidate) => candidate.text);
    const greedy = refinement.ranked.find((candidate) => candidate.isGreedy)?.text;
    return greedy === undefined || passing.includes(greedy) ? passing : [...passing, greedy];
  }

  /** The refinement for exactly this document version and position, if one finished. */
  lookup(uri: string, version: number, offset: number): EfficiencyRefinement | undefined {
    const latest = this.latest;
    return latest && latest.uri === uri && latest.version === version && latest.offset === offset ? latest : undefined;
  }

  /** Never throws; null when the request does not qualify, was aborted, or nothing could be checked. */
  async refine(request: EfficiencyRequest): Promise<EfficiencyRefinement | null> {
    this.running?.controller.abort();
    const controller = new AbortController();
    const running = { controller, uri: request.uri, version: request.version, offset: request.offset };
    this.running = running;
    const signal = request.signal ? AbortSignal.any([request.signal, controller.signal]) : controller.signal;
    try {
      return await this.refineUnguarded(request, signal);
    } catch (error) {
      this.deps.logger.warn(`Efficiency check failed for ${request.uri}: ${String(error)}`);
      return null;
    } finally {
      if (this.running === running) this.running = undefined;
    }
  }

  private async refineUnguarded(request: EfficiencyRequest, signal: AbortSignal): Promise<EfficiencyRefinement | null> {
    const started = this.deps.clock();
    const options = this.deps.options();
    if (!options.enabled) return null;
    if (!this.deps.isTrusted()) {
      this.deps.onUntrusted?.();
      return null;
    }
    const target = findFunctionTarget(request.text, request.offset, request.greedy, request.languageId);
    // Only a completion that writes the whole body is a candidate body: a line in the middle of one, judged as
    // the body, was replaced by any one-liner that passed the examples.
    if (!target?.wholeBody) return null;
    await this.prepare();
    const runtime = this.selfTestResult?.runtimes[target.language];
    const tools = this.selfTestResult?.tools;
    if (!runtime || !tools || signal.aborted) return null;
    const runner = new SandboxRunner(tools);
    const compile = (sources: string[]) => (this.deps.compile ?? compileErrors)({ target, sources, runtime, runner, limits: options.limits, signal });
    // Like a TypeScript suggestion that does not parse (findFunctionTarget), a Python one that does not compile
    // is nothing to refine.
    const [greedyError] = await compile([target.source]);
    if (greedyError || signal.aborted) {
      if (greedyError) this.deps.logger.info(`Efficiency check skipped for ${target.name}: the suggestion does not compile (${greedyError}).`);
      return null;
    }

    const testFiles = this.deps.testFiles ? await this.deps.testFiles(target.name, signal) : [];
    const checks = buildChecks(target, testFiles, this.deps.inputSeed ?? 0x10c05);
    if (checks.length === 0) return null;

    const texts = [request.greedy];
    for (let seed = 1; seed <= options.samples && !signal.aborted; seed++) {
      const text = await request.sample({ temperature: options.temperature, topK: 0, topP: options.topP, seed }, signal);
      if (text.trim() !== '' && !texts.some((known) => known.trim() === text.trim())) texts.push(text);
    }
    if (signal.aborted) return null;
    // Each candidate is re-read as a whole function; one that no longer parses, or defines another function, is out,
    // and so is one that does not compile (it is never run).
    const rejected = new Map<number, string>();
    const sources = texts.map((text, index) => {
      if (index === 0) return target.source;
      const own = findFunctionTarget(request.text, request.offset, text, request.languageId);
      if (own && own.name === target.name) return own.source;
      rejected.set(index, 'does not parse as the same function');
      return null;
    });
    const sampled = sources.map((source, index) => ({ source, index })).filter((entry): entry is { source: string; index: number } => entry.source !== null && entry.index > 0);
    const sampleErrors = await compile(sampled.map((entry) => entry.source));
    if (signal.aborted) return null;
    sampled.forEach((entry, position) => {
      const error = sampleErrors[position];
      if (error) rejected.set(entry.index, `does not compile (${error})`);
    });
    const runnable = sources.map((source, index) => ({ source, index })).filter((entry): entry is { source: string; index: number } => entry.source !== null && !rejected.has(entry.index));
    // Only the function is a candidate: the module-level definitions it uses (constants, helpers, classes) come from
    // the file, the same for every candidate, and run before it.
    const contexts = await moduleContexts({
      text: textWithCompletion(request.text, request.offset, request.greedy),
      offset: request.offset,
      functionName: target.name,
      languageId: request.languageId,
      sources: runnable.map((entry) => entry.source),
      checkSources: checks.flatMap((check) => (check.callSource === undefined ? [] : [check.callSource])),
    }, { pause: this.deps.foregroundIdle, signal });
    if (signal.aborted) return null;
    const evaluate = this.deps.evaluate ?? evaluateCandidates;
    const evaluation = await evaluate({
      target,
      sources: runnable.map((entry) => entry.source),
      contexts,
      checks,
      typescript: request.languageId.startsWith('typescript'),
      runtime,
      runner,
      limits: options.limits,
      repetitions: options.repetitions,
      signal,
    });
    if (signal.aborted || evaluation.checkIds.length === 0) return null;
    // A plain suggestion whose coroutine waits on an event loop cannot be checked here (the sandbox runs none): it did
    // not fail, so a sample that never waits must not replace it as passing where it failed.
    if ([...(evaluation.results[0]?.checks.values() ?? [])].some((check) => NEEDS_EVENT_LOOP.test(check.error ?? ''))) {
      this.deps.logger.info(`Efficiency check skipped for ${target.name}: the suggestion waits on something only an event loop resumes, and the sandbox runs none.`);
      return null;
    }
    const results: CandidateResult[] = texts.map((_, index) => {
      const position = runnable.findIndex((entry) => entry.index === index);
      const evaluated = position >= 0 ? evaluation.results[position] : undefined;
      return evaluated
        ? { ...evaluated, index }
        : { index, outcome: 'runtime-error', detail: rejected.get(index) ?? 'was not run', checksPassed: 0, checksTotal: evaluation.checkIds.length, timeNs: Infinity, memoryBytes: 0, cpuMs: 0, checks: new Map() };
    });
    const ranked = rankCandidates(results, 0);
    const refinement: EfficiencyRefinement = {
      uri: request.uri,
      version: request.version,
      offset: request.offset,
      functionName: target.name,
      ranked: ranked.map((candidate) => ({
        text: texts[candidate.index],
        outcome: candidate.outcome,
        checksPassed: candidate.checksPassed,
        checksTotal: candidate.checksTotal,
        timeNs: candidate.timeNs,
        memoryBytes: candidate.memoryBytes,
        isGreedy: candidate.isGreedy,
        detail: candidate.detail,
      })),
      improved: offersOtherFirst(ranked),
      summary: summarize(ranked),
      durationMs: this.deps.clock() - started,
    };
    this.latest = refinement;
    return refinement;
  }
}
