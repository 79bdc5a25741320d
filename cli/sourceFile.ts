// Reads the file a command names, or says in one sentence why it cannot, before the server is even started.
import { readFileSync, statSync } from 'node:fs';
import { MAX_DOCUMENT_CHARS } from '../lsp-server/completableDocument';
import { CliError } from './cliError';

/**
 * `shown`: the path as the user wrote it; `product`: what the command makes (`completion`), for the size refusal. The
 * server's limit for a prompt's file holds for every command (the editor explains larger files; the command line need
 * not send them).
 */
export function readSource(shown: string, file: string, product: string): string {
  const tooLarge = () => new CliError(`${shown} is over 1 MiB: Locus makes no ${product} in files that large.`);
  try {
    // Over three bytes a UTF-16 unit, surely over the limit: not read (a 184 MB file took 19 s to send).
    if (statSync(file).size > MAX_DOCUMENT_CHARS * 3) throw tooLarge();
    const text = readFileSync(file, 'utf8');
    if (text.length > MAX_DOCUMENT_CHARS) throw tooLarge();
    // The server's rule (completableDocument.ts), said before a model loads for it.
    if (text.includes('\u0000')) throw new CliError(`${shown} is binary (it holds NUL characters): Locus makes no ${product} in binary files.`);
    return text;
  } catch (error) {
    if (error instanceof CliError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CliError(`${shown} does not exist: check the path.`);
    if (code === 'EISDIR') throw new CliError(`${shown} is a folder: name a file in it.`);
    if (code === 'EACCES') throw new CliError(`${shown} cannot be read (permission denied).`);
    throw new CliError(`cannot read ${shown}: ${code ?? String(error)}`);
  }
}
