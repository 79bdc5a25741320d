// Worker-thread entry (bundled to dist/tokenizerFileWorker.js): reads and parses a model's tokenizer files and
// takes the BPE tables out of them (bpeTables.ts), so that the thread which will encode does neither.
import { parentPort, workerData } from 'node:worker_threads';
import { takeBpeTables } from './bpeTables';
import { toLocusError } from './errors';
import type { TokenizerFileReply } from './tokenizerFileThread';
import { readTokenizerFiles } from './tokenizerFiles';

const port = parentPort;
if (!port) throw new Error('tokenizerFileWorker.js must be started as a worker thread.');

let reply: TokenizerFileReply;
let transfer: ArrayBuffer[] = [];
try {
  const files = readTokenizerFiles((workerData as { modelDir: string }).modelDir);
  const tables = takeBpeTables(files.json);
  reply = { ok: true, files, ...(tables && { tables }) };
  if (tables) transfer = [tables.tokens.utf16, tables.tokens.lengths.buffer as ArrayBuffer, tables.ids.buffer as ArrayBuffer, tables.rankKeys.utf16, tables.rankKeys.lengths.buffer as ArrayBuffer];
} catch (e) {
  reply = { ok: false, error: toLocusError(e).toJSON() };
}
port.postMessage(reply, transfer);
