// Bundles the VS Code client, the language server, its inference, telemetry and tokenizer-file workers and the CLI
// separately.
// onnxruntime-node stays external: it ships native binaries that cannot be bundled.
import * as esbuild from 'esbuild';

const watch = process.argv.includes('--watch');
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
  external: ['onnxruntime-node', 'vscode'],
};

const entries = [
  { entryPoints: { extension: 'extension/extension.ts' } },
  { entryPoints: { server: 'lsp-server/main.ts' } },
  { entryPoints: { inferenceWorker: 'runtime/inferenceWorker.ts' } },
  { entryPoints: { telemetryQueryWorker: 'lsp-server/telemetry/telemetryQueryWorker.ts' } },
  { entryPoints: { tokenizerFileWorker: 'runtime/tokenizerFileWorker.ts' } },
  { entryPoints: { cli: 'cli/main.ts' } },
  // The TypeScript compiler for the efficiency checks (lsp-server/efficiency/functionTarget.ts loads it on first
  // use): its own file, so the server bundle does not parse 9 MB at every start.
  { entryPoints: { typescript: 'node_modules/typescript/lib/typescript.js' }, sourcemap: false },
];

const contexts = await Promise.all(
  entries
    .filter((e) => Object.values(e.entryPoints).every((p) => existsSync(p)))
    .map((e) => esbuild.context({ ...common, ...e, outdir: 'dist' })),
);
// The server's tree-sitter runtime and grammars load from dist/tree-sitter/ (lsp-server/context/syntaxChunker.ts).
const TREE_SITTER_FILES = ['tree-sitter', 'tree-sitter-typescript', 'tree-sitter-tsx', 'tree-sitter-javascript', 'tree-sitter-python', 'tree-sitter-go', 'tree-sitter-rust', 'tree-sitter-java'];
mkdirSync('dist/tree-sitter', { recursive: true });
for (const name of TREE_SITTER_FILES) copyFileSync(`node_modules/@vscode/tree-sitter-wasm/wasm/${name}.wasm`, `dist/tree-sitter/${name}.wasm`);

if (watch) {
  await Promise.all(contexts.map((c) => c.watch()));
} else {
  await Promise.all(contexts.map((c) => c.rebuild()));
  await Promise.all(contexts.map((c) => c.dispose()));
}

function existsSync(p) {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}
import { copyFileSync, mkdirSync, statSync } from 'node:fs';
