// `npm run bench -- speculative [--model DIR] [--draft DIR] [--prompts N] [--threads N]`
// Decode speed with and without speculative decoding on real completion prompts: plain target decoding versus
// prompt lookup, the draft model, and both (auto), for 16-, 32- and 64-token completions, all in one run and on
// the same prompts. Every speculative output is checked token for token against plain greedy decoding.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { GREEDY_SAMPLING, type SpeculationMode } from '../runtime/engine';
import { Generator } from '../runtime/generator';
import { loadDecoder } from '../runtime/modelLoader';
import { TextTokenizer } from '../runtime/tokenizer';
import { findFimTokens } from '../runtime/localEngine';
import { buildFimPrompt } from '../lsp-server/fimPrompt';
import { mulberry32 } from '../runtime/sampler';
import { collectSources, percentile, randomCursor } from './realCodeSources';

const ROOT = resolve(__dirname, '..');
const arg = (name: string, fallback: string) => {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : fallback;
};
const modelDir = resolve(arg('model', join(ROOT, 'models', 'default', 'target')));
const draftDir = resolve(arg('draft', join(ROOT, 'models', 'default', 'draft')));
const promptCount = Number(arg('prompts', '120'));
const threads = Number(arg('threads', '2'));
const LENGTHS = (process.argv.includes('--lengths') ? arg('lengths', '') : '16,32,64').split(',').map(Number);
const MODES: SpeculationMode[] = ['off', 'lookup', 'draft', 'auto'];

async function main(): Promise<void> {
  const tokenizer = TextTokenizer.fromDirectory(modelDir);
  const target = await loadDecoder(modelDir, 'auto', threads, tokenizer.vocabSize);
  const draft = await loadDecoder(draftDir, 'auto', threads, tokenizer.vocabSize);
  const generator = new Generator({
    model: target.model,
    draft: draft.model,
    tokenizer,
    eosTokenIds: target.config.eosTokenIds,
    maxContext: target.config.maxPositionEmbeddings,
  });
  const fim = findFimTokens(tokenizer);
  const random = mulberry32(2026);
  const sources = collectSources();
  const budget = Math.min(768, target.config.maxPositionEmbeddings - 80);
  const prompts: { source: string; ids: number[] }[] = [];
  while (prompts.length < promptCount && sources.length > 0) {
    const file = sources[Math.floor(random() * sources.length)];
    const cursor = randomCursor(file, random, 4, 0.6);
    if (cursor === undefined) continue;
    const { ids } = buildFimPrompt(tokenizer, fim, file.text.slice(0, cursor), file.text.slice(cursor), budget);
    prompts.push({ source: `${file.path}@${cursor}`, ids });
  }

  type Run = { mode: SpeculationMode; length: number; ms: number; ttftMs: number; tokens: number; drafted: number; accepted: number; identical: boolean };
  const runs: Run[] = [];
  // Warm-up: the first passes of a session allocate its arenas.
  for (const mode of MODES) await generator.generate({ promptIds: prompts[0].ids, maxNewTokens: 8, sampling: GREEDY_SAMPLING, stopStrings: [], speculation: mode });
  const started = Date.now();
  for (const length of LENGTHS) {
    for (const prompt of prompts) {
      let reference: number[] = [];
      for (const mode of MODES) {
        // Every run starts cold: a cached prompt would make the later modes look faster than they are.
        generator.clearPrefixCache();
        const r = await generator.generate({
          promptIds: prompt.ids,
          maxNewTokens: length,
          sampling: GREEDY_SAMPLING,
          stopStrings: [],
          speculation: mode,
        });
        if (mode === 'off') reference = r.tokenIds;
        runs.push({
          mode,
          length,
          ms: r.timings.totalMs,
          ttftMs: r.timings.firstTokenMs,
          tokens: r.tokenIds.length,
          drafted: r.speculation?.drafted ?? 0,
          accepted: r.speculation?.accepted ?? 0,
          identical: r.tokenIds.length === reference.length && r.tokenIds.every((t, i) => t === reference[i]),
        });
      }
    }
  }
  const wallS = (Date.now() - started) / 1000;

  const rows = LENGTHS.flatMap((length) =>
    MODES.map((mode) => {
      const sel = runs.filter((r) => r.mode === mode && r.length === length);
      const base = runs.filter((r) => r.mode === 'off' && r.length === length);
      const tokens = sel.reduce((s, r) => s + r.tokens, 0);
      const decodeMs = sel.reduce((s, r) => s + (r.ms - r.ttftMs), 0);
      const decodeTokens = sel.reduce((s, r) => s + Math.max(0, r.tokens - 1), 0);
      const baseDecodeMs = base.reduce((s, r) => s + (r.ms - r.ttftMs), 0);
      const drafted = sel.reduce((s, r) => s + r.drafted, 0);
      const accepted = sel.reduce((s, r) => s + r.accepted, 0);
      return {
        length,
        mode,
        prompts: sel.length,
        tokens,
        decodeTokPerS: decodeMs > 0 ? (decodeTokens * 1000) / decodeMs : 0,
        speedupVsPlain: decodeMs > 0 ? baseDecodeMs / decodeMs : 0,
        latencyP50Ms: percentile(sel.map((r) => r.ms), 50),
        latencyP95Ms: percentile(sel.map((r) => r.ms), 95),
        acceptanceRate: drafted > 0 ? accepted / drafted : 0,
        drafted,
        identicalToPlain: sel.filter((r) => r.identical).length,
      };
    }),
  );
  const machine = {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    threads,
  };
  const result = {
    date: new Date().toISOString(),
    machine,
    target: { dir: relative(ROOT, modelDir), onnx: target.files.onnxFile },
    draft: { dir: relative(ROOT, draftDir), onnx: draft.files.onnxFile },
    prompts: prompts.length,
    promptTokensMedian: percentile(prompts.map((p) => p.ids.length), 50),
    wallSeconds: wallS,
    rows,
  };
  const day = result.date.slice(0, 10);
  const outDir = join(ROOT, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, `speculative-${day}.json`), JSON.stringify(result, null, 2) + '\n');
  const md = [
    `# Speculative decoding benchmark (${day})`,
    '',
    `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}, ${threads} ORT threads.`,
    `Target ${result.target.dir}/${result.target.onnx}, draft ${result.draft.dir}/${result.draft.onnx}; ${prompts.length} FIM prompts from real code (median ${result.promptTokensMedian} prompt tokens), greedy, ${wallS.toFixed(0)} s in all.`,
    '',
    '| tokens | mode | decode tok/s | speed-up vs plain | p50 ms | p95 ms | acceptance | drafted | identical to plain |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.length} | ${r.mode} | ${r.decodeTokPerS.toFixed(1)} | ${r.speedupVsPlain.toFixed(2)}x | ${r.latencyP50Ms.toFixed(1)} | ${r.latencyP95Ms.toFixed(1)} | ${(r.acceptanceRate * 100).toFixed(1)}% | ${r.drafted} | ${r.identicalToPlain}/${r.prompts} |`,
    ),
    '',
  ].join('\n');
  writeFileSync(join(outDir, `speculative-${day}.md`), md);
  console.log(md);
  await target.model.dispose();
  await draft.model.dispose();
}

void main().catch((e: Error) => {
  console.error(e.stack ?? e.message);
  process.exit(1);
});
