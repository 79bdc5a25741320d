// Entry point of dist/server.js. `createConnection(ProposedFeatures.all)` picks stdio or IPC from argv
// (`--stdio`, `--node-ipc`), so VS Code and the CLI start the same bundle.
import { ProposedFeatures, createConnection } from 'vscode-languageserver/node';
import { TextTokenizer, WorkerEngine } from '../runtime/index';
import { CachingTokenizer } from './cachingTokenizer';
import { startServer } from './server';
import { warmUpTokenizer } from './tokenizerWarmUp';

startServer(createConnection(ProposedFeatures.all), {
  createEngine: () => new WorkerEngine(),
  loadTokenizer: async (modelDir) => {
    const tokenizer = TextTokenizer.fromDirectory(modelDir);
    // Before the cache, which would answer the sample's repeats without running the tokenizer.
    warmUpTokenizer(tokenizer);
    return new CachingTokenizer(tokenizer);
  },
  bundleDir: __dirname,
});
