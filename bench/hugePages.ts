// `npm run bench -- hugePages [--models default,qwen05] [--threads 2] [--rounds 5] [--label NAME]`
// The language server's process environment (lsp-server/serverProcessFlags.ts: glibc's malloc asking Linux for
// transparent huge pages) against the same process without it: each load in a process of its own started as the
// launchers start the server (its V8 flags), the two alternating, which goes first swapping every round. Per load:
// loadDecoder's time (the runtime's load: sessions, load checks, warm-up), a cold 512-token prompt, 64 greedy steps,
// private resident memory and the part of it in huge pages, and that both give the same greedy tokens.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { HUGE_PAGES_TUNABLE, serverProcessEnv, SERVER_EXEC_ARGV } from '../lsp-server/serverProcessFlags';
import { loadDecoder } from '../runtime/modelLoader';
import { TextTokenizer } from '../runtime/tokenizer';
import { arg, runBench, writeResults } from './benchCli';
import { machineInfo, percentile, sideBySide } from './lsp/benchClient';
import { processMemoryMiB } from './processMemory';
import { promptThenDecode, type PromptThenDecode } from './runtime/promptThenDecode';

const ROOT = resolve(__dirname, '..');
const MODELS: Record<string, string> = {
  default: join(ROOT, 'models', 'default', 'target'),
  qwen05: join(ROOT, 'bench', 'models', 'qwen05-shaped'),
};
const threads = Number(arg('threads', '2'));
const rounds = Number(arg('rounds', '5'));
const label = arg('label', '');
const PROMPT_TOKENS = 512;
const DECODE_TOKENS = 64;

const WAYS = ['plain environment', 'server environment'] as const;
type Way = (typeof WAYS)[number];

interface ChildResult extends PromptThenDecode {
  loadMs: number;
  /** MiB: private resident memory (RssAnon) and the part of it in transparent huge pages, after the run. */
  anon: number;
  anonHuge: number;
}

async function child(dir: string, cache: string): Promise<void> {
  const tokenizer = TextTokenizer.fromDirectory(dir);
  const started = performance.now();
  const { model, config } = await loadDecoder(dir, 'q4', threads, tokenizer.vocabSize, cache);
  const loadMs = performance.now() - started;
  const promptTokens = Math.min(PROMPT_TOKENS, config.maxPositionEmbeddings - DECODE_TOKENS - 1);
  const { prefillMs, decodeTokensPerSecond, tokens } = await promptThenDecode(model, config.vocabSize, promptTokens, DECODE_TOKENS);
  const { anon, anonHuge } = processMemoryMiB();
  const result: ChildResult = { loadMs, prefillMs, decodeTokensPerSecond, anon, anonHuge, tokens };
  await model.dispose();
  process.stdout.write(JSON.stringify(result));
}

/** The parent's environment without the huge-pages tunable, and the server's environment made from it (which adds the server's tunables). */
function environment(way: Way): NodeJS.ProcessEnv {
  const tunables = (process.env.GLIBC_TUNABLES ?? '').split(':').filter((t) => t !== '' && !t.startsWith(`${HUGE_PAGES_TUNABLE}=`));
  const plain = { ...process.env, GLIBC_TUNABLES: tunables.join(':') };
  return way === 'server environment' ? serverProcessEnv(plain) : plain;
}

async function spawnChild(way: Way, dir: string, cache: string): Promise<ChildResult> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [...SERVER_EXEC_ARGV, '--import', 'tsx', __filename, '--child', dir, '--cache', cache, '--threads', String(threads)],
    { maxBuffer: 1 << 24, env: environment(way) },
  );
  return JSON.parse(stdout) as ChildResult;
}

async function main(): Promise<void> {
  const loadBefore = loadavg()[0]!;
  const names = arg('models', 'default,qwen05').split(',').filter((name) => {
    if (!MODELS[name]) throw new Error(`--models: ${name} is none of ${Object.keys(MODELS).join(', ')}`);
    return existsSync(join(MODELS[name], 'config.json'));
  });
  const thp = readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8').trim();
  const cache = mkdtempSync(join(tmpdir(), 'locus-bench-huge-pages-'));
  const results: Record<string, { firstLoadMs: number; byRound: Record<Way, ChildResult[]> }> = {};
  try {
    for (const name of names) {
      const dir = MODELS[name]!;
      // The first load writes the model's kept copies (a large model's); the timed ones all find them.
      const first = await spawnChild('server environment', dir, cache);
      const byRound: Record<Way, ChildResult[]> = { 'plain environment': [], 'server environment': [] };
      for (let r = 0; r < rounds; r++) {
        for (const way of r % 2 === 0 ? WAYS : [...WAYS].reverse()) {
          const result = await spawnChild(way, dir, cache);
          byRound[way].push(result);
          console.error(`${name} round ${r + 1}, ${way}: load ${result.loadMs.toFixed(0)} ms, prefill ${result.prefillMs.toFixed(0)} ms, decode ${result.decodeTokensPerSecond.toFixed(1)} tok/s, huge ${result.anonHuge.toFixed(0)} MiB`);
        }
      }
      results[name] = { firstLoadMs: first.loadMs, byRound };
    }
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }

  const machine = { ...machineInfo(), loadAverage1mBefore: loadBefore, loadAverage1mAfter: loadavg()[0]!, transparentHugePages: thp };
  const date = new Date().toISOString();
  const day = date.slice(0, 10);
  const rows = [...Array(rounds).keys()];
  const lines: string[] = [];
  const summary: Record<string, unknown> = {};
  for (const [name, { byRound }] of Object.entries(results)) {
    const plain = byRound['plain environment'];
    const server = byRound['server environment'];
    const load = sideBySide(rows, (i) => plain[i]!.loadMs, (i) => server[i]!.loadMs);
    const prefill = sideBySide(rows, (i) => plain[i]!.prefillMs, (i) => server[i]!.prefillMs);
    const decode = sideBySide(rows, (i) => 1 / plain[i]!.decodeTokensPerSecond, (i) => 1 / server[i]!.decodeTokensPerSecond);
    const sameTokens = plain.every((p, i) => JSON.stringify(p.tokens) === JSON.stringify(server[i]!.tokens));
    summary[name] = { load, prefill, decode, sameTokens };
    const med = (rs: ChildResult[], pick: (r: ChildResult) => number) => percentile(rs.map(pick), 50);
    lines.push(
      `## ${name} (${relative(ROOT, MODELS[name]!)}, onnx/model_q4.onnx)`,
      '',
      '| process | load ms | prefill ms | decode tok/s | private MiB after the run | of it in huge pages |',
      '|---|---|---|---|---|---|',
      ...WAYS.map((w) => {
        const rs = byRound[w];
        return `| ${w} | ${med(rs, (r) => r.loadMs).toFixed(0)} | ${med(rs, (r) => r.prefillMs).toFixed(0)} | ${med(rs, (r) => r.decodeTokensPerSecond).toFixed(1)} | ${med(rs, (r) => r.anon).toFixed(0)} | ${med(rs, (r) => r.anonHuge).toFixed(0)} |`;
      }),
      '',
      `Side by side (median of the rounds' ratios, plain / server): load ${load.speedUp.toFixed(2)}x faster, prefill ${prefill.speedUp.toFixed(2)}x, decode ${decode.speedUp.toFixed(2)}x. Same greedy tokens in every round: ${sameTokens ? 'yes' : 'NO'}.`,
      '',
      'Rounds (load ms / prefill ms / decode tok/s):',
      '',
      ...WAYS.map((w) => `- ${w}: ${byRound[w].map((r) => `${r.loadMs.toFixed(0)} / ${r.prefillMs.toFixed(0)} / ${r.decodeTokensPerSecond.toFixed(1)}`).join(', ')}`),
      '',
    );
  }
  const md = [
    `# The server's process environment: transparent huge pages for onnxruntime's weights (${day})`,
    '',
    `Command: \`npm run bench -- hugePages ${process.argv.slice(3).join(' ')}\`. Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}, transparent huge pages \`${thp}\`; 1-minute load average ${loadBefore.toFixed(1)} before, ${machine.loadAverage1mAfter.toFixed(1)} after.`,
    '',
    `**server environment** = the environment the launchers give the language server (\`serverProcessEnv\` in lsp-server/serverProcessFlags.ts: glibc's huge-pages tunable and a fixed mmap threshold); **plain environment** = the same without them. Each load in a process of its own with the server's V8 flags, loading the model's 4-bit file through \`loadDecoder\` on ${threads} thread(s) as the server does (its kept copies written by an untimed first load), then a ${PROMPT_TOKENS}-token prompt (cold; shorter where the context is) and ${DECODE_TOKENS} greedy steps. ${rounds} rounds, the two processes alternating, which goes first swapping every round. Private memory: RssAnon; in huge pages: AnonHugePages (/proc/self/smaps_rollup).`,
    '',
    ...lines,
  ].join('\n');
  writeResults('huge-pages', label, day, { date, machine, threads, rounds, promptTokens: PROMPT_TOKENS, decodeTokens: DECODE_TOKENS, results, summary }, md);
}

if (process.argv.includes('--child')) runBench(() => child(arg('child', ''), arg('cache', '')));
else runBench(main);
