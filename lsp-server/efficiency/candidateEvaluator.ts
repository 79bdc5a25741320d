// Runs every candidate against the checks in its own sandbox, one after the other (never in parallel: parallel
// runs would contaminate each other's timings), and decides pass/fail in this process from the values they
// returned. Expected values of examples come from a reference run that loads no candidate; differential checks
// expect the value most candidates agree on.
import type { Check } from './checkBuilder';
import type { FunctionTarget } from './functionTarget';
import { stripTypes } from './functionTarget';
import { NODE_CANDIDATE_FILE, NODE_HARNESS_FILE, NODE_HARNESS_SOURCE } from './nodeHarness';
import { PYTHON_CANDIDATE_FILE, PYTHON_HARNESS_FILE, PYTHON_HARNESS_SOURCE } from './pythonHarness';
import { looksComplete, newRunKey, timingsPlausible, verifyChannel, type Frame } from './resultChannel';
import type { SandboxRuntime } from './sandboxRuntimes';
import type { SandboxLimits, SandboxRun, SandboxRunner } from './sandboxRunner';
import { valueKey, valuesEqual } from './valueEquality';

/** Exhaustive and distinct; nothing but `pass` is ever ranked as correct. */
export type CandidateOutcome = 'pass' | 'fail' | 'timeout' | 'memory-limit' | 'runtime-error' | 'sandbox-denied' | 'invalid-output' | 'infra-error';

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
  /** Full function source per candidate (TypeScript already allowed: types are stripped here). */
  sources: string[];
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
  /** Checks that count: examples with an evaluable expected value, differential inputs with a majority. */
  checkIds: string[];
  reference: SandboxRun;
}

export function candidateFiles(target: FunctionTarget, source: string, typescript: boolean): Record<string, string> {
  if (target.language === 'python') {
    const imports = target.imports.map((line) => `try:\n    ${line.trim()}\nexcept ImportError:\n    pass\n`).join('');
    return { [PYTHON_HARNESS_FILE]: PYTHON_HARNESS_SOURCE, [PYTHON_CANDIDATE_FILE]: imports + source };
  }
  const script = typescript ? stripTypes(source) : source;
  const exporter = `\nmodule.exports.__locus_target = typeof ${target.name} === 'function' ? ${target.name} : undefined;\n`;
  return { [NODE_HARNESS_FILE]: NODE_HARNESS_SOURCE, [NODE_CANDIDATE_FILE]: script + exporter };
}

function harnessEntry(target: FunctionTarget): string {
  return target.language === 'python' ? PYTHON_HARNESS_FILE : NODE_HARNESS_FILE;
}

interface VerifiedRun {
  run: SandboxRun;
  frames: Frame[] | null;
  reason?: string;
}

async function runHarness(input: EvaluationInput, files: Record<string, string>, job: Record<string, unknown>): Promise<VerifiedRun> {
  const key = newRunKey();
  const stdin = JSON.stringify({ ...job, key: key.toString('hex') });
  const run = await input.runner.run(input.runtime, { files, entry: harnessEntry(input.target), stdin }, input.limits, {
    isComplete: looksComplete,
    signal: input.signal,
  });
  if (run.status !== 'completed') return { run, frames: null };
  const verdict = verifyChannel(run.channel, key);
  return verdict.ok ? { run, frames: verdict.frames } : { run, frames: null, reason: verdict.reason };
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
  for (const source of input.sources) {
    if (input.signal?.aborted) break;
    runs.push(await runHarness(input, candidateFiles(target, source, input.typescript), job));
  }

  // Differential expectations: the value a strict majority of the verified runs returned.
  const verified = runs.map((run) => (run.frames ? checkFrames(run.frames) : null));
  const voters = verified.filter((map): map is Map<string, CheckResult> => map !== null);
  for (const check of checks.filter((c) => c.kind === 'differential')) {
    const votes = new Map<string, { count: number; value: unknown }>();
    for (const map of voters) {
      const result = map.get(check.id);
      if (!result?.ok) continue;
      const key = valueKey(result.value);
      const entry = votes.get(key) ?? { count: 0, value: result.value };
      entry.count++;
      votes.set(key, entry);
    }
    const best = [...votes.values()].sort((a, b) => b.count - a.count)[0];
    if (best && best.count >= 2 && best.count * 2 > voters.length) expected.set(check.id, best.value);
  }
  const checkIds = checks.map((check) => check.id).filter((id) => expected.has(id));

  const results = runs.map((verifiedRun, index): CandidateResult => {
    const { run } = verifiedRun;
    const base = {
      index,
      checksTotal: checkIds.length,
      cpuMs: run.cpuMs,
      memoryBytes: Math.max(0, run.peakRssBytes - baselinePeak),
      checks: verified[index] ?? new Map<string, CheckResult>(),
    };
    if (!verifiedRun.frames) return { ...base, ...failedRunOutcome(verifiedRun, input.limits), checksPassed: 0, timeNs: Infinity };
    const load = verifiedRun.frames.find((frame) => frame.type === 'load')?.body as { ok: boolean; error?: string; loadNs?: number } | undefined;
    if (!load?.ok) {
      const detail = load?.error && DISK_FULL.test(load.error) ? diskLimitDetail(input.limits) : (load?.error ?? 'did not load');
      return { ...base, outcome: 'runtime-error', detail, checksPassed: 0, timeNs: Infinity };
    }
    let passed = 0;
    let timeNs = 0;
    let reportedNs = load.loadNs ?? 0;
    let denied = false;
    let diskFull = false;
    for (const id of checkIds) {
      const result = base.checks.get(id);
      if (result?.ok && valuesEqual(result.value, expected.get(id))) passed++;
      if (result?.error && DENIED.test(result.error)) denied = true;
      if (result?.error && DISK_FULL.test(result.error)) diskFull = true;
      timeNs += result?.medianNs ?? 0;
    }
    for (const result of base.checks.values()) reportedNs += result.totalNs ?? 0;
    if (!timingsPlausible(reportedNs / 1e6, run.cpuMs, baselineCpuMs)) {
      return { ...base, outcome: 'invalid-output', detail: 'reported timings disagree with the CPU time the system measured', checksPassed: passed, timeNs };
    }
    const outcome: CandidateOutcome = checkIds.length > 0 && passed === checkIds.length ? 'pass' : denied ? 'sandbox-denied' : 'fail';
    return { ...base, outcome, ...(outcome === 'fail' && diskFull ? { detail: diskLimitDetail(input.limits) } : {}), checksPassed: passed, timeNs };
  });
  return { results, checkIds, reference: reference.run };
}
