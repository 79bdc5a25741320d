// The language server with inference on its own thread (LocalEngine instead of the worker), for the
// responsiveness benchmark's contrast only: what the server would be if session.run blocked its message loop.
// Run with tsx (`node --import tsx bench/lsp/inProcessServer.ts --stdio`).
import { join, resolve } from 'node:path';
import { ProposedFeatures, createConnection } from 'vscode-languageserver/node';
import { LocalEngine, TextTokenizer } from '../../runtime/index';
import { startServer } from '../../lsp-server/server';
import { warmUpTokenizer } from '../../lsp-server/tokenizerWarmUp';

startServer(createConnection(ProposedFeatures.all), {
  createEngine: () => new LocalEngine(),
  loadTokenizer: async (modelDir) => {
    // As lsp-server/main.ts does, so the contrast differs from the real server only in where inference runs.
    const tokenizer = TextTokenizer.fromDirectory(modelDir);
    warmUpTokenizer(tokenizer);
    return tokenizer;
  },
  bundleDir: join(resolve(__dirname, '..', '..'), 'dist'),
});
