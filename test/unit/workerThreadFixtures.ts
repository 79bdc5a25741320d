// Shared by the tests of worker threads: a worker's bundle built as esbuild.mjs builds it, and a count of the calling
// thread's event-loop turns (work that holds the thread lets none happen).
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import * as esbuild from 'esbuild';

/** Bundles `entry` to `outfile` with the project's options (onnxruntime-node stays external, resolved from node_modules). */
export async function bundleWorker(entry: string, outfile: string): Promise<void> {
  mkdirSync(dirname(outfile), { recursive: true });
  await esbuild.build({ entryPoints: [entry], outfile, bundle: true, platform: 'node', target: 'node20', format: 'cjs', external: ['onnxruntime-node'], logLevel: 'warning' });
}

/** Counts the event loop's turns from now until `stop()`. */
export function countTurns(): { readonly turns: number; stop(): void } {
  let turns = 0;
  let spinning = true;
  const spin = () => {
    if (!spinning) return;
    turns++;
    setImmediate(spin);
  };
  setImmediate(spin);
  return {
    get turns() {
      return turns;
    },
    stop: () => void (spinning = false),
  };
}

/** How many times the calling thread's event loop turned while `work` was pending. */
export async function turnsDuring<T>(work: () => Promise<T>): Promise<{ value: T; turns: number }> {
  const counter = countTurns();
  try {
    return { value: await work(), turns: counter.turns };
  } finally {
    counter.stop();
  }
}
