// Entry point of dist/cli.js: `npm start -- complete <file>:<line>:<col>`. A client like VS Code: it starts
// dist/server.js and asks it for an inline completion over LSP, then prints the text and its latency.
import { readFileSync, statSync } from 'node:fs';
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
import { MAX_DOCUMENT_CHARS } from '../lsp-server/completableDocument';
import { withHome } from '../lsp-server/config';
import { CompletionSkippedNotification, CompletionTimingsNotification, StatusNotification, type CompletionTimings, type LocusSettingsInput, type ModelStatus } from '../lsp-server/protocol';
import { USAGE, UsageError, count, forTheCommandLine, languageIdOf, offsetOf, parseArgs } from './args';
import { startServerProcess, withTimeout } from './serverProcess';

/** Loading a large model on a slow machine can take a while; a completion should not. */
const LOAD_TIMEOUT_MS = 180_000;
const COMPLETION_TIMEOUT_MS = 120_000;

class CliError extends Error {}

/** The file's text, or one sentence on why it cannot be completed before the server is even started. */
function readSource(shown: string, file: string): string {
  try {
    // Over three bytes a UTF-16 unit, surely over the server's size limit: not read (a 184 MB file took 19 s to send).
    if (statSync(file).size > MAX_DOCUMENT_CHARS * 3) throw new CliError(`${shown} is over 1 MiB: Locus makes no completion in files that large.`);
    return readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof CliError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CliError(`${shown} does not exist: check the path.`);
    if (code === 'EISDIR') throw new CliError(`${shown} is a folder: name a file in it.`);
    if (code === 'EACCES') throw new CliError(`${shown} cannot be read (permission denied).`);
    throw new CliError(`cannot read ${shown}: ${code ?? String(error)}`);
  }
}

async function main(argv: string[]): Promise<number> {
  const command = parseArgs(argv);
  if (command.kind === 'usage') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const file = path.resolve(command.file);
  const text = readSource(command.file, file);
  const offset = offsetOf(text, command.line, command.column);
  if (typeof offset === 'string') throw new CliError(`${command.file}: ${offset}`);

  const server = startServerProcess(path.join(__dirname, 'server.js'));
  // A server that dies (killed for memory, a crash) ends the run at once, not at the next step's time limit.
  const stopped = new Promise<never>((_, reject) =>
    server.child.once('exit', (code, signal) => {
      const said = server.stderr().trim().split('\n').at(-1);
      reject(new CliError(`the Locus server stopped (${signal ?? `exit code ${code}`})${said ? `: ${said}` : ''}. Run the command again; if it stops again, free some memory or use a smaller model (--model).`));
    }),
  );
  stopped.catch(() => undefined);
  const untilStopped = <T>(step: Promise<T>, ms: number, what: string) => withTimeout(Promise.race([step, stopped]), ms, what);
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
    const uri = pathToFileURL(file).href;
    // Why the server makes no completion in the file (a secret file, binary): said before it answers.
    let skipped: string | null = null;
    connection.onNotification(CompletionSkippedNotification.type, (p) => {
      if (p.uri === uri) skipped = p.reason;
    });

    const languageId = languageIdOf(file);
    const settings: LocusSettingsInput = {
      model: command.modelDir === undefined ? {} : { path: path.resolve(withHome(command.modelDir)) },
      // The file named is completed, whatever its language (plain text and Markdown are off by default).
      completion: { ...(command.maxTokens === undefined ? {} : { maxNewTokens: command.maxTokens }), languages: { '*': true, [languageId]: true } },
    };
    await untilStopped(
      connection.sendRequest(InitializeRequest.type, { processId: process.pid, rootUri: null, capabilities: {}, initializationOptions: settings }),
      30_000,
      'starting the server',
    );
    await connection.sendNotification(InitializedNotification.type, {});
    await connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri, languageId, version: 1, text },
    });

    const ready = await untilStopped(status, LOAD_TIMEOUT_MS, 'loading the model');
    if (ready.state === 'error') throw new CliError(`${ready.message} ${forTheCommandLine(ready.fix)}`);
    if (ready.state !== 'ready') throw new CliError('the model did not load');

    const position = { line: command.line - 1, character: command.column - 1 };
    const started = performance.now();
    const result = await untilStopped(
      connection.sendRequest(InlineCompletionRequest.type, { textDocument: { uri }, position, context: { triggerKind: 2 } }),
      COMPLETION_TIMEOUT_MS,
      'the completion',
    );
    if (skipped !== null) throw new CliError(skipped);
    const elapsed = performance.now() - started;
    const items: InlineCompletionItem[] = result === null ? [] : Array.isArray(result) ? result : (result as InlineCompletionList).items;
    const first = items[0];
    const insert = first === undefined ? '' : typeof first.insertText === 'string' ? first.insertText : first.insertText.value;

    // stdout holds the completion alone, for scripts; an empty answer leaves it empty.
    if (insert === '') process.stderr.write('(no completion)\n');
    else process.stdout.write(`${insert}\n`);
    const latency =
      timings === undefined
        ? `request ${elapsed.toFixed(0)} ms`
        : `first token ${timings.firstTokenMs.toFixed(0)} ms · total ${timings.totalMs.toFixed(0)} ms · ` +
          `${timings.tokensPerSecond.toFixed(1)} tokens/s (${count(timings.generatedTokens, 'token')} generated, ${count(timings.promptTokens, 'prompt token')}) · ` +
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

// A reader that closed the pipe (`| head`) wants no more: not an error worth a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
});

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError) process.stderr.write(`locus: ${error.message}\n\n${USAGE}\n`);
    else process.stderr.write(`locus: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
