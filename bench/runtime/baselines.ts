// The parts of `npm run bench -- runtime` that do not need Locus's runtime: the bandwidth probe, then
// transformers.js and llama.cpp (node-llama-cpp) on every model file present, each in its own process, with
// the decode speed set against the memory-bandwidth ceiling measured in the same run.
//   node --import tsx bench/runtime/baselines.ts [model dir ...] [--warm-ups 2] [--repeats 3] [--threads 1,2] [--skip regex] [--out file.json]
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { measureBandwidth, type BandwidthResult } from './bandwidth';
import { ggufWeightBytes, meanBytesPerToken, onnxWeightBytes, type WeightBytes } from './bytesPerToken';
import { runIsolated, type RunnerName } from './isolated';
import { buildPrompts } from './prompts';
import type { RunnerResult } from './types';

export interface BaselineRow extends RunnerResult {
  model: string;
  fileBytes: number;
  bytesPerToken: number;
  bytesMethod: string;
  /** Decode tok/s the measured bandwidth would allow at these bytes per token. */
  ceilingTokPerS: number;
  /** decodeTokPerS / ceilingTokPerS: the share of memory bandwidth decode achieves. */
  bandwidthUtilization: number;
  loadAvgBefore: number;
}

export interface BaselineReport {
  machine: { cpu: string; cores: number; memGiB: number; node: string };
  bandwidth: BandwidthResult;
  rows: BaselineRow[];
  failures: { model: string; runner: RunnerName; file: string; threads: number; error: string }[];
}

/** Files each runner can take from a model directory, fastest formats first. */
export const CANDIDATES: { runner: RunnerName; file: string }[] = [
  { runner: 'transformers.js', file: 'onnx/model_q4.onnx' },
  { runner: 'transformers.js', file: 'onnx/model_int8.onnx' },
  { runner: 'transformers.js', file: 'onnx/model.onnx' },
  { runner: 'llama.cpp', file: 'gguf/model-q4_0.gguf' },
  { runner: 'llama.cpp', file: 'gguf/model-q4_0-pure.gguf' },
  { runner: 'llama.cpp', file: 'gguf/model-q8_0.gguf' },
  { runner: 'llama.cpp', file: 'gguf/model-f16.gguf' },
];

function fileBytes(path: string): number {
  return statSync(path).size + (existsSync(path + '_data') ? statSync(path + '_data').size : 0);
}

export async function runBaselines(options: { modelDirs: string[]; warmUps: number; repeats: number; threads: number[]; skip?: RegExp; log?: (s: string) => void }): Promise<BaselineReport> {
  const log = options.log ?? ((s: string) => console.error(s));
  const bandwidth = await measureBandwidth({ threads: Math.max(...options.threads) });
  log(`bandwidth: 1 thread ${bandwidth.singleThreadGBps.toFixed(1)} GB/s, ${bandwidth.threads} threads ${bandwidth.multiThreadGBps.toFixed(1)} GB/s`);
  const rows: BaselineRow[] = [];
  const failures: BaselineReport['failures'] = [];
  for (const modelDir of options.modelDirs) {
    const prompts = buildPrompts(modelDir);
    for (const threads of options.threads) for (const { runner, file } of CANDIDATES) {
      const path = join(modelDir, file);
      if (!existsSync(path) || options.skip?.test(`${runner}:${file}`)) continue;
      const loadAvgBefore = loadavg()[0];
      try {
        const result = await runIsolated(runner, { modelDir, file, prompts, threads, warmUps: options.warmUps, repeats: options.repeats });
        const w: WeightBytes = file.endsWith('.gguf') ? await ggufWeightBytes(modelDir, file) : onnxWeightBytes(modelDir, file);
        const bytesPerToken = meanBytesPerToken(w, prompts);
        // The ceiling uses the bandwidth of as many reading threads as the runner computes with.
        const gbps = threads === 1 ? bandwidth.singleThreadGBps : bandwidth.multiThreadGBps;
        const ceilingTokPerS = (gbps * 1e9) / bytesPerToken;
        rows.push({
          ...result, model: modelDir, fileBytes: fileBytes(path), bytesPerToken, bytesMethod: w.method, ceilingTokPerS,
          bandwidthUtilization: result.decodeTokPerS / ceilingTokPerS, loadAvgBefore,
        });
        log(`${modelDir} ${runner} ${file} ${threads}t: prefill ${result.prefillTokPerS.toFixed(1)} tok/s, decode ${result.decodeTokPerS.toFixed(1)} tok/s ` +
          `(${((100 * result.decodeTokPerS) / ceilingTokPerS).toFixed(0)}% of ${ceilingTokPerS.toFixed(1)}), TTFT ${result.ttftMs.toFixed(0)} ms, ` +
          `peak ${result.peakRssMiB.toFixed(0)} MiB (load avg before ${loadAvgBefore.toFixed(2)})`);
      } catch (e) {
        failures.push({ model: modelDir, runner, file, threads, error: String(e).slice(0, 2000) });
        log(`${modelDir} ${runner} ${file} ${threads}t: FAILED ${String(e).slice(0, 300)}`);
      }
    }
  }
  return {
    machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memGiB: totalmem() / 2 ** 30, node: process.version },
    bandwidth,
    rows,
    failures,
  };
}

export function markdownTable(report: BaselineReport): string {
  const lines = [
    '| model | runner | file | threads | size MB | prefill tok/s | decode tok/s | TTFT ms | peak RSS MiB | MB read/token | ceiling tok/s | % of BW | load avg |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of report.rows) {
    lines.push(`| ${r.model.split('/').pop()} | ${r.runner} | ${r.file} | ${r.threads} | ${(r.fileBytes / 1e6).toFixed(1)} | ${r.prefillTokPerS.toFixed(1)} | ` +
      `${r.decodeTokPerS.toFixed(1)} | ${r.ttftMs.toFixed(0)} | ${r.peakRssMiB.toFixed(0)} | ${(r.bytesPerToken / 1e6).toFixed(1)} | ` +
      `${r.ceilingTokPerS.toFixed(1)} | ${(100 * r.bandwidthUtilization).toFixed(0)}% | ${r.loadAvgBefore.toFixed(1)} |`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const flag = (name: string, fallback: string) => {
    const i = args.indexOf(name);
    if (i < 0) return fallback;
    const value = args[i + 1];
    args.splice(i, 2);
    return value;
  };
  const warmUps = Number(flag('--warm-ups', '2'));
  const repeats = Number(flag('--repeats', '3'));
  const threads = flag('--threads', '2').split(',').map(Number);
  const out = flag('--out', '');
  const skip = flag('--skip', '');
  const modelDirs = args.length ? args : ['bench/models/qwen05-shaped', 'bench/models/tiny-llama'].filter((d) => existsSync(d));
  const report = await runBaselines({ modelDirs, warmUps, repeats, threads, skip: skip ? new RegExp(skip) : undefined });
  console.log(markdownTable(report));
  if (out) {
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, JSON.stringify(report, null, 2));
  }
}

if (require.main === module) {
  main().catch((e) => { console.error(e); process.exit(1); });
}
