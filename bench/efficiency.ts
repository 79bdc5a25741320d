// `npm run bench -- efficiency`: the efficiency checks' sandbox overhead per candidate (p50/p95, against a bare
// interpreter start) and a 24-task suite of functions whose correct candidates differ in complexity, scored on
// how often the chosen candidate is correct and how much faster it is than the greedy one.
// Options: --overhead N (sandbox overhead samples, default 30), --repeat N (suite passes, default 2),
// --engine (also generate candidates with the default model instead of the pre-written ones), --out NAME.
import { execSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { buildChecks } from '../lsp-server/efficiency/checkBuilder';
import { evaluateCandidates, type CandidateResult } from '../lsp-server/efficiency/candidateEvaluator';
import { rankCandidates, summarize } from '../lsp-server/efficiency/candidateRanker';
import { findFunctionTarget } from '../lsp-server/efficiency/functionTarget';
import { runIsolationSelfTest } from '../lsp-server/efficiency/isolationSelfTest';
import type { SandboxRuntime } from '../lsp-server/efficiency/sandboxRuntimes';
import { DEFAULT_LIMITS, SandboxRunner } from '../lsp-server/efficiency/sandboxRunner';
import { EFFICIENCY_TASKS, type EfficiencyTask } from './efficiency/tasks';

const ROOT = join(__dirname, '..');
const args = process.argv.slice(3);
const option = (name: string, fallback: number): number => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const OVERHEAD_SAMPLES = option('overhead', 30);
const REPEAT = option('repeat', 2);
const USE_ENGINE = args.includes('--engine');
const OUT = args.includes('--out') ? args[args.indexOf('--out') + 1] : `efficiency-${new Date().toISOString().slice(0, 10)}`;

function machine(): Record<string, string | number> {
  let model = os.cpus()[0]?.model ?? 'unknown';
  try {
    model = /Model name:\s*(.+)/.exec(execSync('lscpu', { encoding: 'utf8' }))?.[1]?.trim() ?? model;
  } catch {
    // lscpu is missing on some systems; os.cpus() names the model too
  }
  return { cpu: model, cores: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.platform()} ${os.release()}`, loadAverage: os.loadavg()[0].toFixed(2) };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN;
}
const round = (x: number, digits = 1): number => Math.round(x * 10 ** digits) / 10 ** digits;

function bareRun(executable: string, args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(executable, args, { stdio: 'ignore', env: { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8' } });
    child.on('close', () => resolve(performance.now() - started));
  });
}

interface Overhead {
  language: string;
  bareMs: { p50: number; p95: number };
  sandboxedMs: { p50: number; p95: number };
  candidateMs: { p50: number; p95: number };
  overheadMs: { p50: number; p95: number };
}

/** Bare interpreter start vs the same program in the sandbox vs one candidate through the whole harness. */
async function measureOverhead(runner: SandboxRunner, runtime: SandboxRuntime): Promise<Overhead> {
  const python = runtime.language === 'python';
  const dir = mkdtempSync(join(os.tmpdir(), 'locus-bench-eff-'));
  const file = join(dir, python ? 'empty.py' : 'empty.js');
  writeFileSync(file, python ? 'pass\n' : '');
  const bare: number[] = [];
  const sandboxed: number[] = [];
  const candidate: number[] = [];
  const target = findFunctionTarget('function id(x: number): number {\n}\n', 33, '\n  return x;\n', 'typescript');
  const pyTarget = findFunctionTarget('def ident(x: int) -> int:\n    pass\n', 26, '    return x\n', 'python');
  for (let i = 0; i < OVERHEAD_SAMPLES; i++) {
    bare.push(await bareRun(runtime.executable, [...(python ? ['-I', '-S', '-B'] : []), file]));
    const run = await runner.run(runtime, { files: { [python ? 'e.py' : 'e.js']: python ? 'pass\n' : '' }, entry: python ? 'e.py' : 'e.js', stdin: '' }, DEFAULT_LIMITS);
    sandboxed.push(run.wallMs);
    const t = python ? pyTarget! : target!;
    const started = performance.now();
    await evaluateCandidates({
      target: t,
      sources: [t.source],
      checks: [{ id: 'differential-0', kind: 'differential', args: [1] }],
      typescript: !python,
      runtime,
      runner,
      limits: DEFAULT_LIMITS,
    });
    // evaluateCandidates also runs the reference run; one candidate costs half of it.
    candidate.push((performance.now() - started) / 2);
  }
  rmSync(dir, { recursive: true, force: true });
  const stats = (values: number[]) => ({ p50: round(percentile(values, 50)), p95: round(percentile(values, 95)) });
  const overhead = sandboxed.map((ms, i) => ms - bare[i]);
  return { language: runtime.language, bareMs: stats(bare), sandboxedMs: stats(sandboxed), candidateMs: stats(candidate), overheadMs: stats(overhead) };
}

interface TaskResult {
  task: string;
  language: string;
  pass: number;
  chosen: number;
  chosenNote: string;
  chosenCorrect: boolean;
  greedyCorrect: boolean;
  greedyOutcome: string;
  /** Greedy time / chosen time, when both passed. */
  speedupVsGreedy: number | null;
  outcomes: string[];
  summary: string;
  checks: number;
  wallMs: number;
}

async function runTask(task: EfficiencyTask, texts: string[], correct: boolean[], notes: string[], runtimes: Partial<Record<string, SandboxRuntime>>, runner: SandboxRunner, pass: number): Promise<TaskResult | null> {
  const text = task.prefix + task.suffix;
  const offset = task.prefix.length;
  const target = findFunctionTarget(text, offset, texts[0], task.languageId);
  const runtime = target && runtimes[target.language];
  if (!target || !runtime) return null;
  const checks = buildChecks(target, [], 0x10c05);
  const started = performance.now();
  const sources = texts.map((candidate) => findFunctionTarget(text, offset, candidate, task.languageId)?.source ?? '');
  const evaluation = await evaluateCandidates({ target, sources, checks, typescript: task.languageId === 'typescript', runtime, runner, limits: DEFAULT_LIMITS });
  const ranked = rankCandidates(evaluation.results, 0);
  const chosen = ranked[0];
  const greedy = evaluation.results[0];
  const speedup = chosen.outcome === 'pass' && greedy.outcome === 'pass' && chosen.timeNs > 0 ? greedy.timeNs / chosen.timeNs : null;
  return {
    task: task.name,
    language: target.language,
    pass,
    chosen: chosen.index,
    chosenNote: notes[chosen.index],
    chosenCorrect: correct[chosen.index] && chosen.outcome === 'pass',
    greedyCorrect: correct[0],
    greedyOutcome: greedy.outcome,
    speedupVsGreedy: speedup === null ? null : round(speedup, 2),
    outcomes: evaluation.results.map((r: CandidateResult) => `${notes[r.index]}: ${r.outcome}${r.outcome === 'pass' ? ` ${round(r.timeNs / 1e6, 2)} ms` : ''}`),
    summary: summarize(ranked),
    checks: evaluation.checkIds.length,
    wallMs: round(performance.now() - started),
  };
}

/** Candidates from the default model: greedy plus four samples for each task's prompt (random weights for now). */
async function engineCandidates(): Promise<((task: EfficiencyTask) => Promise<string[]>) | null> {
  const targetDir = join(ROOT, 'models', 'default', 'target');
  if (!existsSync(join(targetDir, 'config.json'))) return null;
  const { LocalEngine } = await import('../runtime/localEngine');
  const { TextTokenizer } = await import('../runtime/tokenizer');
  const { buildFimPrompt, fimTokenIds } = await import('../lsp-server/fimPrompt');
  const tokenizer = TextTokenizer.fromDirectory(targetDir);
  const engine = new LocalEngine();
  const info = await engine.load({ modelDir: targetDir, quantization: 'auto', threads: 1 });
  const fim = fimTokenIds(tokenizer);
  return async (task) => {
    const prompt = buildFimPrompt(tokenizer, fim, task.prefix, task.suffix, Math.max(64, info.maxContext - 160));
    const texts: string[] = [];
    for (const seed of [0, 1, 2, 3, 4]) {
      const sampling = seed === 0 ? { temperature: 0, topK: 0, topP: 1, seed } : { temperature: 0.8, topK: 0, topP: 0.95, seed };
      texts.push((await engine.generate({ promptIds: prompt.ids, maxNewTokens: 128, sampling, stopStrings: [] })).text);
    }
    return texts;
  };
}

async function main(): Promise<void> {
  const selfTest = await runIsolationSelfTest();
  console.log(`self-test: ${Math.round(selfTest.durationMs)} ms, runtimes ${Object.keys(selfTest.runtimes).join(', ') || 'none'} ${selfTest.reasons.join(' ')}`);
  if (!selfTest.tools || Object.keys(selfTest.runtimes).length === 0) {
    console.error('Efficiency checks are unavailable on this machine; nothing to measure.');
    process.exitCode = 1;
    return;
  }
  const runner = new SandboxRunner(selfTest.tools);
  const overhead: Overhead[] = [];
  for (const runtime of Object.values(selfTest.runtimes)) {
    overhead.push(await measureOverhead(runner, runtime!));
    console.log(JSON.stringify(overhead[overhead.length - 1]));
  }

  const results: TaskResult[] = [];
  for (let pass = 0; pass < REPEAT; pass++) {
    for (const task of EFFICIENCY_TASKS) {
      const result = await runTask(task, task.candidates.map((c) => c.text), task.candidates.map((c) => c.correct), task.candidates.map((c) => c.note), selfTest.runtimes, runner, pass);
      if (!result) {
        console.log(`${task.name}: skipped (no runtime or no function target)`);
        continue;
      }
      results.push(result);
      console.log(`${task.name} [${pass}]: chose "${result.chosenNote}" (${result.chosenCorrect ? 'correct' : 'WRONG'}), greedy ${result.greedyOutcome}, speedup ${result.speedupVsGreedy ?? '-'}x, ${result.wallMs} ms; ${result.summary}`);
    }
  }

  let engineReport: { tasks: number; functionTargets: number; anyPass: number; note: string } | undefined;
  if (USE_ENGINE) {
    const generate = await engineCandidates();
    if (!generate) engineReport = { tasks: 0, functionTargets: 0, anyPass: 0, note: 'no model in models/default/target' };
    else {
      let targets = 0;
      let anyPass = 0;
      for (const task of EFFICIENCY_TASKS) {
        const texts = await generate(task);
        const result = await runTask(task, texts, texts.map(() => false), texts.map((_, i) => (i === 0 ? 'greedy' : `sample ${i}`)), selfTest.runtimes, runner, 0);
        if (!result) continue;
        targets++;
        if (result.outcomes.some((o) => o.includes(': pass'))) anyPass++;
      }
      engineReport = { tasks: EFFICIENCY_TASKS.length, functionTargets: targets, anyPass, note: 'The default model has random weights until the trained pair lands, so these counts say nothing about quality yet' };
    }
  }
  writeReport({ machine: machine(), selfTestMs: round(selfTest.durationMs), overhead, results, engine: engineReport });
}

interface Report {
  machine: Record<string, string | number>;
  selfTestMs: number;
  overhead: Overhead[];
  results: TaskResult[];
  engine?: { tasks: number; functionTargets: number; anyPass: number; note: string };
}

function writeReport(report: Report): void {
  const dir = join(ROOT, 'bench', 'results');
  const { results } = report;
  const chosenCorrect = results.filter((r) => r.chosenCorrect).length;
  const greedyCorrect = results.filter((r) => r.greedyCorrect && r.greedyOutcome === 'pass').length;
  const speedups = results.map((r) => r.speedupVsGreedy).filter((s): s is number => s !== null);
  const geomean = speedups.length ? Math.exp(speedups.reduce((a, s) => a + Math.log(s), 0) / speedups.length) : NaN;
  const changed = results.filter((r) => r.chosen !== 0).length;
  const byTask = new Map<string, Set<number>>();
  for (const r of results) byTask.set(r.task, (byTask.get(r.task) ?? new Set()).add(r.chosen));
  const stable = [...byTask.values()].filter((choices) => choices.size === 1).length;
  const aggregate = {
    taskRuns: results.length,
    chosenCorrectPercent: round((100 * chosenCorrect) / results.length),
    greedyCorrectPercent: round((100 * greedyCorrect) / results.length),
    speedupVsGreedy: { tasksWithBothCorrect: speedups.length, geomean: round(geomean, 2), p50: round(percentile(speedups, 50), 2), max: round(Math.max(...speedups), 1) },
    chosenDiffersFromGreedyPercent: round((100 * changed) / results.length),
    sameChoiceAcrossPassesPercent: round((100 * stable) / byTask.size),
    wallMsPerTask: { p50: round(percentile(results.map((r) => r.wallMs), 50)), p95: round(percentile(results.map((r) => r.wallMs), 95)) },
  };
  writeFileSync(join(dir, `${OUT}.json`), JSON.stringify({ date: new Date().toISOString(), ...report, aggregate }, null, 2) + '\n');
  const m = report.machine;
  const md = [
    `# Efficiency-check benchmark (${new Date().toISOString().slice(0, 16)}Z)`,
    '',
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}, ${m.platform}; load average ${m.loadAverage} at the end (the machine is shared, so timings are noisy).`,
    '',
    `Isolation self-test: ${report.selfTestMs} ms (runs once, in the background, when the feature starts).`,
    '',
    '## Sandbox overhead per candidate',
    '',
    `${OVERHEAD_SAMPLES} samples each. "bare": the interpreter run directly on an empty file; "sandboxed": the same in setpriv + bubblewrap + prlimit with the watchdog; "one candidate": one candidate through the harness (load, one check, signed result, accounting), i.e. half of an evaluation with its reference run.`,
    '',
    '| runtime | bare p50 / p95 ms | sandboxed p50 / p95 ms | sandbox overhead p50 / p95 ms | one candidate p50 / p95 ms |',
    '|---|---|---|---|---|',
    ...report.overhead.map((o) => `| ${o.language} | ${o.bareMs.p50} / ${o.bareMs.p95} | ${o.sandboxedMs.p50} / ${o.sandboxedMs.p95} | ${o.overheadMs.p50} / ${o.overheadMs.p95} | ${o.candidateMs.p50} / ${o.candidateMs.p95} |`),
    '',
    `## Suite: ${EFFICIENCY_TASKS.length} functions × ${REPEAT} passes`,
    '',
    'Each task has three pre-written candidates: two correct ones of different complexity and one wrong one; candidate 0 plays the greedy suggestion (the slower correct one in most tasks, the wrong one in seven). Checks: the doc-comment examples plus 6 generated differential inputs (small, medium, large). "speedup": greedy time / chosen time when both passed.',
    '',
    `- Chosen candidate correct: **${aggregate.chosenCorrectPercent}%** of ${aggregate.taskRuns} task runs (the greedy candidate alone: ${aggregate.greedyCorrectPercent}% correct and passing).`,
    `- Speedup of the chosen over the greedy candidate: geometric mean **${aggregate.speedupVsGreedy.geomean}x**, median ${aggregate.speedupVsGreedy.p50}x, max ${aggregate.speedupVsGreedy.max}x (over the ${aggregate.speedupVsGreedy.tasksWithBothCorrect} runs where both passed).`,
    `- Chosen differs from greedy in ${aggregate.chosenDiffersFromGreedyPercent}% of runs; same choice in every pass for ${aggregate.sameChoiceAcrossPassesPercent}% of tasks.`,
    `- Time to check a task (reference run + 3 candidates, sequential): p50 ${aggregate.wallMsPerTask.p50} ms, p95 ${aggregate.wallMsPerTask.p95} ms.`,
    '',
    '| task | pass | chosen | correct | greedy outcome | speedup | checks | ms | summary |',
    '|---|---|---|---|---|---|---|---|---|',
    ...results.map((r) => `| ${r.task} (${r.language}) | ${r.pass} | ${r.chosenNote} | ${r.chosenCorrect ? 'yes' : '**no**'} | ${r.greedyOutcome} | ${r.speedupVsGreedy ?? '–'} | ${r.checks} | ${r.wallMs} | ${r.summary} |`),
    '',
  ];
  if (report.engine) {
    md.push('## With the engine', '', `${report.engine.functionTargets} of ${report.engine.tasks} tasks got a greedy completion that parses as the function; ${report.engine.anyPass} had a candidate that passed. ${report.engine.note}.`, '');
  }
  writeFileSync(join(dir, `${OUT}.md`), md.join('\n'));
  console.log(md.slice(0, 26).join('\n'));
}

void main();
