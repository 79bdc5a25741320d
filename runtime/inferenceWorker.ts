// Worker-thread entry (bundled to dist/inferenceWorker.js): runs a LocalEngine off the caller's thread, because
// onnxruntime-node's session.run blocks the thread it runs on. Aborts arrive as messages; the generator yields to
// this thread's event loop between steps so they are seen within one step.
import { parentPort } from 'node:worker_threads';
import { toLocusError } from './errors';
import { LocalEngine } from './localEngine';
import type { FromWorker, ToWorker } from './workerProtocol';

const port = parentPort;
if (!port) throw new Error('inferenceWorker.js must be started as a worker thread.');

const engine = new LocalEngine();
const aborts = new Map<number, AbortController>();
const send = (message: FromWorker) => port.postMessage(message);

async function handle(message: ToWorker): Promise<void> {
  switch (message.type) {
    case 'abort':
      aborts.get(message.id)?.abort();
      return;
    case 'load':
      send({ type: 'result', id: message.id, value: await engine.load(message.options) });
      return;
    case 'generate': {
      const controller = new AbortController();
      aborts.set(message.id, controller);
      try {
        const result = await engine.generate(message.request, {
          signal: controller.signal,
          onText: (delta) => send({ type: 'text', id: message.id, delta }),
        });
        send({ type: 'result', id: message.id, value: result });
      } finally {
        aborts.delete(message.id);
      }
      return;
    }
    case 'dispose':
      await engine.dispose();
      send({ type: 'result', id: message.id, value: null });
      return;
  }
}

port.on('message', (message: ToWorker) => {
  handle(message).catch((e: unknown) => send({ type: 'error', id: message.id, error: toLocusError(e).toJSON() }));
});
