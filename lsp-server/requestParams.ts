// Checks of what a client sends, at the border: a malformed request gets InvalidParams (-32602) with a sentence
// saying what is wrong, not an internal error carrying a JavaScript TypeError; a position the document does not
// have is moved to one it has, so no item repeats an impossible range back to the client.
import { ErrorCodes, ResponseError, type Position, type Range } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { LIMITS } from './config';

function invalid(message: string): ResponseError<void> {
  return new ResponseError(ErrorCodes.InvalidParams, message);
}

function isUinteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 2 ** 31 - 1;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** `params.textDocument.uri`, or InvalidParams. */
export function documentUri(params: unknown): string {
  const uri = isRecord(params) && isRecord(params.textDocument) ? params.textDocument.uri : undefined;
  if (typeof uri !== 'string' || uri === '') throw invalid('textDocument.uri must be a document URI.');
  return uri;
}

/** `value` as a position (`line` and `character` whole numbers, at least 0), or InvalidParams naming `name`. */
export function checkedPosition(value: unknown, name = 'position'): Position {
  if (!isRecord(value) || !isUinteger(value.line) || !isUinteger(value.character)) {
    throw invalid(`${name} must be { line, character } with whole numbers from 0.`);
  }
  return { line: value.line, character: value.character };
}

/** An explanation's `streamId`: every chunk of it carries the id, so an empty or missing one gets InvalidParams. */
export function checkedStreamId(value: unknown): string {
  if (typeof value !== 'string' || value === '') throw invalid('streamId must be a non-empty string: every chunk of the explanation carries it.');
  return value;
}

/** `value` as a range, start first: a selection made upwards (Neovim's visual mode from below) names its end first. */
export function checkedRange(value: unknown, name = 'range'): Range {
  if (!isRecord(value)) throw invalid(`${name} must be { start, end } positions.`);
  const start = checkedPosition(value.start, `${name}.start`);
  const end = checkedPosition(value.end, `${name}.end`);
  const reversed = end.line < start.line || (end.line === start.line && end.character < start.character);
  return reversed ? { start: end, end: start } : { start, end };
}

/** `locus/compress`'s `budget`: absent, or a whole number of tokens from 1 (the server caps it at its own budget). */
export function checkedBudget(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  // The setting's own minimum: below ~8 the path and the FIM tokens alone went over it.
  const { min } = LIMITS.promptTokenBudget;
  if (!isUinteger(value) || value < min) throw invalid(`budget must be a whole number of tokens from ${min}, or absent for the completion budget.`);
  return value;
}

/** The telemetry requests' `since`: absent, or a time in epoch milliseconds. */
export function checkedSince(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid('since must be a time in milliseconds since the epoch (Date.now()), or absent for all records.');
  return value;
}

/**
 * A position the document has: past a line's end it is the line's end, past the last line the document's end (LSP's
 * rule), and inside a surrogate pair the start of that character, so a completion never splits one.
 */
export function positionIn(document: TextDocument, position: Position): Position {
  const offset = document.offsetAt(position);
  if (offset === 0) return document.positionAt(offset);
  // The two characters around it, not the whole text.
  const around = document.getText({ start: document.positionAt(offset - 1), end: document.positionAt(offset + 1) });
  return document.positionAt(offset - 1 + characterStartAt(around, 1));
}

/** `offset` in `text`, moved to the start of the character it would split (a surrogate pair's second half). */
export function characterStartAt(text: string, offset: number): number {
  const before = text.charCodeAt(offset - 1);
  const after = text.charCodeAt(offset);
  return before >= 0xd800 && before <= 0xdbff && after >= 0xdc00 && after <= 0xdfff ? offset - 1 : offset;
}

/**
 * A selection's start moved past the line break it sits on, when more follows before `end`: Shift+Down from the end of
 * a line, or a drag from after its last character, selects that line's end, which is not code to explain (and made
 * the prompt read the previous line's `}` as the selection's first line).
 */
export function pastLineEnd(text: string, start: number, end: number): number {
  const lineBreak = /^\r?\n/.exec(text.slice(start, Math.min(end, start + 2)))?.[0];
  return lineBreak !== undefined && start + lineBreak.length < end ? start + lineBreak.length : start;
}

/**
 * The suggest widget's selected item (`context.selectedCompletionInfo`), in positions the document has; undefined when
 * absent. A malformed one gets InvalidParams like any other field.
 */
export function selectedItem(value: unknown, document: TextDocument): { range: Range; text: string } | undefined {
  if (value === undefined || value === null) return undefined;
  const text = isRecord(value) ? value.text : undefined;
  if (typeof text !== 'string') throw invalid('context.selectedCompletionInfo.text must be a string.');
  const range = checkedRange(isRecord(value) ? value.range : undefined, 'context.selectedCompletionInfo.range');
  const [start, end] = [positionIn(document, range.start), positionIn(document, range.end)];
  // Ends given the wrong way round still name one range; items must not echo a reversed one.
  return { range: document.offsetAt(end) < document.offsetAt(start) ? { start: end, end: start } : { start, end }, text };
}
