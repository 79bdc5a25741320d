// `explain <file>:<line>[-<line>]`: Locus's explanation of those lines (`locus/explain`), written to stdout as the
// server streams it, and its latency on stderr.
import * as path from 'node:path';
import { ExplainChunkNotification, ExplainRequest, type ExplainResult } from '../lsp-server/protocol';
import { count, languageIdOf, type ExplainCommand } from './args';
import { CliError } from './cliError';
import { invocationFolder } from './invocationFolder';
import { lineRangeOf } from './lineRange';
import { modelSummary } from './modelSummary';
import { openSession } from './serverSession';
import { readSource } from './sourceFile';

/** An explanation runs to a few hundred tokens: with a large model on a slow machine, a minute or two. */
const EXPLAIN_TIMEOUT_MS = 300_000;
const STREAM_ID = 'cli';

export async function runExplain(command: ExplainCommand): Promise<number> {
  const file = path.resolve(invocationFolder(), command.file);
  const text = readSource(command.file, file, 'explanation');
  const range = lineRangeOf(text, command.startLine, command.endLine);
  if (typeof range === 'string') throw new CliError(`${command.file}: ${range}`);

  // No workspace folder: an explanation retrieves nothing, and indexing one would take the model's CPU (a chat
  // model's question names the file by its name then, not by its path in the workspace).
  const session = await openSession({ file, text, languageId: languageIdOf(file), modelDir: command.modelDir, settings: {} });
  try {
    const { connection, uri } = session;
    let written = '';
    let firstTextMs: number | undefined;
    const started = performance.now();
    connection.onNotification(ExplainChunkNotification.type, (chunk) => {
      if (chunk.streamId !== STREAM_ID) return;
      firstTextMs ??= performance.now() - started;
      written += chunk.delta;
      process.stdout.write(chunk.delta);
    });
    const result = await session.untilStopped(connection.sendRequest(ExplainRequest.type, { textDocument: { uri }, range, streamId: STREAM_ID }), EXPLAIN_TIMEOUT_MS, 'the explanation');
    const elapsed = performance.now() - started;
    if (written !== '' && !written.endsWith('\n')) process.stdout.write('\n');
    for (const line of modelSummary(session.ready, explainLatency(result, firstTextMs, elapsed))) process.stderr.write(`${line}\n`);
    return 0;
  } finally {
    await session.stop();
  }
}

/**
 * `first text 80 ms · generating 900 ms · 52.0 tokens/s (47 tokens generated, 210 prompt tokens) · request 910 ms`:
 * the first text as this command saw it (the server holds a sentence back until it is finished), the server's time
 * generating, and the whole request.
 */
function explainLatency(result: ExplainResult, firstTextMs: number | undefined, elapsed: number): string {
  const tokensPerSecond = result.totalMs > 0 ? (result.generatedTokens * 1000) / result.totalMs : 0;
  return [
    ...(firstTextMs === undefined ? [] : [`first text ${firstTextMs.toFixed(0)} ms`]),
    `generating ${result.totalMs} ms`,
    `${tokensPerSecond.toFixed(1)} tokens/s (${count(result.generatedTokens, 'token')} generated, ${count(result.promptTokens, 'prompt token')})`,
    ...(result.stopReason === 'length' ? ['stopped at the length limit'] : []),
    `request ${elapsed.toFixed(0)} ms`,
  ].join(' · ');
}
