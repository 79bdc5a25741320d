// Child-process entry point for isolated.ts: reads a RunnerInput from stdin, runs the named runner, prints
// one marked JSON line with the result and this process's peak RSS. Only the named runner's module is loaded:
// importing the others (transformers.js, node-llama-cpp) made the first model Locus loaded after them prefill
// 2x slower at 512 tokens in the same process, and no runner should share a process with another's code.
import { processMemoryMiB } from '../processMemory';
import { MARKER, type RunnerName } from './isolated';
import type { Runner, RunnerInput } from './types';

const RUNNERS: Record<RunnerName, () => Promise<Runner>> = {
  'transformers.js': async () => (await import('./transformersJsRunner')).runTransformersJs,
  'llama.cpp': async () => (await import('./llamaCppRunner')).runLlamaCpp,
  locus: async () => (await import('./locusRunner')).runLocusPlain,
  'locus+spec': async () => (await import('./locusRunner')).runLocusSpeculative,
};

async function main(): Promise<void> {
  const load = RUNNERS[process.argv[2] as RunnerName];
  if (!load) throw new Error(`unknown runner ${process.argv[2]}`);
  const runner = await load();
  let text = '';
  for await (const chunk of process.stdin) text += chunk;
  const result = await runner(JSON.parse(text) as RunnerInput);
  const peakRssMiB = process.resourceUsage().maxRSS / 1024; // maxRSS is in KiB
  let privateMiB: number | undefined;
  try {
    privateMiB = processMemoryMiB().anon;
  } catch {
    // not Linux: the column stays empty
  }
  process.stdout.write(`${MARKER}${JSON.stringify({ ...result, peakRssMiB, ...(privateMiB !== undefined && { privateMiB }) })}\n`);
}

main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
