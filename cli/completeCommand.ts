// `complete <file>:<line>:<col>`: the inline completion Locus offers there, on stdout, and its latency on stderr.
import * as path from 'node:path';
import { InlineCompletionRequest, type InlineCompletionItem, type InlineCompletionList } from 'vscode-languageserver-protocol';
import { CompletionTimingsNotification, type CompletionTimings } from '../lsp-server/protocol';
import { count, languageIdOf, offsetOf, type CompleteCommand } from './args';
import { CliError } from './cliError';
import { invocationFolder } from './invocationFolder';
import { modelSummary } from './modelSummary';
import { openSession } from './serverSession';
import { readSource } from './sourceFile';

/** A completion should not take long, even with a large model. */
const COMPLETION_TIMEOUT_MS = 120_000;

export async function runComplete(command: CompleteCommand): Promise<number> {
  const file = path.resolve(invocationFolder(), command.file);
  const text = readSource(command.file, file, 'completion');
  const offset = offsetOf(text, command.line, command.column);
  if (typeof offset === 'string') throw new CliError(`${command.file}: ${offset}`);

  const languageId = languageIdOf(file);
  const session = await openSession({
    file,
    text,
    languageId,
    modelDir: command.modelDir,
    settings: {
      // The file named is completed, whatever its language (plain text and Markdown are off by default).
      completion: { ...(command.maxTokens === undefined ? {} : { maxNewTokens: command.maxTokens }), languages: { '*': true, [languageId]: true } },
    },
  });
  try {
    const { connection, uri } = session;
    let timings: CompletionTimings | undefined;
    connection.onNotification(CompletionTimingsNotification.type, (t) => {
      timings = t;
    });
    const position = { line: command.line - 1, character: command.column - 1 };
    const started = performance.now();
    const result = await session.untilStopped(
      connection.sendRequest(InlineCompletionRequest.type, { textDocument: { uri }, position, context: { triggerKind: 2 } }),
      COMPLETION_TIMEOUT_MS,
      'the completion',
    );
    // Why the server makes no completion in the file (a secret file, binary): said before it answers.
    const skipped = session.skipReason();
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
    for (const line of modelSummary(session.ready, latency)) process.stderr.write(`${line}\n`);
    return 0;
  } finally {
    await session.stop();
  }
}
