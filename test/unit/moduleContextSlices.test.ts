// The module context of a function in a large file is read in slices: the server's thread is given back between them
// (completions first), and an aborted refinement stops at the next one.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { moduleContexts, type ModuleContextRequest } from '../../lsp-server/efficiency/moduleContext';
import { NO_MODULE_CONTEXT } from '../../lsp-server/efficiency/moduleDefinitions';

/** A ~630 KiB Python file of 12,000 statements: `target` needs every one of them through a chain of helpers. */
function chainedHelpers(count: number): ModuleContextRequest {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    lines.push(`CONSTANT_${i} = ${i} * 2 + len("pad pad pad")`);
    lines.push(`def helper_${i}(x):\n    return ${i === 0 ? 'x' : `helper_${i - 1}(x)`} + CONSTANT_${i}`);
  }
  const source = `def target(x):\n    return helper_${count - 1}(x)\n`;
  const text = `${lines.join('\n')}\n${source}`;
  return { text, offset: text.length - 1, functionName: 'target', languageId: 'python', sources: [source] };
}

/**
 * CPU time of this thread (ms): on a busy machine, time the thread waited for a core is no time it held the event
 * loop. Linux gives it per thread; elsewhere the process's stands in.
 */
function threadCpuMs(): number {
  try {
    return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
  } catch {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  }
}

/** A pause that records the longest time the work held the thread between two pauses (and before the first, after the last). */
function stretchRecorder(): { pause: () => Promise<void>; pauses: () => number; longest: () => number } {
  let resumed = threadCpuMs();
  let longest = 0;
  let pauses = 0;
  return {
    pause: async () => {
      longest = Math.max(longest, threadCpuMs() - resumed);
      pauses++;
      resumed = threadCpuMs();
    },
    pauses: () => pauses,
    longest: () => Math.max(longest, threadCpuMs() - resumed),
  };
}

describe('module context in slices', () => {
  const request = chainedHelpers(6000);
  // The grammar's first load compiles its WASM once per process: not what is measured here.
  before(() => moduleContexts(chainedHelpers(1)));

  it('gives the thread back throughout a large file and still finds every definition', async () => {
    const recorder = stretchRecorder();
    const started = threadCpuMs();
    const [context] = await moduleContexts(request, { pause: recorder.pause });
    const longest = recorder.longest();
    const total = threadCpuMs() - started;
    assert.equal(context!.names.length, 12000, 'every constant and helper of the chain');
    assert.ok(context!.before.startsWith('CONSTANT_0 = 0 * 2'), 'in file order');
    // Against the whole work's CPU time, so that the machine's speed does not matter: slices of 8 ms held the thread
    // for 19-38 ms at most (a GC in one) of 0.8-1.7 s here, about 1/40; the parse in one go took 1/5 of it, reading the
    // statements in one go 1/9.
    assert.ok(longest < total / 12, `held the thread for ${longest.toFixed(0)} ms of CPU time at a stretch, of ${total.toFixed(0)} ms`);
    assert.ok(recorder.pauses() > 20, `${recorder.pauses()} pauses`);
  });

  it('stops at the next slice once its signal is aborted, with no context', async () => {
    const controller = new AbortController();
    let pauses = 0;
    const contexts = await moduleContexts(request, {
      pause: async () => {
        pauses++;
        controller.abort();
      },
      signal: controller.signal,
    });
    assert.deepEqual(contexts, [NO_MODULE_CONTEXT]);
    assert.equal(pauses, 1);
  });
});
