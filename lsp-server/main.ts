// Entry point of dist/server.js. `createConnection(ProposedFeatures.all)` picks stdio or IPC from argv
// (`--stdio`, `--node-ipc`), so VS Code and the CLI start the same bundle.
import { join } from 'node:path';
import { ProposedFeatures, createConnection } from 'vscode-languageserver/node';
import { WorkerEngine } from '../runtime/index';
import { CachingTokenizer } from './cachingTokenizer';
import { startServer } from './server';
import { WorkerTelemetryQueries } from './telemetry/telemetryQueryThread';
import { loadWarmedTokenizer } from './tokenizerWarmUp';

startServer(createConnection(ProposedFeatures.all), {
  createEngine: (onCrash) => new WorkerEngine(undefined, { onCrash }),
  loadTokenizer: async (modelDir) => new CachingTokenizer(await loadWarmedTokenizer(modelDir)),
  bundleDir: __dirname,
  createTelemetryQueries: (log) => new WorkerTelemetryQueries(join(__dirname, 'telemetryQueryWorker.js'), { log }),
});
