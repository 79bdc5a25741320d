// Entry point of dist/cli.js: `npm start -- complete <file>:<line>:<col>`. A client like VS Code: it starts
// dist/server.js and asks it for an inline completion over LSP, then prints the text and its latency.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  DidOpenTextDocumentNotification,
  InitializedNotification,
  InitializeRequest,
  InlineCompletionRequest,
  type InlineCompletionItem,
  type InlineCompletionList,
} from 'vscode-languageserver-protocol';
import { CompletionTimingsNotification, StatusNotification, type CompletionTimings, type LocusSettingsInput, type ModelStatus } from '../lsp-server/protocol';
import { USAGE, UsageError, forTheCommandLine, languageIdOf, offsetOf, parseArgs } from './args';
import { startServerProcess, withTimeout } from './serverProcess';

/** Loading a large model on a slow machine can take a while; a completion should not. */
const LOAD_TIMEOUT_MS = 180_000;
const COMPLETION_TIMEOUT_MS = 120_000;

class CliError extends Error {}

async function main(argv: string[]): Promise<number> {
  const command = parseArgs(argv);
  if (command.kind === 'usage') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const file = path.resolve(command.file);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${command.file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const offset = offsetOf(text, command.line, command.column);
  if (typeof offset === 'string') throw new CliError(`${command.file}: ${offset}`);

  const server = startServerProcess(path.join(__dirname, 'server.js'));
  try {
    const { connection } = server;
    const status = new Promise<ModelStatus>((resolve) =>
      connection.onNotification(StatusNotification.type, (s) => {
        if (s.state !== 'loading') resolve(s);
        else if (s.step !== undefined) process.stderr.write(`   ${s.step}\n`);
      }),
    );
    let timings: CompletionTimings | undefined;
    connection.onNotification(CompletionTimingsNotification.type, (t) => {
      timings = t;
    });

    const settings: LocusSettingsInput = {
      model: command.modelDir === undefined ? {} : { path: path.resolve(command.modelDir) },
      completion: { ...(command.maxTokens === undefined ? {} : { maxNewTokens: command.maxTokens }), languages: { '*': true } },
    };
    await withTimeout(
      connection.sendRequest(InitializeRequest.type, { processId: process.pid, rootUri: null, capabilities: {}, initializationOptions: settings }),
      30_000,
      'starting the server',
    );
    await connection.sendNotification(InitializedNotification.type, {});
    const uri = pathToFileURL(file).href;
    await connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri, languageId: languageIdOf(file), version: 1, text },
    });

    const ready = await withTimeout(status, LOAD_TIMEOUT_MS, 'loading the model');
    if (ready.state === 'error') throw new CliError(`${ready.message} ${forTheCommandLine(ready.fix)}`);
    if (ready.state !== 'ready') throw new CliError('the model did not load');

    const position = { line: command.line - 1, character: command.column - 1 };
    const started = performance.now();
    const result = await withTimeout(
      connection.sendRequest(InlineCompletionRequest.type, { textDocument: { uri }, position, context: { triggerKind: 2 } }),
      COMPLETION_TIMEOUT_MS,
      'the completion',
    );
    const elapsed = performance.now() - started;
    const items: InlineCompletionItem[] = result === null ? [] : Array.isArray(result) ? result : (result as InlineCompletionList).items;
    const first = items[0];
    const insert = first === undefined ? '' : typeof first.insertText === 'string' ? first.insertText : first.insertText.value;

    process.stdout.write(insert === '' ? '(no completion)\n' : `${insert}\n`);
    const latency =
      timings === undefined
        ? `request ${elapsed.toFixed(0)} ms`
        : `first token ${timings.firstTokenMs.toFixed(0)} ms · total ${timings.totalMs.toFixed(0)} ms · ` +
          `${timings.tokensPerSecond.toFixed(1)} tokens/s (${timings.generatedTokens} tokens generated, ${timings.promptTokens} prompt tokens) · ` +
          `request ${elapsed.toFixed(0)} ms`;
    const draft = ready.draft === undefined ? '' : `, draft ${ready.draft}`;
    const prefill = ready.prefillFile === undefined ? '' : `, prefills on ${ready.prefillFile}`;
    process.stderr.write(`── ${ready.model} (${ready.onnxFile}, ${ready.quantization}${prefill}${draft}) · ${latency}\n`);
    if (ready.autoChoice !== undefined) process.stderr.write(`   auto took ${ready.onnxFile}: ${ready.autoChoice}\n`);
    if (ready.prefillCopy !== undefined) process.stderr.write(`   ${ready.prefillCopy}\n`);
    if (ready.prepared !== undefined) process.stderr.write(`   ${ready.prepared}\n`);
    if (ready.keptCopies !== undefined) process.stderr.write(`   Kept copies are in ${ready.keptCopies}.\n`);
    return 0;
  } finally {
    await server.stop();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError) process.stderr.write(`locus: ${error.message}\n\n${USAGE}\n`);
    else process.stderr.write(`locus: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
