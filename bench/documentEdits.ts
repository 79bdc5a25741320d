// `npm run bench -- documentEdits [--sizes-mb 0.1,1,5,20] [--keystrokes N] [--rounds N] [--baseline-server-js PATH]`
// What a keystroke in an open document costs the language server: for each size, a TypeScript document of that many
// megabytes is opened in a server (dist/server.js over stdio) and typed into `keystrokes` times, one character each,
// each change followed by an automatic inline-completion request as an editor sends it while typing, and the server
// process's CPU time (/proc utime + stime) and the client's round trip are divided by the keystrokes. The model runs
// only when asked (`trigger: manual`), so no model pass is counted: what is left is the document's upkeep, the
// request's handling, and for documents over the completion limit (1 Mi characters) the check that skips them. With
// `--baseline-server-js` (another build's dist/server.js) the same is measured on that build, the builds alternating
// round by round.
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { InlineCompletionRequest, InlineCompletionTriggerKind } from 'vscode-languageserver-protocol';
import { arg, runBench, writeResults } from './benchCli';
import { BenchClient, machineInfo, percentile, sleep } from './lsp/benchClient';
import { processCpuMs, processMemoryMiB } from './processMemory';

const sizesMb = arg('sizes-mb', '0.1,1,5,20').split(',').map(Number);
const keystrokes = Number(arg('keystrokes', '40'));
const rounds = Number(arg('rounds', '3'));
const baselineServerJs = process.argv.includes('--baseline-server-js') ? resolve(arg('baseline-server-js', '')) : undefined;
const LINE = 'const value = someFunction(argument1, argument2); // comment here\n';
/** Typing happens this far into the document, as in the middle of a file. */
const EDIT_LINE_SHARE = 0.5;
/** The server settles after the opening (the index's delayed update) before the keystrokes are timed. */
const SETTLE_MS = 1500;

interface Run {
  build: 'this' | 'baseline';
  sizeMb: number;
  round: number;
  cpuMsPerKeystroke: number;
  wallMsPerKeystroke: number;
  residentMiB: number;
}

async function measure(build: Run['build'], sizeMb: number, round: number): Promise<Run> {
  const text = LINE.repeat(Math.ceil((sizeMb * 1e6) / LINE.length));
  const line = Math.floor((text.length / LINE.length) * EDIT_LINE_SHARE);
  const client = await BenchClient.start({ completion: { trigger: 'manual' } }, build === 'baseline' ? { serverJs: baselineServerJs } : {});
  try {
    const pid = client.server.child.pid!;
    const uri = `file:///locus-bench/documentEdits/${sizeMb}mb.ts`;
    await client.open(uri, 'typescript', text);
    await sleep(SETTLE_MS);
    const cpuBefore = processCpuMs(pid);
    const started = performance.now();
    for (let i = 0; i < keystrokes; i++) {
      const at = { line, character: 5 + i };
      await client.insert(uri, at, 'x');
      await client.server.connection.sendRequest(InlineCompletionRequest.type, {
        textDocument: { uri },
        position: { line, character: 6 + i },
        context: { triggerKind: InlineCompletionTriggerKind.Automatic },
      });
    }
    const wallMs = performance.now() - started;
    return { build, sizeMb, round, cpuMsPerKeystroke: (processCpuMs(pid) - cpuBefore) / keystrokes, wallMsPerKeystroke: wallMs / keystrokes, residentMiB: processMemoryMiB(pid).resident };
  } finally {
    await client.server.stop();
  }
}

async function main(): Promise<void> {
  if (process.platform !== 'linux') throw new Error('documentEdits reads /proc: Linux only');
  const builds: Run['build'][] = baselineServerJs === undefined ? ['this'] : ['baseline', 'this'];
  const loadBefore = loadavg();
  const runs: Run[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const sizeMb of sizesMb) {
      for (const build of round % 2 === 0 ? builds : [...builds].reverse()) {
        const run = await measure(build, sizeMb, round);
        runs.push(run);
        console.error(`round ${round + 1} ${sizeMb} MB ${build}: ${run.cpuMsPerKeystroke.toFixed(2)} ms CPU, ${run.wallMsPerKeystroke.toFixed(2)} ms wall per keystroke`);
      }
    }
  }
  const loadAfter = loadavg();
  const rows = sizesMb.flatMap((sizeMb) =>
    builds.map((build) => {
      const mine = runs.filter((r) => r.sizeMb === sizeMb && r.build === build);
      return {
        sizeMb,
        build,
        cpuMsPerKeystroke: percentile(mine.map((r) => r.cpuMsPerKeystroke), 50),
        wallMsPerKeystroke: percentile(mine.map((r) => r.wallMsPerKeystroke), 50),
        residentMiB: percentile(mine.map((r) => r.residentMiB), 50),
        byRound: mine.map((r) => r.cpuMsPerKeystroke),
      };
    }),
  );
  const date = new Date().toISOString();
  const day = date.slice(0, 10);
  const machine = { ...machineInfo(), loadAverage1mBefore: loadBefore[0], loadAverage1mAfter: loadAfter[0] };
  const result = { date, machine, sizesMb, keystrokes, rounds, baselineServerJs: baselineServerJs ?? null, rows, runs };
  const fmt = (x: number, digits = 2) => (Number.isNaN(x) ? '-' : x.toFixed(digits));
  const markdown = [
    `# What a keystroke in an open document costs the server (${day})`,
    '',
    `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}; shared with other work (1-minute load average ${fmt(loadBefore[0]!, 1)} before, ${fmt(loadAfter[0]!, 1)} after).`,
    `A TypeScript document of each size (lines of ${LINE.length - 1} characters), ${keystrokes} keystrokes in its middle, each a one-character change and an automatic inline-completion request (\`trigger: manual\`: no model pass); server CPU time from /proc (10 ms ticks: ${fmt(10 / keystrokes)} ms per keystroke resolution), the client's round trip, and the server's resident memory after. Medians of ${rounds} rounds${baselineServerJs === undefined ? '' : `, the builds alternating (baseline: ${baselineServerJs})`}.`,
    '',
    '| size MB | build | server CPU ms / keystroke | round trip ms / keystroke | server RSS MiB | CPU by round |',
    '|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.sizeMb} | ${r.build} | ${fmt(r.cpuMsPerKeystroke)} | ${fmt(r.wallMsPerKeystroke)} | ${fmt(r.residentMiB, 0)} | ${r.byRound.map((x) => fmt(x)).join(' / ')} |`),
    '',
  ].join('\n');
  writeResults('document-edits', '', day, result, markdown);
}

runBench(main);
