// Import rules that keep the architecture honest (see DEVELOPERS.md, "House style").
import tseslint from 'typescript-eslint';

const noVscode = { name: 'vscode', message: 'vscode may only be imported in extension/.' };
const ortOnlyInBackend = { name: 'onnxruntime-node', message: 'onnxruntime-node may only be imported in runtime/ortBackend.ts.' };

export default tseslint.config(
  { ignores: ['.locus-cache/**', 'dist/**', 'out/**', 'node_modules/**', 'test/e2e/.code-server/**', 'training/**', 'scripts/**', 'media/**'] },
  {
    files: ['**/*.ts'],
    languageOptions: { parser: tseslint.parser },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { paths: [noVscode, ortOnlyInBackend] }],
    },
  },
  {
    files: ['runtime/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [noVscode, ortOnlyInBackend],
          patterns: [
            { group: ['vscode-languageserver*', 'vscode-languageclient*', 'vscode-jsonrpc*'], message: 'runtime/ knows nothing of LSP.' },
            { group: ['**/lsp-server/**', '**/extension/**'], message: 'runtime/ never imports server or client code.' },
          ],
        },
      ],
    },
  },
  {
    files: ['runtime/ortBackend.ts', 'bench/**/*.ts', 'test/**/*.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { paths: [noVscode] }] },
  },
  {
    files: ['extension/**/*.ts', 'test/e2e/**/*.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': 'off' },
  },
  {
    files: ['lsp-server/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { paths: [noVscode, ortOnlyInBackend], patterns: [{ group: ['**/extension/**'], message: 'The server never imports client code.' }] },
      ],
    },
  },
);
