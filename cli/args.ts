// Command-line parsing for `locus complete|explain|compress …`. Pure, so the messages are testable.

export const USAGE = `Usage: npm start -- <command> <file>:<position> [options]

  complete <file>:<line>:<col> [--model <dir>] [--max-tokens N]
      Prints the inline completion Locus offers at that position (line and column are 1-based) and its latency.
  explain <file>:<line>[-<line>] [--model <dir>]
      Prints Locus's explanation of those whole lines (1-based; one line without an end) as it is written, and its latency.
  compress <file>:<line>:<col> [--model <dir>] [--budget N]
      Prints the prompt a completion at that position would get: the code retrieved from the workspace (the current
      folder when it holds the file, else the file's folder), the lines dropped to fit the budget, before and after.

  --model <dir>     model directory (Hugging Face / Optimum ONNX layout); default: the embedded model
  --max-tokens N    most tokens to generate (1-1024)
  --budget N        prompt tokens after compression (32-32768); default: the completions' 512`;

export interface CompleteCommand {
  kind: 'complete';
  file: string;
  line: number;
  column: number;
  modelDir?: string;
  maxTokens?: number;
}

export interface ExplainCommand {
  kind: 'explain';
  file: string;
  startLine: number;
  endLine: number;
  modelDir?: string;
}

export interface CompressCommand {
  kind: 'compress';
  file: string;
  line: number;
  column: number;
  modelDir?: string;
  budget?: number;
}

export type CliCommand = { kind: 'usage' } | CompleteCommand | ExplainCommand | CompressCommand;

export class UsageError extends Error {}

/** The options each command takes; all of them take a value. */
const OPTIONS = {
  complete: ['--model', '--max-tokens'],
  explain: ['--model'],
  compress: ['--model', '--budget'],
} as const;
type CommandName = keyof typeof OPTIONS;
const VALUED_OPTIONS: readonly string[] = [...new Set(Object.values(OPTIONS).flat())];

export function parseArgs(argv: string[]): CliCommand {
  // Help is asked for in place of the command or of an option, not as a value (`--model -h` names a folder).
  const [command, target, ...rest] = argv;
  if (command === undefined || isHelp(command) || (target !== undefined && isHelp(target)) || asksForHelp(rest)) return { kind: 'usage' };
  if (!isCommand(command)) throw new UsageError(`unknown command '${command}'; the commands are complete, explain and compress`);
  if (target === undefined) throw new UsageError(`${command} needs a ${command === 'explain' ? 'line range: <file>:<line>[-<line>]' : 'position: <file>:<line>:<col>'}`);
  // The target is checked before the options (spreads are evaluated in order).
  if (command === 'explain') return { kind: 'explain', ...parseLines(target), ...parseOptions(command, rest) };
  if (command === 'complete') return { kind: 'complete', ...parsePosition(target), ...parseOptions(command, rest) };
  return { kind: 'compress', ...parsePosition(target), ...parseOptions(command, rest) };
}

function isCommand(command: string): command is CommandName {
  return Object.hasOwn(OPTIONS, command);
}

/** A line or column as typed; one no file could have (past 2^53) is a usage error, not echoed back as `1e+23`. */
function lineNumber(digits: string, target: string): number {
  const value = Number(digits);
  if (!Number.isSafeInteger(value)) throw new UsageError(`'${target}': ${digits} is past any line or column a file has`);
  return value;
}

/** `<file>:<line>:<col>`, parsed from the right so paths containing ':' still work. */
function parsePosition(target: string): { file: string; line: number; column: number } {
  const match = /^(.+):(\d+):(\d+)$/.exec(target);
  if (match === null) throw new UsageError(`'${target}' is not <file>:<line>:<col> (line and column are 1-based numbers)`);
  const line = lineNumber(match[2]!, target);
  const column = lineNumber(match[3]!, target);
  if (line < 1 || column < 1) throw new UsageError(`line and column are 1-based; got ${line}:${column}`);
  return { file: match[1]!, line, column };
}

/** `<file>:<line>` or `<file>:<first>-<last>`, whole lines. */
function parseLines(target: string): { file: string; startLine: number; endLine: number } {
  const match = /^(.+):(\d+)(?:-(\d+))?$/.exec(target);
  if (match === null) throw new UsageError(`'${target}' is not <file>:<line> or <file>:<line>-<line> (lines are 1-based numbers)`);
  // `a.ts:3:5` would otherwise read as line 5 of a file called `a.ts:3`.
  if (match[3] === undefined && /:\d+$/.test(match[1]!)) throw new UsageError(`'${target}' names a column; explain takes whole lines: <file>:<line> or <file>:<line>-<line>`);
  const startLine = lineNumber(match[2]!, target);
  const endLine = match[3] === undefined ? startLine : lineNumber(match[3], target);
  if (startLine < 1) throw new UsageError(`lines are 1-based; got ${startLine}`);
  if (endLine < startLine) throw new UsageError(`the lines ${startLine}-${endLine} end before they start`);
  return { file: match[1]!, startLine, endLine };
}

function parseOptions(command: CommandName, rest: readonly string[]): { modelDir?: string; maxTokens?: number; budget?: number } {
  const result: { modelDir?: string; maxTokens?: number; budget?: number } = {};
  const allowed: readonly string[] = OPTIONS[command];
  for (let i = 0; i < rest.length; i++) {
    const option = rest[i]!;
    const value = rest[i + 1];
    if (VALUED_OPTIONS.includes(option) && !allowed.includes(option)) throw new UsageError(`${command} takes no ${option} (its options: ${allowed.join(', ')})`);
    if (option === '--model') {
      if (value === undefined || value.startsWith('--') || value.trim() === '') throw new UsageError('--model needs a directory (leave it out for the embedded model)');
      result.modelDir = value;
    } else if (option === '--max-tokens') {
      result.maxTokens = wholeNumber(value, 1, 1024, '--max-tokens needs an integer from 1 to 1024');
    } else if (option === '--budget') {
      // The bounds of the locus.completion.promptTokenBudget setting, which the budget stands in for.
      result.budget = wholeNumber(value, 32, 32768, '--budget needs a number of tokens from 32 to 32768');
    } else {
      throw new UsageError(`unknown option '${option}'`);
    }
    i++;
  }
  return result;
}

function wholeNumber(value: string | undefined, min: number, max: number, message: string): number {
  const n = Number(value);
  if (value === undefined || !/^\d+$/.test(value) || n < min || n > max) throw new UsageError(message);
  return n;
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
    if (VALUED_OPTIONS.includes(options[i]!)) i++;
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
    .replace(/select code in a text file/g, 'name lines of a text file')
    // A clause sending the reader to the Output channel goes (the command line prints what the server said).
    .replace(/(^|[.;,]\s*)(?:then )?(?:check|see) the (?:Locus )?Output channel[^.;]*[.;]?\s*/gi, '$1')
    .trim()
    .replace(/[;,]$/, '.');
  return worded.charAt(0).toUpperCase() + worded.slice(1);
}

/** A request the server refused, as the command line says it: the server's sentence without the LSP library's wrapping. */
export function refusalForTheCommandLine(message: string): string {
  return forTheCommandLine(message.replace(/^Request \S+ failed with message: /, ''));
}
