// `npm run bench -- prefixCache [--model DIR] [--prompts 50] [--threads 2] [--budget 768]`
// Issue #9, prefix cache figure: time to first token for an incremental keystroke versus a cold prompt. For real-code
// FIM prompts (buildFimPrompt, as the language server builds them), TTFT with the prefix cache cleared, then TTFT of
// the same text with 1-3 more characters typed at the cursor (the suffix unchanged) right after it, when the cache
// holds the first prompt's KV state. Plain greedy decoding (speculation off), so TTFT is prefill + one step.
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg, totalmem } from 'node:os';
import { execFileSync } from 'node:child_process';
import { join, relative, resolve } from 'node:path';
import { buildFimPrompt, fimTokenIds } from '../lsp-server/fimPrompt';
import { GREEDY_SAMPLING } from '../runtime/engine';
import { Generator } from '../runtime/generator';
import { mulberry32 } from '../runtime/sampler';
import { collectSources, percentile, randomCursor } from './realCodeSources';
import { loadDecoder } from '../runtime/modelLoader';
import { TextTokenizer } from '../runtime/tokenizer';

const ROOT = resolve(__dirname, '..');
const arg = (name: string, fallback: string) => {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : fallback;
};
const modelDir = resolve(arg('model', join(ROOT, 'models', 'default', 'target')));
const promptCount = Number(arg('prompts', '50'));
const threads = Number(arg('threads', '2'));
const budget = Number(arg('budget', '768'));
const NEW_TOKENS = 8;

function cpuModel(): string {
  try {
    return execFileSync('lscpu', { encoding: 'utf8' }).match(/^Model name:\s*(.+)$/m)?.[1]?.trim() ?? '?';
  } catch {
    return '?';
  }
}

async function main(): Promise<void> {
  const loadAvgBefore = loadavg().map((x) => Math.round(x * 100) / 100);
  const tokenizer = TextTokenizer.fromDirectory(modelDir);
  const target = await loadDecoder(modelDir, 'auto', threads, tokenizer.vocabSize);
  const generator = new Generator({ model: target.model, tokenizer, eosTokenIds: [], maxContext: target.config.maxPositionEmbeddings });
  const fim = fimTokenIds(tokenizer);
  const random = mulberry32(909);
  const sources = collectSources(['node_modules/vscode-languageserver/lib', 'node_modules/vscode-jsonrpc/lib', 'node_modules/semver', 'runtime', 'lsp-server', 'training'], 4000);
  type Case = { source: string; typed: string; cold: number[]; keystroke: number[] };
  const cases: Case[] = [];
  while (cases.length < promptCount && sources.length > 0) {
    const file = sources[Math.floor(random() * sources.length)];
    const cursor = randomCursor(file, random, 8, 0.5);
    if (cursor === undefined) continue;
    // What the user types next: the 1-3 characters the file has there (plausible code), inserted at the cursor.
    const typed = file.text.slice(cursor, cursor + 1 + Math.floor(random() * 3));
    if (typed.includes('\n')) continue;
    const prefix = file.text.slice(0, cursor);
    const suffix = file.text.slice(cursor);
    cases.push({
      source: `${file.path}@${cursor}`,
      typed,
      cold: buildFimPrompt(tokenizer, fim, prefix, suffix, budget).ids,
      keystroke: buildFimPrompt(tokenizer, fim, prefix + typed, suffix, budget).ids,
    });
  }

  const run = (ids: number[]) => generator.generate({ promptIds: ids, maxNewTokens: NEW_TOKENS, sampling: GREEDY_SAMPLING, stopStrings: [], speculation: 'off' });
  await run(cases[0].cold); // warm-up: the session's arenas for a full-length prefill
  type Measured = { source: string; typed: string; promptTokens: number; keystrokeTokens: number; coldTtftMs: number; keystrokeTtftMs: number; cachedPromptTokens: number; keystrokeColdTtftMs: number };
  const measured: Measured[] = [];
  const started = Date.now();
  for (const c of cases) {
    generator.clearPrefixCache();
    const cold = await run(c.cold);
    const warm = await run(c.keystroke); // the cache holds the cold prompt's state
    generator.clearPrefixCache();
    const keystrokeCold = await run(c.keystroke); // the keystroke prompt without the cache, for a like-for-like ratio
    measured.push({
      source: c.source,
      typed: c.typed,
      promptTokens: c.cold.length,
      keystrokeTokens: c.keystroke.length,
      coldTtftMs: cold.timings.firstTokenMs,
      keystrokeTtftMs: warm.timings.firstTokenMs,
      cachedPromptTokens: warm.timings.cachedPromptTokens ?? 0,
      keystrokeColdTtftMs: keystrokeCold.timings.firstTokenMs,
    });
  }
  const wallS = (Date.now() - started) / 1000;
  await target.model.dispose();

  const stat = (xs: number[]) => ({ median: percentile(xs, 50), p95: percentile(xs, 95), mean: xs.reduce((s, x) => s + x, 0) / xs.length });
  const reuseShare = measured.map((m) => m.cachedPromptTokens / m.keystrokeTokens);
  const summary = {
    coldTtftMs: stat(measured.map((m) => m.coldTtftMs)),
    keystrokeColdTtftMs: stat(measured.map((m) => m.keystrokeColdTtftMs)),
    keystrokeTtftMs: stat(measured.map((m) => m.keystrokeTtftMs)),
    speedupMedian: percentile(measured.map((m) => m.keystrokeColdTtftMs / m.keystrokeTtftMs), 50),
    promptTokens: stat(measured.map((m) => m.keystrokeTokens)),
    cachedPromptTokens: stat(measured.map((m) => m.cachedPromptTokens)),
    reusedShare: stat(reuseShare),
    reusedTokensTotal: measured.reduce((s, m) => s + m.cachedPromptTokens, 0),
    promptTokensTotal: measured.reduce((s, m) => s + m.keystrokeTokens, 0),
    withReuse: measured.filter((m) => m.cachedPromptTokens > 0).length,
  };
  const result = {
    date: new Date().toISOString(),
    command: `npm run bench -- prefixCache ${process.argv.slice(2).filter((a) => a !== 'prefixCache').join(' ')}`.trim(),
    machine: { cpu: cpuModel(), cores: (await import('node:os')).cpus().length, memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10, node: process.version, threads, loadAvgBefore },
    model: { dir: relative(ROOT, modelDir), onnx: target.files.onnxFile },
    budget,
    newTokens: NEW_TOKENS,
    prompts: measured.length,
    wallSeconds: wallS,
    summary,
    cases: measured,
  };
  const day = result.date.slice(0, 10);
  const outDir = join(ROOT, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, `prefix-cache-${day}.json`), JSON.stringify(result, null, 2) + '\n');
  const f = (x: number) => x.toFixed(1);
  const s = summary;
  const md = [
    `# Prefix cache: time to first token, incremental keystroke vs cold prompt (${day})`,
    '',
    `Command: \`${result.command}\`. Machine: \`lscpu\` model name ${result.machine.cpu}, ${result.machine.cores} CPUs, ${result.machine.memoryGiB} GiB, Node ${result.machine.node}, ` +
      `${threads} ORT threads; load average before the run ${loadAvgBefore.join(' / ')} (shared, loaded machine: compare the columns, not the absolute times).`,
    `Model ${result.model.dir}/${result.model.onnx}. ${measured.length} FIM prompts (buildFimPrompt, budget ${budget} tokens, suffix-prefix-middle) at seeded cursor positions in real source files ` +
      '(this repo\'s runtime/, lsp-server/, training/ and vscode-languageserver, vscode-jsonrpc, semver from node_modules); the keystroke prompt is the same text with the next 1-3 characters of the file ' +
      `typed at the cursor (suffix unchanged). Greedy, plain decoding, ${NEW_TOKENS} tokens; TTFT = GenerateResult.timings.firstTokenMs (prefill + first token). ${wallS.toFixed(0)} s in all.`,
    '',
    '| case | TTFT median ms | TTFT p95 ms | TTFT mean ms |',
    '|---|---|---|---|',
    `| cold prompt (prefix cache cleared) | ${f(s.coldTtftMs.median)} | ${f(s.coldTtftMs.p95)} | ${f(s.coldTtftMs.mean)} |`,
    `| keystroke prompt, cold (cache cleared) | ${f(s.keystrokeColdTtftMs.median)} | ${f(s.keystrokeColdTtftMs.p95)} | ${f(s.keystrokeColdTtftMs.mean)} |`,
    `| **keystroke prompt after the cold one (prefix cache)** | **${f(s.keystrokeTtftMs.median)}** | **${f(s.keystrokeTtftMs.p95)}** | ${f(s.keystrokeTtftMs.mean)} |`,
    '',
    `Median speed-up of the keystroke's TTFT with the cache over the same prompt cold: **${s.speedupMedian.toFixed(1)}x**.`,
    `Prompt tokens reused (timings.cachedPromptTokens): median ${s.cachedPromptTokens.median} of ${s.promptTokens.median} (median share ${(100 * s.reusedShare.median).toFixed(1)}%, ` +
      `p95 share ${(100 * s.reusedShare.p95).toFixed(1)}%); ${s.reusedTokensTotal} of ${s.promptTokensTotal} tokens over all prompts; ${s.withReuse}/${measured.length} keystrokes reused some prefix. ` +
      `Lowest share: ${(100 * Math.min(...reuseShare)).toFixed(1)}% (where the typed characters push the prefix over its budget, whole lines leave its start and only the suffix part can be reused).`,
    '',
  ].join('\n');
  writeFileSync(join(outDir, `prefix-cache-${day}.md`), md);
  console.log(md);
}

void main().catch((e: Error) => {
  console.error(e.stack ?? e.message);
  process.exit(1);
});
