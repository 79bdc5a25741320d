// `npm run bench -- runtimeAb --a <checkout> --b <checkout> [--model DIR] [--file onnx/model_q4.onnx] [--threads 1]
//   [--rounds 6] [--warm-ups 2] [--repeats 3] [--label NAME]`
// Locus's runtime in two checkouts side by side (another onnxruntime-node, another runtime change): each round runs
// both, in a child process of its own (bench/runtime/isolated.ts, resolved in that checkout, so each loads its own
// node_modules), A first in even rounds and B first in odd ones; a ratio is the median over rounds of B / A within a
// round, since this shared VM has slow spells that runs minutes apart land in differently. Same prompts and token ids
// as `npm run bench -- runtime` (bench/runtime/prompts.ts); greedy tokens are compared.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { buildPrompts } from './runtime/prompts';
import type { RunnerInput, RunnerResult } from './runtime/types';

const ROOT = resolve(__dirname, '..');
const args = process.argv.slice(2).filter((a) => a !== 'runtimeAb');
const arg = (name: string, fallback?: string): string => {
  const at = args.indexOf(`--${name}`);
  const value = at >= 0 ? args[at + 1] : fallback;
  if (value === undefined) throw new Error(`--${name} is required`);
  return value;
};
const checkouts = [resolve(arg('a')), resolve(arg('b'))] as const;
const modelDir = resolve(arg('model', join(ROOT, 'models', 'default', 'target')));
const file = arg('file', 'onnx/model_q4.onnx');
const threads = Number(arg('threads', '1'));
const rounds = Number(arg('rounds', '6'));
const warmUps = Number(arg('warm-ups', '2'));
const repeats = Number(arg('repeats', '3'));
const label = arg('label', 'ab');
for (const checkout of checkouts) {
  if (!existsSync(join(checkout, 'bench', 'runtime', 'isolated.ts'))) throw new Error(`${checkout} is not a Locus checkout with bench/runtime/isolated.ts`);
}

/** The onnxruntime-node a checkout loads (its own node_modules, or the one it links to). */
function onnxruntimeVersion(checkout: string): string {
  try {
    return (JSON.parse(readFileSync(join(checkout, 'node_modules', 'onnxruntime-node', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

type RunIsolated = (runner: 'locus', input: RunnerInput, timeoutMs: number) => Promise<RunnerResult>;

const median = (values: number[]): number => {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

async function main(): Promise<void> {
  // The embedded default finds its tokenizer in the pair's folder, one up.
  const prompts = buildPrompts(existsSync(join(modelDir, 'tokenizer.json')) ? modelDir : join(modelDir, '..'));
  const input: RunnerInput = { modelDir, file, prompts, threads, warmUps, repeats };
  const runners = await Promise.all(checkouts.map(async (c) => ((await import(join(c, 'bench', 'runtime', 'isolated.ts'))) as { runIsolated: RunIsolated }).runIsolated));
  const results: RunnerResult[][] = [[], []];
  for (let round = 0; round < rounds; round++) {
    for (const side of round % 2 === 0 ? [0, 1] : [1, 0]) {
      const result = await runners[side]!('locus', input, 15 * 60_000);
      results[side]!.push(result);
      console.error(`round ${round + 1}/${rounds} ${side === 0 ? 'A' : 'B'}: decode ${result.decodeTokPerS.toFixed(1)} tok/s, prefill ${result.prefillTokPerS.toFixed(0)} tok/s, TTFT ${result.ttftMs.toFixed(0)} ms`);
    }
  }
  const [a, b] = results as [RunnerResult[], RunnerResult[]];
  const ratio = (pick: (r: RunnerResult) => number) => a.map((r, i) => pick(b[i]!) / pick(r));
  const decodeRatios = ratio((r) => r.decodeTokPerS);
  const prefillRatios = ratio((r) => r.prefillTokPerS);
  const sameTokens = a.every((r, i) => JSON.stringify(r.perPrompt.map((p) => p.generated)) === JSON.stringify(b[i]!.perPrompt.map((p) => p.generated)));
  const fmt = (n: number, digits = 1) => n.toFixed(digits);
  const lines = [
    `# Locus runtime, two checkouts side by side: ${label} (${new Date().toISOString().slice(0, 10)})`,
    '',
    `Command: \`npm run bench -- runtimeAb ${args.join(' ')}\``,
    '',
    `Machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} CPUs, Node ${process.version}; load average at the end ${loadavg().map((l) => l.toFixed(2)).join(' / ')}.`,
    `A: ${checkouts[0]} (onnxruntime-node ${onnxruntimeVersion(checkouts[0])}); B: ${checkouts[1]} (onnxruntime-node ${onnxruntimeVersion(checkouts[1])}). Model ${modelDir}, ${file}, ${threads} thread(s); prompts ${prompts.map((p) => p.name).join(', ')}; ${warmUps} warm-up(s) and ${repeats} timed run(s) per prompt per runner; ${rounds} rounds, A first in odd-numbered rounds.`,
    '',
    '| round | A decode tok/s | B decode tok/s | B / A decode | A prefill tok/s | B prefill tok/s | B / A prefill |',
    '|---|---|---|---|---|---|---|',
    ...a.map((r, i) => `| ${i + 1} | ${fmt(r.decodeTokPerS)} | ${fmt(b[i]!.decodeTokPerS)} | ${fmt(decodeRatios[i]!, 3)} | ${fmt(r.prefillTokPerS, 0)} | ${fmt(b[i]!.prefillTokPerS, 0)} | ${fmt(prefillRatios[i]!, 3)} |`),
    '',
    `Median B / A: decode **${fmt(median(decodeRatios), 3)}x** (A ${fmt(median(a.map((r) => r.decodeTokPerS)))}, B ${fmt(median(b.map((r) => r.decodeTokPerS)))} tok/s), prefill **${fmt(median(prefillRatios), 3)}x**. Same greedy tokens in every round: ${sameTokens ? 'yes' : 'no'}.`,
    '',
  ];
  const out = join(ROOT, 'bench', 'results');
  mkdirSync(out, { recursive: true });
  const path = join(out, `runtime-ab-${label}-${new Date().toISOString().slice(0, 10)}.md`);
  writeFileSync(path, lines.join('\n'));
  console.log(lines.join('\n'));
  console.error(`wrote ${path}`);
}

main().then(() => process.exit(0), (e: unknown) => {
  console.error(e);
  process.exit(1);
});
