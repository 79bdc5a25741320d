// Entry point of dist/cli.js: `npm start -- complete|explain|compress …`. A client like VS Code: it starts
// dist/server.js, asks it over LSP what the editor's command would, and prints the answer and its latency.
import { USAGE, UsageError, parseArgs, type CliCommand } from './args';
import { runComplete } from './completeCommand';
import { runCompress } from './compressCommand';
import { runExplain } from './explainCommand';

function run(command: CliCommand): Promise<number> {
  switch (command.kind) {
    case 'usage':
      process.stdout.write(`${USAGE}\n`);
      return Promise.resolve(0);
    case 'complete':
      return runComplete(command);
    case 'explain':
      return runExplain(command);
    case 'compress':
      return runCompress(command);
  }
}

// A reader that closed the pipe (`| head`, or `2>&1 | head` for stderr too) wants no more: not an error worth a
// stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
}

Promise.resolve()
  .then(() => run(parseArgs(process.argv.slice(2))))
  .then(
    (code) => process.exit(code),
    (error: unknown) => {
      if (error instanceof UsageError) process.stderr.write(`locus: ${error.message}\n\n${USAGE}\n`);
      else process.stderr.write(`locus: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(error instanceof UsageError ? 2 : 1);
    },
  );
