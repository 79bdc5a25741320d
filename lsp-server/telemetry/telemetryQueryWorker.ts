// Worker-thread entry (bundled to dist/telemetryQueryWorker.js): answers telemetry queries off the server's
// thread. One question at a time, in the order asked; see telemetryQueryThread.ts for the other side.
import { parentPort } from 'node:worker_threads';
import { TelemetryQueryAnswerer, type TelemetryQuery } from './telemetryQueries';
import type { TelemetryQueryReply } from './telemetryQueryThread';

const port = parentPort;
if (!port) throw new Error('telemetryQueryWorker.js must be started as a worker thread.');
const answerer = new TelemetryQueryAnswerer();

port.on('message', ({ id, query }: { id: number; query: TelemetryQuery }) => {
  let reply: TelemetryQueryReply;
  try {
    reply = { id, ok: true, result: answerer.answer(query) };
  } catch (error) {
    reply = { id, ok: false, message: error instanceof Error ? error.message : String(error) };
  }
  port.postMessage(reply);
});
