// `npm run bench -- beams [--model DIR] [--threads N] [--tokens N] [--rounds N] [--label NAME]`
// What beam search costs per token (runtime/beamSearch.ts, the single-line default is width 3), with the
// continuations of a step in one batched pass (DecoderModel.batch) and with a pass per continuation (the same model
// with its batch hidden), side by side in one process on the same loaded model: the runtime bench's prompts, cold
// (prefix cache cleared), `--tokens` new tokens with no stop, greedy, no speculation. Width 1 (greedy decoding) is
// the reference. A random-weight model (bench/models/qwen05-shaped) is the worst case: its flat rows are never
// pruned, so every step carries the full width.
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import type { DecoderModel, KvState } from '../runtime/decoderModel';
import { GREEDY_SAMPLING } from '../runtime/engine';
import { Generator } from '../runtime/generator';
import { loadDecoder } from '../runtime/modelLoader';
import { TokenDecoder } from '../runtime/tokenizer';
import { arg, runBench, writeResults } from './benchCli';
import { machineInfo, percentile } from './lsp/benchClient';
import { buildPrompts } from './runtime/prompts';

const modelDir = resolve(arg('model', 'models/default/target'));
const threads = Number(arg('threads', '2'));
const newTokens = Number(arg('tokens', '16'));
const rounds = Number(arg('rounds', '3'));
const label = arg('label', '');
const WIDTHS = [1, 2, 3];

/** `model` without its batch: beam search then runs a pass per continuation. */
function unbatched(model: DecoderModel): DecoderModel {
  return {
    emptyKv: () => model.emptyKv(),
    forward: (ids: readonly number[], kv: KvState, keep: number) => model.forward(ids, kv, keep),
    truncate: (kv: KvState, length: number) => model.truncate(kv, length),
    rollback: (kv: KvState, length: number) => model.rollback(kv, length),
    dispose: async () => undefined,
  };
}

interface Run {
  prompt: string;
  width: number;
  way: 'batched' | 'separate';
  msPerToken: number;
  tokenIds: number[];
}

async function main(): Promise<void> {
  const tokenizer = TokenDecoder.fromDirectory(modelDir);
  const target = await loadDecoder(modelDir, 'auto', threads, tokenizer.vocabSize);
  const generators = {
    batched: new Generator({ model: target.model, tokenizer, eosTokenIds: [], maxContext: target.config.maxPositionEmbeddings }),
    separate: new Generator({ model: unbatched(target.model), tokenizer, eosTokenIds: [], maxContext: target.config.maxPositionEmbeddings }),
  };
  const prompts = buildPrompts(modelDir);
  const loadBefore = loadavg()[0]!;
  const runs: Run[] = [];
  for (let round = 0; round <= rounds; round++) {
    for (const prompt of prompts) {
      for (const width of WIDTHS) {
        // Alternate which way goes first; round 0 warms both up and is not counted.
        const ways = (round + width) % 2 === 0 ? (['batched', 'separate'] as const) : (['separate', 'batched'] as const);
        for (const way of width === 1 ? (['batched'] as const) : ways) {
          const generator = generators[way];
          generator.clearPrefixCache();
          const started = performance.now();
          const out = await generator.generate({ promptIds: prompt.ids, maxNewTokens: newTokens, sampling: GREEDY_SAMPLING, stopStrings: [], speculation: 'off', beamWidth: width });
          const after = performance.now() - started - out.timings.firstTokenMs;
          if (round > 0) runs.push({ prompt: prompt.name, width, way, msPerToken: after / Math.max(1, out.tokenIds.length - 1), tokenIds: out.tokenIds });
        }
      }
    }
    if (round > 0) console.log(`round ${round}/${rounds} done`);
  }
  await target.model.dispose();

  const rows = prompts.flatMap((prompt) =>
    WIDTHS.map((width) => {
      const of = (way: Run['way']) => runs.filter((r) => r.prompt === prompt.name && r.width === width && r.way === way);
      const batched = of('batched');
      const separate = of('separate');
      const same = separate.every((s, i) => s.tokenIds.join() === batched[i]!.tokenIds.join());
      return {
        prompt: prompt.name,
        width,
        batchedMs: percentile(batched.map((r) => r.msPerToken), 50),
        separateMs: separate.length ? percentile(separate.map((r) => r.msPerToken), 50) : undefined,
        // Per round the two ways ran back to back: the ratio is the median of those pairs.
        ratio: separate.length ? percentile(separate.map((s, i) => s.msPerToken / batched[i]!.msPerToken), 50) : undefined,
        sameTokens: separate.length ? same : undefined,
      };
    }),
  );
  const date = new Date().toISOString();
  const machine = machineInfo();
  const result = { date, machine, loadAverage1mBefore: loadBefore, loadAverage1mAfter: loadavg()[0], modelDir, threads, newTokens, rounds, rows, runs };
  const fmt = (x: number | undefined, digits = 1) => (x === undefined ? '' : x.toFixed(digits));
  const markdown = [
    `# Beam search per token: one batched pass per step against a pass per continuation (${date.slice(0, 10)})`,
    '',
    `Command: \`npm run bench -- beams --model ${arg('model', 'models/default/target')} --threads ${threads} --tokens ${newTokens} --rounds ${rounds}\`.`,
    '',
    `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}; 1-minute load average ${loadBefore.toFixed(2)} before, ${result.loadAverage1mAfter!.toFixed(2)} after (the machine is shared).`,
    `Model: ${modelDir} (${target.files.onnxFile}, ${threads} thread(s) as the runtime sets them for that file). Each run: the prompt cold, ${newTokens} new tokens, no stop, greedy, no speculation; ms per token after the first (the prompt's pass excluded); median of ${rounds} rounds after a warm-up round, the two ways back to back in alternating order.`,
    '',
    '| prompt | width | batched ms/token | a pass per continuation ms/token | ratio (median of pairs) | same tokens |',
    '|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.prompt} | ${r.width} | ${fmt(r.batchedMs)} | ${fmt(r.separateMs)} | ${r.ratio === undefined ? '(greedy)' : `${fmt(r.ratio, 2)}x`} | ${r.sameTokens === undefined ? '' : r.sameTokens ? 'yes' : 'no'} |`),
    '',
  ].join('\n');
  writeResults('beams', label, date.slice(0, 10), result, markdown);
}

runBench(main);
