// `compress <file>:<line>:<col>`: the prompt a completion there would get, before and after selective-context
// compression (`locus/compress`), as the server words it for the editor's Compress Context document.
import * as path from 'node:path';
import { CompressRequest, type CompressResult } from '../lsp-server/protocol';
import { languageIdOf, offsetOf, type CompressCommand } from './args';
import { CliError } from './cliError';
import { invocationFolder } from './invocationFolder';
import { modelSummary } from './modelSummary';
import { openSession, type ServerSession } from './serverSession';
import { readSource } from './sourceFile';
import { workspaceFolderFor } from './workspaceFolder';

/** Retrieval and scoring take milliseconds; only a large model on a slow machine takes long. */
const COMPRESS_TIMEOUT_MS = 60_000;
/** How long the report waits for the workspace's index to be built; after it, it shows what is indexed by then. */
const INDEX_WAIT_MS = 60_000;
const INDEX_POLL_MS = 250;

export async function runCompress(command: CompressCommand): Promise<number> {
  const file = path.resolve(invocationFolder(), command.file);
  const text = readSource(command.file, file, 'prompt');
  const offset = offsetOf(text, command.line, command.column);
  if (typeof offset === 'string') throw new CliError(`${command.file}: ${offset}`);

  const workspaceFolder = workspaceFolderFor(file, invocationFolder());
  const session = await openSession({
    file,
    text,
    languageId: languageIdOf(file),
    modelDir: command.modelDir,
    // The budget stands in for the completions' own, so one above it is not capped at it.
    settings: command.budget === undefined ? {} : { completion: { promptTokenBudget: command.budget } },
    workspaceFolder,
  });
  try {
    const started = performance.now();
    const result = await compressOnceIndexed(session, { line: command.line - 1, character: command.column - 1 }, command.budget, workspaceFolder);
    const elapsed = performance.now() - started;
    process.stdout.write(result.report);
    for (const line of modelSummary(session.ready, `request ${elapsed.toFixed(0)} ms`)) process.stderr.write(`${line}\n`);
    return 0;
  } finally {
    await session.stop();
  }
}

/**
 * The server's answer once the index is built: the server indexes the workspace in the background after it starts,
 * and an answer meanwhile retrieves from what it has indexed so far.
 */
async function compressOnceIndexed(session: ServerSession, position: { line: number; character: number }, budget: number | undefined, folder: string): Promise<CompressResult> {
  const ask = () =>
    session.untilStopped(
      session.connection.sendRequest(CompressRequest.type, { textDocument: { uri: session.uri }, position, ...(budget !== undefined && { budget }) }),
      COMPRESS_TIMEOUT_MS,
      'compressing the prompt',
    );
  const waitEnds = performance.now() + INDEX_WAIT_MS;
  let result = await ask();
  if (result.index.building) process.stderr.write(`   indexing ${folder}\n`);
  while (result.index.building && performance.now() < waitEnds) {
    await new Promise((resolve) => setTimeout(resolve, INDEX_POLL_MS));
    result = await ask();
  }
  return result;
}
