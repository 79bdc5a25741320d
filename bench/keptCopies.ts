// `npm run bench -- keptCopies [--prompts N] [--rounds R] [--label NAME]`
// The embedded pair loaded from its kept copies (8-bit copy, decode-step file, onnxruntime's optimized copies, in the
// cache folder: runtime/ortBackend.ts keptSmall) against the same pair with its graphs built in memory at load (the
// way before, and the fallback where the cache folder cannot hold copies), both in this process: completion-shaped
// requests (a 600-token prompt of real code, beam width 3, one line, the server's time limit) to each engine in
// turn, which goes first swapping every request, each prompt with a new first token so that no prefix cache helps.
// Per engine: its load time, and request latency (p50, p95); side by side: the median of the per-request ratios.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DEFAULTS } from '../lsp-server/config';
import { GREEDY_SAMPLING, type GenerateRequest } from '../runtime/engine';
import { LocalEngine } from '../runtime/localEngine';
import { TextTokenizer } from '../runtime/tokenizer';
import { arg, runBench, writeResults } from './benchCli';
import { machineInfo, percentile } from './lsp/benchClient';

const ROOT = resolve(__dirname, '..');
const promptCount = Number(arg('prompts', '40'));
const rounds = Number(arg('rounds', '3'));
const label = arg('label', '');
const PROMPT_TOKENS = 600;
const FILES = ['runtime/ortBackend.ts', 'lsp-server/server.ts', 'training/llama.py', 'runtime/generator.ts', 'lsp-server/postProcess.ts'];
const WAYS = ['built in memory', 'kept copies'] as const;
type Way = (typeof WAYS)[number];

async function main(): Promise<void> {
  const loadBefore = loadavg()[0]!;
  const scratch = mkdtempSync(join(tmpdir(), 'locus-bench-kept-copies-'));
  // A file where the cache folder should be: nothing can be kept there, so that engine builds its graphs in memory.
  const blocked = join(scratch, 'not-a-folder');
  writeFileSync(blocked, '');
  const cache = join(scratch, 'cache');
  const modelDir = join(ROOT, 'models', 'default', 'target');
  const tokenizer = TextTokenizer.fromDirectory(modelDir);
  const options = { modelDir, draftDir: join(ROOT, 'models', 'default', 'draft'), quantization: 'auto' as const, threads: 2 };
  const engines: Record<Way, LocalEngine> = { 'built in memory': new LocalEngine(), 'kept copies': new LocalEngine() };
  const loadMs: Record<Way, number> = { 'built in memory': 0, 'kept copies': 0 };
  const notes: Record<Way, string> = { 'built in memory': '', 'kept copies': '' };
  try {
    // The first load writes the copies; the timed one opens them.
    const writer = new LocalEngine();
    await writer.load({ ...options, cacheFolder: cache });
    await writer.dispose();
    for (const way of WAYS) {
      const started = performance.now();
      const info = await engines[way].load({ ...options, cacheFolder: way === 'kept copies' ? cache : blocked });
      loadMs[way] = performance.now() - started;
      notes[way] = info.prefillCopy ?? '';
    }
    const prompts: number[][] = [];
    for (const file of FILES) {
      const ids = tokenizer.encode(readFileSync(join(ROOT, file), 'utf8'));
      for (let c = 0; prompts.length < Math.ceil((promptCount * (FILES.indexOf(file) + 1)) / FILES.length); c++) {
        const end = PROMPT_TOKENS + Math.floor((((c * 7919) % 1000) / 1000) * (ids.length - PROMPT_TOKENS));
        prompts.push(ids.slice(end - PROMPT_TOKENS, end));
      }
    }
    const request = (promptIds: number[]): GenerateRequest => ({
      promptIds,
      maxNewTokens: DEFAULTS.maxNewTokens,
      sampling: GREEDY_SAMPLING,
      stopStrings: ['\n'],
      beamWidth: DEFAULTS.beamWidth,
      maxDecodeMs: DEFAULTS.timeLimitMs,
    });
    // Untimed: the first requests' allocations.
    for (const p of prompts.slice(0, 4)) for (const way of WAYS) await engines[way].generate(request(p));
    const ms: Record<Way, number[]> = { 'built in memory': [], 'kept copies': [] };
    const ratios: number[] = [];
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < prompts.length; i++) {
        const ids = [1000 + r, ...prompts[i]!.slice(1)];
        const taken: Partial<Record<Way, number>> = {};
        for (const way of (i + r) % 2 === 0 ? WAYS : [...WAYS].reverse()) {
          const started = performance.now();
          await engines[way].generate(request(ids));
          taken[way] = performance.now() - started;
          ms[way].push(taken[way]!);
        }
        ratios.push(taken['kept copies']! / taken['built in memory']!);
      }
    }
    const machine = { ...machineInfo(), loadAverage1mBefore: loadBefore, loadAverage1mAfter: loadavg()[0]! };
    const date = new Date().toISOString();
    const day = date.slice(0, 10);
    const ratio = percentile(ratios, 50);
    const md = [
      `# The embedded pair from its kept copies against its graphs built in memory (${day})`,
      '',
      `Command: \`npm run bench -- keptCopies ${process.argv.slice(3).join(' ')}\`. Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}; 1-minute load average ${loadBefore.toFixed(1)} before, ${machine.loadAverage1mAfter.toFixed(1)} after.`,
      '',
      `Both engines in this process (runtime/localEngine.ts, target and draft, 2 threads): **kept copies** = loaded with a cache folder holding the copies an untimed first load wrote; **built in memory** = loaded with a cache folder that cannot hold any (a file), so the graphs are built in memory as before. ${prompts.length} prompts of ${PROMPT_TOKENS} tokens of real code (${FILES.join(', ')}), ${rounds} rounds, each request to both engines in turn (which goes first swapping), a new first token per round so that no prefix cache helps; requests as a single-line completion asks (beam width ${DEFAULTS.beamWidth}, up to ${DEFAULTS.maxNewTokens} tokens, stop at a new line, ${DEFAULTS.timeLimitMs} ms time limit).`,
      '',
      '| way | load ms | requests | p50 ms | p95 ms |',
      '|---|---|---|---|---|',
      ...WAYS.map((w) => `| ${w} | ${loadMs[w].toFixed(0)} | ${ms[w].length} | ${percentile(ms[w], 50).toFixed(1)} | ${percentile(ms[w], 95).toFixed(1)} |`),
      '',
      `Side by side: kept copies / built in memory, median of the per-request ratios: ${ratio.toFixed(3)}.`,
      '',
      `Load notes: built in memory: "${notes['built in memory']}"; kept copies: "${notes['kept copies']}".`,
      '',
    ].join('\n');
    writeResults('kept-copies', label, day, { date, machine, prompts: prompts.length, rounds, loadMs, ms, ratio }, md);
  } finally {
    await Promise.all(WAYS.map((w) => engines[w].dispose()));
    rmSync(scratch, { recursive: true, force: true });
  }
}

runBench(main);
