// Child-process entry point for isolated.ts: reads a RunnerInput from stdin, runs the named runner, prints
// one marked JSON line with the result and this process's peak RSS.
import { MARKER, type RunnerName } from './isolated';
import { runLlamaCpp } from './llamaCppRunner';
import { runLocusPlain, runLocusSpeculative } from './locusRunner';
import { runTransformersJs } from './transformersJsRunner';
import type { Runner, RunnerInput } from './types';

const RUNNERS: Record<RunnerName, Runner> = {
  'transformers.js': runTransformersJs,
  'llama.cpp': runLlamaCpp,
  locus: runLocusPlain,
  'locus+spec': runLocusSpeculative,
};

async function main(): Promise<void> {
  const runner = RUNNERS[process.argv[2] as RunnerName];
  if (!runner) throw new Error(`unknown runner ${process.argv[2]}`);
  let text = '';
  for await (const chunk of process.stdin) text += chunk;
  const result = await runner(JSON.parse(text) as RunnerInput);
  const peakRssMiB = process.resourceUsage().maxRSS / 1024; // maxRSS is in KiB
  process.stdout.write(`${MARKER}${JSON.stringify({ ...result, peakRssMiB })}\n`);
}

main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
