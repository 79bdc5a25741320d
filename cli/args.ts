// Command-line parsing for `locus complete <file>:<line>:<col>`. Pure, so the messages are testable.

export const USAGE = `Usage: npm start -- complete <file>:<line>:<col> [--model <dir>] [--max-tokens N]

  Prints the inline completion Locus offers at that position (line and column are 1-based) and its latency.

  --model <dir>     model directory (Hugging Face / Optimum ONNX layout); default: the embedded model
  --max-tokens N    most tokens to generate (1-1024)`;

export type CliCommand =
  | { kind: 'usage' }
  | { kind: 'complete'; file: string; line: number; column: number; modelDir?: string; maxTokens?: number };

export class UsageError extends Error {}

export function parseArgs(argv: string[]): CliCommand {
  // Help is asked for in place of the command or of an option, not as a value (`--model -h` names a folder).
  const [command, target, ...rest] = argv;
  if (command === undefined || isHelp(command) || (target !== undefined && isHelp(target)) || asksForHelp(rest)) return { kind: 'usage' };
  if (command !== 'complete') throw new UsageError(`unknown command '${command}'; the only command is 'complete'`);
  if (target === undefined) throw new UsageError('complete needs a position: <file>:<line>:<col>');
  // Parse from the right so paths containing ':' still work.
  const match = /^(.+):(\d+):(\d+)$/.exec(target);
  if (match === null) throw new UsageError(`'${target}' is not <file>:<line>:<col> (line and column are 1-based numbers)`);
  const line = Number(match[2]);
  const column = Number(match[3]);
  if (line < 1 || column < 1) throw new UsageError(`line and column are 1-based; got ${line}:${column}`);
  const result: CliCommand = { kind: 'complete', file: match[1]!, line, column };
  for (let i = 0; i < rest.length; i++) {
    const option = rest[i]!;
    const value = rest[i + 1];
    if (option === '--model') {
      if (value === undefined || value.startsWith('--') || value.trim() === '') throw new UsageError('--model needs a directory (leave it out for the embedded model)');
      result.modelDir = value;
      i++;
    } else if (option === '--max-tokens') {
      const n = Number(value);
      if (value === undefined || !/^\d+$/.test(value) || n < 1 || n > 1024) throw new UsageError('--max-tokens needs an integer from 1 to 1024');
      result.maxTokens = n;
      i++;
    } else {
      throw new UsageError(`unknown option '${option}'`);
    }
  }
  return result;
}

/**
 * UTF-16 offset of a 1-based line and column in `text`, or an error message when it is outside the file. Lines end at
 * `\r\n`, `\r` or `\n`, as the editor and the server count them.
 */
export function offsetOf(text: string, line: number, column: number): number | string {
  const breaks = /\r\n|\r|\n/g;
  let start = 0;
  for (let n = 1; n < line; n++) {
    if (breaks.exec(text) === null) return `line ${line} is past the end of the file (${count(n, 'line')})`;
    start = breaks.lastIndex;
  }
  const end = /\r|\n/.exec(text.slice(start))?.index ?? text.length - start;
  if (column > end + 1) return `column ${column} is past the end of line ${line} (${count(end, 'character')})`;
  return start + column - 1;
}

function isHelp(arg: string): boolean {
  return arg === '--help' || arg === '-h';
}

/** Whether help is asked for in place of an option, before anything else is checked (`complete a.ts --help`). */
function asksForHelp(options: readonly string[]): boolean {
  for (let i = 0; i < options.length; i++) {
    if (isHelp(options[i]!)) return true;
    // An option's value is not an option.
    if (options[i] === '--model' || options[i] === '--max-tokens') i++;
  }
  return false;
}

/** `1 line`, `2 lines`. */
export function count(n: number, unit: string): string {
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

const LANGUAGE_BY_EXTENSION: Record<string, string> = {
  ts: 'typescript', mts: 'typescript', cts: 'typescript', tsx: 'typescriptreact', js: 'javascript', jsx: 'javascriptreact', mjs: 'javascript', cjs: 'javascript',
  py: 'python', pyi: 'python', rs: 'rust', go: 'go', java: 'java', c: 'c', h: 'c', cpp: 'cpp', cc: 'cpp', hpp: 'cpp', cs: 'csharp',
  rb: 'ruby', php: 'php', sh: 'shellscript', bash: 'shellscript', json: 'json', md: 'markdown', txt: 'plaintext', kt: 'kotlin', swift: 'swift',
  lua: 'lua', yaml: 'yaml', yml: 'yaml', toml: 'toml', sql: 'sql', html: 'html', css: 'css', scss: 'scss', scala: 'scala', dart: 'dart', r: 'r',
};

/** VS Code language id for a file name, as the editor would guess it from the extension. */
export function languageIdOf(file: string): string {
  const ext = /\.([^./\\]+)$/.exec(file)?.[1]?.toLowerCase() ?? '';
  return LANGUAGE_BY_EXTENSION[ext] ?? 'plaintext';
}

/** A fix as the editor's status shows it, in the command line's terms: `--model` for the setting, no editor to reload. */
export function forTheCommandLine(fix: string): string {
  const worded = fix
    .replace(/The folder is set by locus\.model\.path; clear it to use the embedded model\./g, 'The folder is set by --model; leave it out to use the embedded model.')
    .replace(/set locus\.model\.path to/gi, 'point --model at')
    .replace(/locus\.model\.path/g, '--model')
    .replace(/ \(the Output channel [^)]*\)/g, '')
    .replace(/, then run "Locus: Restart Server"/g, ', then run the command again')
    .replace(/Reload the window to [^;.]*/g, 'Run the command again')
    .replace(/restart the server after fixing the model settings/g, 'run the command again after fixing the model')
    .replace(/Reinstall the Locus extension/g, 'Reinstall Locus')
    // A clause sending the reader to the Output channel goes (the command line prints what the server said).
    .replace(/(^|[.;,]\s*)(?:then )?(?:check|see) the (?:Locus )?Output channel[^.;]*[.;]?\s*/gi, '$1')
    .trim()
    .replace(/[;,]$/, '.');
  return worded.charAt(0).toUpperCase() + worded.slice(1);
}
