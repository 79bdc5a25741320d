// Runs every candidate against the checks in its own sandbox, one after the other (never in parallel: parallel
// runs would contaminate each other's timings), and decides pass/fail in this process from the values they
// returned. Expected values of examples come from a reference run that loads no candidate; on generated
// (differential) inputs the plain suggestion is the reference, and only when it passes every example: agreement
// among samples proves nothing (two samples with the same bug outvoted a correct suggestion).
import type { Check } from './checkBuilder';
import { checkLabels, deniedDetail, errorDetail, lackedModules, unavailableDetail, type ImportRun } from './checkFailures';
import type { FunctionTarget } from './functionTarget';
import { toCommonJs } from './functionTarget';
import { NO_MODULE_CONTEXT, type ModuleContext } from './moduleDefinitions';
import { NODE_CANDIDATE_FILE, NODE_HARNESS_FILE, NODE_HARNESS_SOURCE } from './nodeHarness';
import { PYTHON_CANDIDATE_FILE, PYTHON_HARNESS_FILE, PYTHON_HARNESS_SOURCE } from './pythonHarness';
import { looksComplete, newRunKey, signedFrames, timingsPlausible, verifyChannel, type Frame } from './resultChannel';
import type { SandboxRuntime } from './sandboxRuntimes';
import type { SandboxLimits, SandboxRun, SandboxRunner } from './sandboxRunner';
import { valuesEqual } from './valueEquality';

/**
 * Exhaustive and distinct; nothing but `pass` is ever ranked as correct. `unavailable`: it failed only on names bound
 * by imports the sandbox could not load (numpy, a workspace module), so it was not checked: neither right nor wrong.
 */
export type CandidateOutcome = 'pass' | 'fail' | 'timeout' | 'memory-limit' | 'runtime-error' | 'sandbox-denied' | 'unavailable' | 'invalid-output' | 'infra-error';

export interface CheckResult {
  ok: boolean;
  value?: unknown;
  error?: string;
  medianNs?: number;
  totalNs?: number;
}

export interface CandidateResult {
  index: number;
  outcome: CandidateOutcome;
  checksPassed: number;
  checksTotal: number;
  /** Sum of per-check median call times (ns); comparable only between candidates that ran the same checks. */
  timeNs: number;
  /** Peak RSS above the reference run's (an empty candidate on the same runtime and flags). */
  memoryBytes: number;
  cpuMs: number;
  detail?: string;
  checks: Map<string, CheckResult>;
}

export interface Repetitions {
  warmup: number;
  min: number;
  max: number;
  budgetMs: number;
}

export const DEFAULT_REPETITIONS: Repetitions = { warmup: 2, min: 5, max: 31, budgetMs: 60 };

export interface EvaluationInput {
  target: FunctionTarget;
  /**
   * Full function source per candidate (TypeScript already allowed: types are stripped here). The first is the
   * plain (greedy) suggestion: the reference for generated inputs when it passes every example.
   */
  sources: string[];
  /** Per source, the module-level definitions it needs (moduleContext.ts); none where absent. */
  contexts?: ModuleContext[];
  checks: Check[];
  typescript: boolean;
  runtime: SandboxRuntime;
  runner: SandboxRunner;
  limits: SandboxLimits;
  repetitions?: Repetitions;
  signal?: AbortSignal;
}

export interface Evaluation {
  results: CandidateResult[];
  /** Checks that count: examples with an evaluable expected value, differential inputs the reference answered. */
  checkIds: string[];
  reference: SandboxRun;
  /** Whether the plain suggestion's values were expected on generated inputs (see {@link decideExpectations}). */
  plainIsReference: boolean;
}

/**
 * What the candidates must return. `explicit`: the evaluated expected values of examples and tests. When the plain
 * suggestion (`plain`: its check results, null when it did not run) passes every explicit check (none counts as
 * passing), its values on the generated inputs are expected too, so a candidate counts as correct only if it
 * behaves like the suggestion it would replace. Otherwise only the explicit checks count: a candidate may then
 * replace the failing suggestion by passing all of them, and with none nothing can (no promotion on generated
 * inputs alone). A generated input the plain suggestion raised on is not checked.
 */
export function decideExpectations(
  explicit: ReadonlyMap<string, unknown>,
  differentialIds: readonly string[],
  plain: ReadonlyMap<string, CheckResult> | null,
): { expected: Map<string, unknown>; plainIsReference: boolean } {
  const expected = new Map(explicit);
  const plainPasses = plain !== null && [...explicit].every(([id, value]) => {
    const result = plain.get(id);
    return result?.ok === true && valuesEqual(result.value, value);
  });
  if (!plainPasses) return { expected, plainIsReference: false };
  for (const id of differentialIds) {
    const result = plain.get(id);
    if (result?.ok) expected.set(id, result.value);
  }
  return { expected, plainIsReference: true };
}

export interface CompileInput {
  target: FunctionTarget;
  sources: string[];
  runtime: SandboxRuntime;
  runner: SandboxRunner;
  limits: SandboxLimits;
  signal?: AbortSignal;
}

/**
 * Per source: null when it compiles, else why not. Python sources are compiled (never run) in the sandbox, in one
 * run; TypeScript and JavaScript were already parsed in-process (functionTarget.ts), so they all answer null, as
 * do sources whose compile run did not report (their load fails in the candidate run instead).
 */
export async function compileErrors(input: CompileInput): Promise<(string | null)[]> {
  const none = input.sources.map(() => null);
  if (input.target.language !== 'python' || input.sources.length === 0) return none;
  const files = candidateFiles(input.target, '', false);
  const verified = await runHarness(input, files, { mode: 'compile', sources: input.sources });
  if (!verified.frames) return none;
  const reported = checkFrames(verified.frames);
  return input.sources.map((_, index) => {
    const result = reported.get(String(index));
    return result && !result.ok ? (result.error ?? 'does not compile') : null;
  });
}

/**
 * The sandbox's files for one candidate: the function between the module-level definitions it needs. They run when
 * the candidate loads, so their time is never in the call times the ranking compares.
 */
export function candidateFiles(target: FunctionTarget, source: string, typescript: boolean, context: ModuleContext = NO_MODULE_CONTEXT): Record<string, string> {
  const program = candidateProgram(source, context);
  if (target.language === 'python') return { [PYTHON_HARNESS_FILE]: PYTHON_HARNESS_SOURCE, [PYTHON_CANDIDATE_FILE]: program };
  const exporter = `\nmodule.exports.__locus_target = typeof ${target.name} === 'function' ? ${target.name} : undefined;\n`;
  return { [NODE_HARNESS_FILE]: NODE_HARNESS_SOURCE, [NODE_CANDIDATE_FILE]: toCommonJs(program, typescript) + exporter };
}

function candidateProgram(source: string, context: ModuleContext): string {
  return `${context.before}${source}\n${context.after}`;
}

function harnessEntry(target: FunctionTarget): string {
  return target.language === 'python' ? PYTHON_HARNESS_FILE : NODE_HARNESS_FILE;
}

interface VerifiedRun {
  run: SandboxRun;
  frames: Frame[] | null;
  reason?: string;
  /** Whether the harness said it loaded the candidate (or failed to), even in a run stopped later. */
  reachedLoad: boolean;
}

async function runHarness(input: Pick<EvaluationInput, 'runner' | 'runtime' | 'limits' | 'signal' | 'target'>, files: Record<string, string>, job: Record<string, unknown>): Promise<VerifiedRun> {
  const key = newRunKey();
  const stdin = JSON.stringify({ ...job, key: key.toString('hex') });
  const run = await input.runner.run(input.runtime, { files, entry: harnessEntry(input.target), stdin }, input.limits, {
    isComplete: looksComplete,
    signal: input.signal,
  });
  if (run.status !== 'completed') return { run, frames: null, reachedLoad: signedFrames(run.channel, key).some((frame) => frame.type === 'load') };
  const verdict = verifyChannel(run.channel, key);
  return verdict.ok ? { run, frames: verdict.frames, reachedLoad: true } : { run, frames: null, reason: verdict.reason, reachedLoad: false };
}

/** The strings of a frame's list (the harness is not trusted to send one). */
function stringsIn(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

function checkFrames(frames: Frame[]): Map<string, CheckResult> {
  const map = new Map<string, CheckResult>();
  for (const frame of frames) {
    if (frame.type !== 'check') continue;
    const body = frame.body as CheckResult & { id: string };
    map.set(String(body.id), body);
  }
  return map;
}

const DENIED = /ERR_ACCESS_DENIED|EACCES|EPERM|EROFS|PermissionError/;
/** Node's and Python's words for a full /sbx/tmp (ENOSPC) and a file past RLIMIT_FSIZE (EFBIG). */
const DISK_FULL = /\bENOSPC\b|\bEFBIG\b|\[Errno 2[78]\]/;
/** A process that does not ignore SIGXFSZ dies of it (bubblewrap reports 128 + 25). */
const SIGXFSZ_EXIT = 153;

function diskLimitDetail(limits: SandboxLimits): string {
  return `wrote more than ${+(limits.diskBytes / 2 ** 20).toFixed(1)} MiB to disk (the sandbox's limit)`;
}

function failedRunOutcome(verified: VerifiedRun, limits: SandboxLimits): { outcome: CandidateOutcome; detail: string } {
  const { run } = verified;
  switch (run.status) {
    case 'timeout':
      return { outcome: 'timeout', detail: 'ran past the time limit' };
    case 'memory-limit':
      return { outcome: 'memory-limit', detail: 'ran past the memory limit' };
    case 'output-limit':
      return { outcome: 'invalid-output', detail: 'printed more than the output limit' };
    case 'aborted':
    case 'infra-error':
      return { outcome: 'infra-error', detail: run.infraError ?? 'the sandbox did not start' };
    case 'completed':
      return { outcome: 'invalid-output', detail: verified.reason ?? 'results could not be verified' };
    case 'exited':
      if (/heap out of memory|MemoryError|allocation failed/i.test(run.stderr)) return { outcome: 'memory-limit', detail: 'ran out of memory' };
      if (run.signal === 'SIGXCPU' || run.exitCode === 152) return { outcome: 'timeout', detail: 'ran past the CPU limit' };
      if (run.signal === 'SIGXFSZ' || run.exitCode === SIGXFSZ_EXIT || DISK_FULL.test(run.stderr)) return { outcome: 'runtime-error', detail: diskLimitDetail(limits) };
      return { outcome: run.exitCode === 0 ? 'fail' : 'runtime-error', detail: 'exited before reporting results' };
  }
}

/** e.g. "its module-level definitions (PATTERN, helper) failed: NameError: ..."; names beyond four are counted. */
function moduleCodeDetail(context: ModuleContext, what: string): string {
  const shown = context.names.slice(0, 4).join(', ') + (context.names.length > 4 ? `, ${context.names.length - 4} more` : '');
  return `its module-level definitions (${shown}) ${what}`;
}

/**
 * Why a run failed, said of the module-level definitions when it stopped before the candidate loaded: they run first,
 * so a file they read that is not in the sandbox, or a table that takes too long to build, fails every candidate.
 */
function failureDetail(verified: VerifiedRun, limits: SandboxLimits, context: ModuleContext): { outcome: CandidateOutcome; detail: string } {
  const failed = failedRunOutcome(verified, limits);
  const stoppedEarly = ['timeout', 'memory-limit', 'output-limit', 'exited'].includes(verified.run.status);
  return stoppedEarly && !verified.reachedLoad && context.names.length > 0 ? { ...failed, detail: moduleCodeDetail(context, failed.detail) } : failed;
}

export async function evaluateCandidates(input: EvaluationInput): Promise<Evaluation> {
  const { target, checks } = input;
  const reps = input.repetitions ?? DEFAULT_REPETITIONS;
  const expectationChecks = checks.filter((check) => check.expectedSource !== undefined);
  const reference = await runHarness(input, candidateFiles(target, '', input.typescript), {
    mode: 'reference',
    functionName: target.name,
    checks: expectationChecks.map((check) => ({ id: check.id, expectedSource: check.expectedSource })),
  });
  const expected = new Map<string, unknown>();
  for (const [id, result] of checkFrames(reference.frames ?? [])) if (result.ok) expected.set(id, result.value);
  const baselineCpuMs = reference.run.cpuMs;
  const baselinePeak = reference.run.peakRssBytes;

  const job = {
    mode: 'candidate',
    functionName: target.name,
    reps,
    checks: checks
      .filter((check) => check.kind === 'differential' || expected.has(check.id))
      .map((check) => (check.args !== undefined ? { id: check.id, args: check.args } : { id: check.id, callSource: check.callSource, argsSource: check.argsSource })),
  };
  const runs: VerifiedRun[] = [];
  const contexts = input.sources.map((_, index) => input.contexts?.[index] ?? NO_MODULE_CONTEXT);
  for (const [index, source] of input.sources.entries()) {
    if (input.signal?.aborted) break;
    runs.push(await runHarness(input, candidateFiles(target, source, input.typescript, contexts[index]), job));
  }

  const verified = runs.map((run) => (run.frames ? checkFrames(run.frames) : null));
  const plainLoaded = runs[0]?.frames?.find((frame) => frame.type === 'load')?.body as { ok?: boolean } | undefined;
  const decided = decideExpectations(
    expected,
    checks.filter((check) => check.kind === 'differential').map((check) => check.id),
    plainLoaded?.ok ? (verified[0] ?? null) : null,
  );
  const checkIds = checks.map((check) => check.id).filter((id) => decided.expected.has(id));
  const labels = checkLabels(checks);

  const results = runs.map((verifiedRun, index): CandidateResult => {
    const { run } = verifiedRun;
    const base = {
      index,
      checksTotal: checkIds.length,
      cpuMs: run.cpuMs,
      memoryBytes: Math.max(0, run.peakRssBytes - baselinePeak),
      checks: verified[index] ?? new Map<string, CheckResult>(),
    };
    if (!verifiedRun.frames) return { ...base, ...failureDetail(verifiedRun, input.limits, contexts[index]), checksPassed: 0, timeNs: Infinity };
    const load = verifiedRun.frames.find((frame) => frame.type === 'load')?.body as { ok: boolean; error?: string; loadNs?: number } | undefined;
    const done = verifiedRun.frames[verifiedRun.frames.length - 1].body as { failedImports?: unknown };
    const imports: ImportRun = { failedImports: stringsIn(done.failedImports), program: candidateProgram(input.sources[index], contexts[index]) };
    if (!load?.ok) {
      // A module-level definition that reads a name whose import failed fails the load: not the candidate's doing.
      const lacked = lackedModules(load?.error, contexts[index].mayLack, imports);
      if (lacked.length > 0) return { ...base, outcome: 'unavailable', detail: unavailableDetail(lacked, target.language), checksPassed: 0, timeNs: Infinity };
      const error = load?.error && DISK_FULL.test(load.error) ? diskLimitDetail(input.limits) : load?.error ? load.error : 'did not load';
      // Loading runs the module-level definitions and then only defines the function: a failure there is theirs.
      const detail = contexts[index].names.length > 0 ? moduleCodeDetail(contexts[index], `failed: ${error}`) : error;
      return { ...base, outcome: 'runtime-error', detail, checksPassed: 0, timeNs: Infinity };
    }
    let passed = 0;
    let timeNs = 0;
    let reportedNs = load.loadNs ?? 0;
    let denied: string | undefined;
    let diskFull = false;
    let raised: string | undefined;
    const lacked: string[] = [];
    let failedOtherwise = false;
    for (const id of checkIds) {
      const result = base.checks.get(id);
      timeNs += result?.medianNs ?? 0;
      if (result?.ok && valuesEqual(result.value, decided.expected.get(id))) {
        passed++;
        continue;
      }
      const modules = lackedModules(result?.error, contexts[index].mayLack, imports);
      if (modules.length > 0) lacked.push(...modules);
      else failedOtherwise = true;
      if (result?.error === undefined) continue;
      if (DENIED.test(result.error)) denied ??= deniedDetail(result.error, labels.get(id) ?? id);
      if (DISK_FULL.test(result.error)) diskFull = true;
      raised ??= errorDetail(result.error, labels.get(id) ?? id);
    }
    for (const result of base.checks.values()) reportedNs += result.totalNs ?? 0;
    if (!timingsPlausible(reportedNs / 1e6, run.cpuMs, baselineCpuMs)) {
      return { ...base, outcome: 'invalid-output', detail: 'reported timings disagree with the CPU time the system measured', checksPassed: passed, timeNs };
    }
    const counted = { ...base, checksPassed: passed, timeNs };
    if (checkIds.length > 0 && passed === checkIds.length) return { ...counted, outcome: 'pass' };
    if (lacked.length > 0 && !failedOtherwise) return { ...counted, outcome: 'unavailable', detail: unavailableDetail(lacked, target.language) };
    if (denied !== undefined) return { ...counted, outcome: 'sandbox-denied', detail: denied };
    return { ...counted, outcome: 'fail', ...(diskFull ? { detail: diskLimitDetail(input.limits) } : raised !== undefined ? { detail: raised } : {}) };
  });
  return { results, checkIds, reference: reference.run, plainIsReference: decided.plainIsReference };
}
