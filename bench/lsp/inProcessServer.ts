// The language server with inference on its own thread (LocalEngine instead of the worker), for the
// responsiveness benchmark's contrast only: what the server would be if session.run blocked its message loop.
// Run with tsx (`node --import tsx bench/lsp/inProcessServer.ts --stdio`).
import { join, resolve } from 'node:path';
import { ProposedFeatures, createConnection } from 'vscode-languageserver/node';
import { LocalEngine } from '../../runtime/index';
import { startServer } from '../../lsp-server/server';
import { InThreadTelemetryQueries } from '../../lsp-server/telemetry/telemetryQueries';
import { loadWarmedTokenizer } from '../../lsp-server/tokenizerWarmUp';

const DIST = join(resolve(__dirname, '..', '..'), 'dist');

startServer(createConnection(ProposedFeatures.all), {
  createEngine: () => new LocalEngine(),
  loadTokenizer: async (modelDir) => loadWarmedTokenizer(modelDir, join(DIST, 'tokenizerFileWorker.js')),
  bundleDir: DIST,
  createTelemetryQueries: () => new InThreadTelemetryQueries(),
});
