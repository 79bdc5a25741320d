// Runs tokenizerFileWorker.ts (dist/tokenizerFileWorker.js) for one model folder: the files read and parsed on a
// worker thread, their BPE tables packed (bpeTables.ts), errors rebuilt as their LocusError class.
import { Worker } from 'node:worker_threads';
import type { BpeTables } from './bpeTables';
import { fromSerializedError, WorkerCrashedError, type SerializedLocusError } from './errors';
import type { TokenizerFiles } from './tokenizerFiles';

/** What the worker posts back, once. */
export type TokenizerFileReply = { ok: true; files: TokenizerFiles; tables?: BpeTables } | { ok: false; error: SerializedLocusError };

export function readTokenizerFilesOffThread(modelDir: string, workerScript: string): Promise<{ files: TokenizerFiles; tables?: BpeTables }> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (action: () => void) => {
      if (settled) return;
      settled = true;
      action();
    };
    const worker = new Worker(workerScript, { workerData: { modelDir } });
    worker.once('message', (reply: TokenizerFileReply) => {
      settle(() => (reply.ok ? resolve({ files: reply.files, ...(reply.tables && { tables: reply.tables }) }) : reject(fromSerializedError(reply.error))));
      void worker.terminate();
    });
    const stopped = (why: string) =>
      settle(() => reject(new WorkerCrashedError(`The thread that reads ${modelDir}'s tokenizer.json stopped: ${why}.`, 'Reload the window to try again; if it stops again, replace tokenizer.json with the one published with the model.')));
    worker.once('error', (e) => stopped(e.message));
    worker.once('exit', (code) => stopped(`exit code ${code}`));
  });
}
