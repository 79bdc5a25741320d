import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RequestScheduler } from '../../lsp-server/requestScheduler';

/**
 * A task that runs until its signal aborts (or `ms` passes), and reports how it ended. `stepMs`: it notices an
 * abort only after that long, as a model run does at the end of the pass in flight.
 */
function work(log: string[], name: string, ms = 1000, stepMs = 0) {
  return (signal: AbortSignal) =>
    new Promise<string>((resolve) => {
      log.push(`start ${name}`);
      const timer = setTimeout(() => resolve(`${name} done`), ms);
      signal.addEventListener('abort', () =>
        setTimeout(() => {
          clearTimeout(timer);
          resolve(`${name} aborted`);
        }, stepMs),
      );
    });
}

const open = () => new AbortController().signal;

describe('RequestScheduler', () => {
  it('aborts the running request when a newer one comes, for the same document or another', async () => {
    const scheduler = new RequestScheduler();
    const log: string[] = [];
    const first = scheduler.schedule(open(), work(log, 'first'));
    const second = scheduler.schedule(open(), work(log, 'second', 5));
    assert.equal(await first, 'first aborted');
    assert.equal(await second, 'second done');
    assert.deepEqual(log, ['start first', 'start second']);
  });

  it('runs one request at a time and queues only the latest; older queued ones resolve empty without running', async () => {
    const scheduler = new RequestScheduler();
    const log: string[] = [];
    // The running one takes 30 ms to see its abort: the two after it wait meanwhile, and only the later runs.
    const running = scheduler.schedule(open(), work(log, 'a', 1000, 30));
    const queuedOld = scheduler.schedule(open(), work(log, 'b'));
    const queuedNew = scheduler.schedule(open(), work(log, 'c', 5));
    assert.equal(await queuedOld, undefined);
    assert.equal(await running, 'a aborted');
    assert.equal(await queuedNew, 'c done');
    assert.deepEqual(log, ['start a', 'start c']);
  });

  it('passes cancellation down to the running task', async () => {
    const scheduler = new RequestScheduler();
    const log: string[] = [];
    const cancel = new AbortController();
    const started = Date.now();
    const result = scheduler.schedule(cancel.signal, work(log, 'a'));
    setTimeout(() => cancel.abort(), 10);
    assert.equal(await result, 'a aborted');
    assert.ok(Date.now() - started < 500);
  });

  it('drops a cancelled request that is still waiting, and one cancelled before it was scheduled', async () => {
    const scheduler = new RequestScheduler();
    const log: string[] = [];
    const running = scheduler.schedule(open(), work(log, 'a', 1000, 20));
    const cancel = new AbortController();
    const waiting = scheduler.schedule(cancel.signal, work(log, 'b'));
    cancel.abort();
    assert.equal(await waiting, undefined);
    assert.equal(await running, 'a aborted');
    assert.equal(await scheduler.schedule(AbortSignal.abort(), work(log, 'c')), undefined);
    assert.deepEqual(log, ['start a']);
  });

  it('keeps working after a task fails', async () => {
    const scheduler = new RequestScheduler();
    await assert.rejects(scheduler.schedule(open(), async () => Promise.reject(new Error('boom'))), /boom/);
    assert.equal(await scheduler.schedule(open(), async () => 'ok'), 'ok');
  });
});
