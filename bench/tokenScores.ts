// `npm run bench -- tokenScores [--model DIR] [--threads 2] [--rounds 5] [--files N] [--label NAME]`
// Selective Context's scores (runtime/tokenLogProbs.ts): each token's log-probability under the draft model, for
// whole source files of this repository, computed inside onnxruntime (tokenLogProbsModel.ts: the way the runtime
// takes) against the logits handed to JavaScript and log-softmaxed there (the way before, and the fallback). Each
// way scores the same files in a process of its own started as the launchers start the server (its V8 flags and
// environment), the two alternating, which goes first swapping every round; the draft loads with its kept copies
// (written by an untimed first load). Per process: ms to score every file once after one untimed pass, its peak
// resident set (VmHWM) and private memory (RssAnon) after; and how far the two ways' log-probabilities are apart.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { serverProcessEnv, SERVER_EXEC_ARGV } from '../lsp-server/serverProcessFlags';
import type { DecoderModel } from '../runtime/decoderModel';
import { loadDecoder } from '../runtime/modelLoader';
import { TextTokenizer } from '../runtime/tokenizer';
import { tokenLogProbs } from '../runtime/tokenLogProbs';
import { arg, runBench, writeResults } from './benchCli';
import { machineInfo, percentile, sideBySide } from './lsp/benchClient';
import { processMemoryMiB } from './processMemory';

const ROOT = resolve(__dirname, '..');
const modelDir = resolve(arg('model', join(ROOT, 'models', 'default', 'draft')));
const threads = Number(arg('threads', '2'));
const rounds = Number(arg('rounds', '5'));
const fileCount = Number(arg('files', '8'));
const label = arg('label', '');
/** Real code of several sizes, read as they are at this commit. */
const FILES = ['runtime/ortBackend.ts', 'lsp-server/server.ts', 'runtime/prefillCopyCache.ts', 'lsp-server/context/selectiveContext.ts', 'runtime/generator.ts', 'lsp-server/postProcess.ts', 'training/llama.py', 'runtime/sampler.ts'].slice(0, fileCount);

const WAYS = ['in onnxruntime', 'logits in JavaScript'] as const;
type Way = (typeof WAYS)[number];

interface ChildResult {
  tokens: number;
  ms: number;
  peakMiB: number;
  privateMiB: number;
  /** Every file's log-probabilities, concatenated. */
  logProbs: number[];
}

/** The model without its own scoring pass: tokenLogProbs then takes the scores from the logits. */
function logitsOnly(model: DecoderModel): DecoderModel {
  return {
    emptyKv: () => model.emptyKv(),
    forward: (ids, kv, keep) => model.forward(ids, kv, keep),
    truncate: (kv, length) => model.truncate(kv, length),
    rollback: (kv, length) => model.rollback(kv, length),
    dispose: () => model.dispose(),
  };
}

async function child(way: Way, cache: string): Promise<void> {
  const tokenizer = TextTokenizer.fromDirectory(modelDir);
  const { model, config } = await loadDecoder(modelDir, 'auto', threads, tokenizer.vocabSize, cache);
  const scorer = way === 'in onnxruntime' ? model : logitsOnly(model);
  const texts = FILES.map((f) => tokenizer.encode(readFileSync(join(ROOT, f), 'utf8')));
  const scoreAll = async () => {
    const out: number[] = [];
    for (const ids of texts) out.push(...(await tokenLogProbs(scorer, config.maxPositionEmbeddings, ids)));
    return out;
  };
  await scoreAll();
  const started = performance.now();
  const logProbs = await scoreAll();
  const ms = performance.now() - started;
  const memory = processMemoryMiB();
  const result: ChildResult = { tokens: logProbs.length, ms, peakMiB: memory.peak, privateMiB: memory.anon, logProbs };
  await model.dispose();
  process.stdout.write(JSON.stringify(result));
}

async function spawnChild(way: Way, cache: string): Promise<ChildResult> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [...SERVER_EXEC_ARGV, '--import', 'tsx', __filename, '--child', way, '--cache', cache, '--model', modelDir, '--threads', String(threads), '--files', String(fileCount)],
    { maxBuffer: 1 << 28, env: serverProcessEnv(process.env) },
  );
  return JSON.parse(stdout) as ChildResult;
}

async function main(): Promise<void> {
  const loadBefore = loadavg()[0]!;
  const cache = mkdtempSync(join(tmpdir(), 'locus-bench-token-scores-'));
  const byWay: Record<Way, ChildResult[]> = { 'in onnxruntime': [], 'logits in JavaScript': [] };
  try {
    await spawnChild('in onnxruntime', cache);
    for (let r = 0; r < rounds; r++) {
      for (const way of r % 2 === 0 ? WAYS : [...WAYS].reverse()) {
        const result = await spawnChild(way, cache);
        byWay[way].push(result);
        console.error(`round ${r + 1}, ${way}: ${result.tokens} tokens in ${result.ms.toFixed(0)} ms, peak ${result.peakMiB.toFixed(0)} MiB, private ${result.privateMiB.toFixed(0)} MiB`);
      }
    }
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }

  const [fast, slow] = [byWay['in onnxruntime'], byWay['logits in JavaScript']];
  const rows = [...Array(rounds).keys()];
  const time = sideBySide(rows, (i) => slow[i]!.ms, (i) => fast[i]!.ms);
  const a = fast[0]!.logProbs;
  const b = slow[0]!.logProbs;
  let maxDiff = 0;
  for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i]! - b[i]!));
  const total = (xs: number[]) => xs.reduce((s, x) => s + x, 0);
  const tokens = fast[0]!.tokens;
  const med = (rs: ChildResult[], pick: (r: ChildResult) => number) => percentile(rs.map(pick), 50);
  const machine = { ...machineInfo(), loadAverage1mBefore: loadBefore, loadAverage1mAfter: loadavg()[0]! };
  const date = new Date().toISOString();
  const day = date.slice(0, 10);
  const md = [
    `# Selective Context's token scores: inside onnxruntime against logits in JavaScript (${day})`,
    '',
    `Command: \`npm run bench -- tokenScores ${process.argv.slice(3).join(' ')}\`. Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}; 1-minute load average ${loadBefore.toFixed(1)} before, ${machine.loadAverage1mAfter.toFixed(1)} after.`,
    '',
    `Model: ${relative(ROOT, modelDir)} on ${threads} thread(s), loaded as the runtime loads it (its kept copies written by an untimed first load). Text: ${FILES.length} files of this repository (${FILES.join(', ')}), ${tokens} tokens, each scored whole in windows of the model's context (runtime/tokenLogProbs.ts). **in onnxruntime** = the scoring graph (runtime/tokenLogProbsModel.ts), **logits in JavaScript** = every position's logits fetched and log-softmaxed in JavaScript. Each way in a process of its own with the server's V8 flags and environment: one untimed pass over all files, then one timed; ${rounds} rounds, the ways alternating, which goes first swapping every round.`,
    '',
    '| way | ms for all files (median) | ms per 1,000 tokens | peak RSS MiB | private MiB after |',
    '|---|---|---|---|---|',
    ...WAYS.map((w) => {
      const rs = byWay[w];
      const ms = med(rs, (r) => r.ms);
      return `| ${w} | ${ms.toFixed(0)} | ${((ms * 1000) / tokens).toFixed(1)} | ${med(rs, (r) => r.peakMiB).toFixed(0)} | ${med(rs, (r) => r.privateMiB).toFixed(0)} |`;
    }),
    '',
    `Side by side: inside onnxruntime ${time.speedUp.toFixed(2)}x faster (median of the rounds' ratios). Largest difference of a token's log-probability between the ways: ${maxDiff.toExponential(2)} nats; their sums over all tokens: ${total(a).toFixed(3)} against ${total(b).toFixed(3)}.`,
    '',
    'Rounds (ms, in onnxruntime / logits in JavaScript):',
    '',
    ...rows.map((i) => `- ${fast[i]!.ms.toFixed(0)} / ${slow[i]!.ms.toFixed(0)}`),
    '',
  ].join('\n');
  const strip = (rs: ChildResult[]) => rs.map(({ logProbs: _, ...r }) => r);
  writeResults('token-scores', label, day, { date, machine, model: relative(ROOT, modelDir), threads, rounds, files: FILES, tokens, maxDiff, time, byWay: { 'in onnxruntime': strip(fast), 'logits in JavaScript': strip(slow) } }, md);
}

if (process.argv.includes('--child')) runBench(() => child(arg('child', '') as Way, arg('cache', '')));
else runBench(main);
