// Memory-bandwidth probe: how many bytes per second this machine can stream from RAM, measured the way decode
// uses it (large sequential reads, all compute threads at once). Buffer.compare on two equal buffers is a native
// memcmp (SIMD in glibc) that reads both buffers to the end, so it is bound by memory, not by JS.
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';

export interface BandwidthResult {
  /** Read GB/s (1e9 bytes) with one thread, median of runs. */
  singleThreadGBps: number;
  /** Read GB/s summed over `threads` threads reading their own buffers at once, median of runs. */
  multiThreadGBps: number;
  threads: number;
  bytesPerThread: number;
  runs: number;
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const half = workerData.bytes / 2;
const a = Buffer.allocUnsafeSlow(half).fill(0x5a);
const b = Buffer.allocUnsafeSlow(half).fill(0x5a);
parentPort.on('message', (msg) => {
  if (msg === 'exit') { process.exit(0); }
  const t0 = process.hrtime.bigint();
  if (Buffer.compare(a, b) !== 0) throw new Error('buffers differ');
  parentPort.postMessage(Number(process.hrtime.bigint() - t0) / 1e9);
});
parentPort.postMessage('ready');
`;

function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)];
}

async function probe(threads: number, bytesPerThread: number, runs: number): Promise<number> {
  const workers = Array.from({ length: threads }, () => new Worker(WORKER_SOURCE, { eval: true, workerData: { bytes: bytesPerThread } }));
  const next = (w: Worker) => new Promise<unknown>((res, rej) => { w.once('message', res); w.once('error', rej); });
  await Promise.all(workers.map(next)); // buffers allocated and touched
  const rates: number[] = [];
  for (let r = 0; r < runs + 1; r++) {
    const t0 = performance.now();
    const done = workers.map(next);
    for (const w of workers) w.postMessage('go');
    await Promise.all(done);
    const seconds = (performance.now() - t0) / 1000;
    if (r > 0) rates.push((threads * bytesPerThread) / seconds / 1e9); // run 0 warms caches and TLBs
  }
  for (const w of workers) w.postMessage('exit');
  return median(rates);
}

export async function measureBandwidth(options: { mibPerThread?: number; runs?: number; threads?: number } = {}): Promise<BandwidthResult> {
  const bytesPerThread = (options.mibPerThread ?? 512) * 1024 * 1024;
  const runs = options.runs ?? 7;
  const threads = options.threads ?? availableParallelism();
  return {
    singleThreadGBps: await probe(1, bytesPerThread, runs),
    multiThreadGBps: await probe(threads, bytesPerThread, runs),
    threads,
    bytesPerThread,
    runs,
  };
}
