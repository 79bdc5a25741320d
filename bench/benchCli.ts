// What the benches share around their measurements: `--name value` options after `npm run bench -- <bench>`,
// writing the JSON and Markdown results under bench/results/, naming a checkout's commit, and exiting non-zero on
// failure.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const RESULTS = resolve(__dirname, 'results');

/** The value after `--name`, or `fallback` when the option is absent. */
export function arg(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1]! : fallback;
}

/** Writes bench/results/<kind>[-<label>]-<day>.{json,md} and prints the Markdown. */
export function writeResults(kind: string, label: string, day: string, result: unknown, markdown: string): void {
  mkdirSync(RESULTS, { recursive: true });
  const tag = `${kind}-${label === '' ? '' : `${label}-`}${day}`;
  writeFileSync(join(RESULTS, `${tag}.json`), JSON.stringify(result, null, 2) + '\n');
  writeFileSync(join(RESULTS, `${tag}.md`), markdown);
  console.log(markdown);
}

/** The commit checked out in `dir`: its short hash and subject (cut to 90 characters), for A/B results. */
export function commitOf(dir: string): string {
  return execFileSync('git', ['-C', dir, 'log', '-1', '--format=%h %s'], { encoding: 'utf8' }).trim().slice(0, 90);
}

/** Runs a bench's main, printing the stack and exiting 1 if it fails. */
export function runBench(main: () => Promise<void>): void {
  main().catch((e: Error) => {
    console.error(e.stack ?? e.message);
    process.exit(1);
  });
}
