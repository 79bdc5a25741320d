// The prompt for "Explain Selection": a chat turn rendered with the model's own chat template when
// tokenizer_config.json has one, otherwise a fill-in-the-middle prompt that asks a completion model for the
// doc comment of the selection (the comment opener is in the prefix, the selection follows in the suffix).
import { Template } from '@huggingface/jinja';
import { buildFimPrompt, keepStart, type FimTokenIds } from '../fimPrompt';
import type { StartRequest } from '../../runtime/tokenHealing';
import { enclosingHeaders } from './enclosingHeaders';
import { firstDeclaration } from './firstDeclaration';
import { jsDocSubject } from './jsDocSubject';
import { lastOverloadStart } from './overloadSet';
import { pythonHeader } from './pythonHeader';
import type { ContextTokenizer } from './promptAssembler';

export interface ExplainInput {
  languageId: string;
  /** Workspace-relative path, for the question. */
  path: string | undefined;
  /** Text before the selection, the selection, and the text after it. */
  before: string;
  selection: string;
  after: string;
}

/**
 * A piece of a chat prompt. `markup` is what the template wrote (turn markers such as `<|im_start|>` are its control
 * tokens); the rest is message text, encoded as plain text so that code holding such a spelling cannot open a turn.
 * `selection` marks the selected code, which is cut first when the prompt does not fit the model's context.
 */
export interface ChatPart {
  text: string;
  markup: boolean;
  selection?: true;
}

export type ExplainPrompt =
  | {
      mode: 'chat';
      parts: ChatPart[];
      stopStrings: string[];
    }
  | {
      mode: 'docComment';
      prefix: string;
      suffix: string;
      /** Generation stops at the comment's end. */
      stopStrings: string[];
      /** Shown before the generated text so the panel reads as a comment. */
      opener: string;
      /** Shown after it, closing a comment that has a closer (the model's own is its stop string). */
      closer: string;
      /** Every line of a comment of this kind starts with it (after indentation): generation ends at a line that does not. */
      linesStartWith?: string;
      /** How the generated text must start (GenerateRequest's constraints): its required prefix is not shown. */
      start: StartRequest;
    };

/** `chat_template` from tokenizer_config.json: a string, or named templates (the `default` one is used). */
export function chatTemplateOf(tokenizerConfig: Record<string, unknown> | undefined): string | undefined {
  const template = tokenizerConfig?.chat_template;
  if (typeof template === 'string' && template.trim() !== '') return template;
  if (Array.isArray(template)) {
    const named = template as { name?: unknown; template?: unknown }[];
    const chosen = named.find((t) => t.name === 'default') ?? named[0];
    if (typeof chosen?.template === 'string') return chosen.template;
  }
  return undefined;
}

/** Selection text sent to the model at most (longer selections keep their start). */
const MAX_SELECTION_CHARS = 6000;
/** Surrounding text kept on each side in the doc-comment prompt. */
const SURROUNDING_CHARS = 3000;

/** VS Code language ids whose Markdown fence name (what models saw in training) differs. */
const FENCE_NAMES: Readonly<Record<string, string>> = {
  shellscript: 'bash',
  typescriptreact: 'tsx',
  javascriptreact: 'jsx',
  plaintext: 'text',
  'git-commit': 'text',
};

const SYSTEM_PROMPT = 'You are a concise code assistant. Explain code accurately in plain language.';

export function buildExplainPrompt(input: ExplainInput, tokenizerConfig: Record<string, unknown> | undefined): ExplainPrompt {
  const template = chatTemplateOf(tokenizerConfig);
  if (template !== undefined) {
    const selection = input.selection.slice(0, MAX_SELECTION_CHARS);
    const where = input.path === undefined ? '' : ` from ${input.path}`;
    const language = FENCE_NAMES[input.languageId] ?? input.languageId;
    const question: ChatPart[] = [
      { text: `Explain what this ${language} code${where} does, step by step, then note anything surprising.\n\n\`\`\`${language}\n`, markup: false },
      { text: selection, markup: false, selection: true },
      { text: '\n```', markup: false },
    ];
    const eos = tokenString(tokenizerConfig?.eos_token);
    return { mode: 'chat', parts: renderChat(new Template(template), question, tokenizerConfig), stopStrings: eos === '' ? [] : [eos] };
  }
  return docCommentPrompt(input);
}

/** Stands for a message's text while the template renders: no template writes it, and no filter changes it. */
const placeholder = (i: number) => `\u0000locus-message-${i}\u0000`;

/**
 * The template rendered around placeholders, which are then replaced by the messages' parts. Templates that refuse a
 * system turn (Gemma's raises an error) get its text at the head of the user's message instead.
 */
function renderChat(template: Template, question: ChatPart[], tokenizerConfig: Record<string, unknown> | undefined): ChatPart[] {
  const special = { add_generation_prompt: true, bos_token: tokenString(tokenizerConfig?.bos_token), eos_token: tokenString(tokenizerConfig?.eos_token) };
  const system: ChatPart = { text: SYSTEM_PROMPT, markup: false };
  let contents: ChatPart[][];
  let rendered: string;
  try {
    contents = [[system], question];
    rendered = template.render({ messages: [{ role: 'system', content: placeholder(0) }, { role: 'user', content: placeholder(1) }], ...special });
  } catch {
    contents = [[{ text: `${SYSTEM_PROMPT}\n\n`, markup: false }, ...question]];
    rendered = template.render({ messages: [{ role: 'user', content: placeholder(0) }], ...special });
  }
  const parts: ChatPart[] = [];
  let from = 0;
  contents.forEach((content, i) => {
    const at = rendered.indexOf(placeholder(i), from);
    // A template that leaves a message out (or changes its text) leaves its placeholder out: nothing to put back.
    if (at < 0) return;
    parts.push({ text: rendered.slice(from, at), markup: true }, ...content);
    from = at + placeholder(i).length;
  });
  parts.push({ text: rendered.slice(from), markup: true });
  return parts.filter((part) => part.text !== '' || part.selection === true);
}

function tokenString(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && typeof (value as { content?: unknown }).content === 'string') return (value as { content: string }).content;
  return '';
}

/** Languages whose doc comments are line comments, and their marker (Go's and Rust's are no block comments). */
const LINE_COMMENT_MARKERS: ReadonlyMap<string, string> = new Map([
  ...['python', 'ruby', 'shellscript', 'perl', 'r', 'yaml', 'toml', 'powershell', 'makefile', 'dockerfile'].map((id): [string, string] => [id, '#']),
  ['go', '//'],
  ['rust', '///'],
]);

/** Prose and data: no comment to write an explanation in (a JSON object got a JSDoc block with a `@deprecated` tag). */
const NO_COMMENT_LANGUAGES: ReadonlyMap<string, string> = new Map([
  ['markdown', 'Markdown'],
  ['plaintext', 'plain text'],
  ['json', 'JSON'],
  ['jsonl', 'JSON Lines'],
  ['csv', 'CSV'],
]);

/**
 * Why a doc-comment Explain (a completion model's) refuses `languageId`, which has no comments to write it in;
 * undefined where it has some.
 */
export function noCommentReason(languageId: string): string | undefined {
  const name = NO_COMMENT_LANGUAGES.get(languageId);
  return name === undefined ? undefined : `This model explains code by writing its doc comment, and ${name} has none: select code, or set locus.model.path to a chat model to explain this.`;
}

/**
 * Not a JSDoc tag (the embedded model's likeliest first line was a bare `@private` or `@internal`, which explains
 * nothing), nor the comment's end.
 */
const NOT_PROSE_STARTS = ['@', '*/'];

function docCommentPrompt(input: ExplainInput): ExplainPrompt {
  const before = input.before.slice(-SURROUNDING_CHARS);
  const after = input.after.slice(0, SURROUNDING_CHARS);
  const selection = input.selection.slice(0, MAX_SELECTION_CHARS);
  const lineStart = before.lastIndexOf('\n') + 1;
  const indent = /^[ \t]*/.exec(before.slice(lineStart) + selection)![0];
  // Start the comment on its own line, at the selection's indentation.
  const head = before.slice(0, lineStart);
  const firstLineTail = before.slice(lineStart);

  if (input.languageId === 'python') {
    const docstring = pythonDocstringPrompt(input, firstLineTail + selection);
    if (docstring !== undefined) return docstring;
  }
  // The space after the comment marker is written by the model: the tokenizer joins it to the first word, and a
  // prompt that ends in it alone is one the model never saw (it wrote a bare JSDoc tag after it).
  const firstWord = { requiredPrefix: ' ', nonBlank: true };
  const marker = LINE_COMMENT_MARKERS.get(input.languageId);
  if (marker !== undefined) {
    return { mode: 'docComment', prefix: `${head}${indent}${marker}`, suffix: `\n${firstLineTail}${selection}${after}`, stopStrings: ['\n\n'], opener: `${indent}${marker} `, closer: '', linesStartWith: marker, start: firstWord };
  }
  if (JSDOC_LANGUAGES.has(input.languageId)) return jsDocPrompt(input, indent, firstLineTail, selection);
  return {
    mode: 'docComment',
    prefix: `${head}${indent}/**\n${indent} *`,
    suffix: `\n${indent} */\n${firstLineTail}${selection}${after}`,
    stopStrings: ['*/'],
    opener: `${indent}/**\n${indent} * `,
    closer: `\n${indent} */`,
    start: { ...firstWord, forbiddenStarts: NOT_PROSE_STARTS },
  };
}

/**
 * A docstring for the selection, with the code around it as JavaScript and TypeScript have it (jsDocPrompt): the
 * lines that open its blocks above it and nothing below its last line. With the file around it, the embedded model
 * copied a neighbour's docstring (`mean` got the `stdev` below it's, so the user was told it computes a standard
 * deviation). The selection's own docstring stays: without it the embedded model wrote a wrong one where it had given
 * the author's back, which is a faithful answer. The docstring goes under the whole header, at the body's indentation.
 * Undefined when the selection does not start with a `def` or `class` statement.
 */
function pythonDocstringPrompt(input: ExplainInput, selected: string): ExplainPrompt | undefined {
  const declaration = firstDeclaration(selected, '#');
  // An overload set's docstring goes under its implementation, its last def, where Python reads it (`help(f)`): the
  // `@overload` stubs above it stay in the prompt, as signatures the model documents too.
  const stubs = declaration.slice(0, lastOverloadStart(declaration));
  const code = declaration.slice(stubs.length);
  // The rest of the selection's last line, unless the selection goes on past the declaration.
  const cut = declaration.length < selected.length;
  const below = cut ? '' : restOfSelectionLine(selected, input.after);
  // A header that the selection leaves unfinished ends below it.
  const text = code + (cut ? '' : input.after.slice(0, SURROUNDING_CHARS));
  const statement = pythonHeader(text);
  if (statement === undefined) return undefined;
  const { header, bodyStart, bodyOnHeaderLine, indent, bodyIndent } = statement;
  const opener = `${bodyIndent}"""`;
  const headers = enclosingHeaders(input.before.slice(0, input.before.lastIndexOf('\n') + 1), indent.length);
  // Past a header that ends below the selection, only the body on its line (`def f(x` selected, `): return x` after).
  const body = bodyStart <= code.length ? code.slice(bodyStart) + below : bodyOnHeaderLine ? restOfLine(text.slice(bodyStart)) : '';
  // A body on the header's line (`def f(x): return x * 2`) goes below the docstring, on a line of its own: under the
  // header's line it made the prompt, and the docstring, invalid Python.
  const bodyBelow = bodyOnHeaderLine ? bodyIndent + body : body;
  return {
    mode: 'docComment',
    prefix: headers + stubs + header + opener,
    suffix: `\n${bodyIndent}"""\n${bodyBelow}`,
    stopStrings: ['"""'],
    opener,
    closer: `\n${bodyIndent}"""`,
    // A bare tag (`"""@deprecated`) explains nothing, on the opening line or the next.
    start: { nonBlank: true, forbiddenStarts: ['@', `\n${bodyIndent}@`] },
  };
}

/** The text up to the end of the line it starts on, its newline included. */
/** The rest of the selection's last line, none where the selection ends with its line break: the next line is not its. */
function restOfSelectionLine(selected: string, after: string): string {
  return selected.endsWith('\n') ? '' : restOfLine(after);
}

function restOfLine(after: string): string {
  const lineEnd = after.indexOf('\n');
  return lineEnd < 0 ? after : after.slice(0, lineEnd + 1);
}

/** Languages whose doc comment is JSDoc; selectionDeclarations.ts splits their selections too. */
export const JSDOC_LANGUAGES: ReadonlySet<string> = new Set(['javascript', 'typescript', 'javascriptreact', 'typescriptreact']);

/**
 * A JSDoc comment for the selection, with no other code in the prompt than the lines that open the blocks around it
 * (a method's class header): given the code above and below, the embedded model described a neighbour or the whole
 * file for 6 of 16 JavaScript and TypeScript probe selections, and two neighbouring functions got one text. A tag
 * line first names what the comment documents (`@function debounce`, not shown): the model leans on the prompt's
 * end, and 10 of the 16 then described the selection (3 before). The first line written under it must still be prose.
 */
function jsDocPrompt(input: ExplainInput, indent: string, firstLineTail: string, selection: string): ExplainPrompt {
  const headers = enclosingHeaders(input.before.slice(0, input.before.length - firstLineTail.length), indent.length);
  // The selection's own JSDoc stays (jsDocSubject reads past it): without it the model wrote a wrong one.
  const selected = firstLineTail + selection;
  const subject = jsDocSubject(selected);
  const subjectLine = subject === undefined ? '' : ` ${subject}\n${indent} *`;
  // A declaration's comment has its code alone (firstDeclaration); statements are explained together.
  const code = subject === undefined ? selected : firstDeclaration(selected, '//');
  // The rest of the selection's last line, nothing below it.
  const below = code.length < selected.length ? '' : restOfSelectionLine(selected, input.after);
  return {
    mode: 'docComment',
    prefix: `${headers}${indent}/**\n${indent} *${subjectLine}`,
    suffix: `\n${indent} */\n${code}${below}`,
    stopStrings: ['*/'],
    opener: `${indent}/**\n${indent} * `,
    closer: `\n${indent} */`,
    start: { requiredPrefix: ' ', nonBlank: true, forbiddenStarts: NOT_PROSE_STARTS },
  };
}

/**
 * In a doc-comment prompt the selection starts the suffix: it gets this much of the room, the code above the rest
 * (with the completions' 3/4 for the prefix, 2.6 KB above a 44-line function left the model its first 16 lines).
 */
const EXPLAIN_PREFIX_SHARE = 0.25;

/**
 * The prompt's token ids, at most `room`. A chat prompt that does not fit cuts its selection (keeping its first
 * whole lines), never the instruction or the turns: cut from its start, it lost the system turn and the question.
 * Messages that spell no special token are encoded with the template's text in one piece, as the model saw its chats:
 * a SentencePiece tokenizer puts a space before every piece encoded alone.
 */
export function encodeExplainPrompt(prompt: ExplainPrompt, tokenizer: ContextTokenizer, fim: FimTokenIds | null, room: number): number[] {
  if (prompt.mode === 'docComment') return buildFimPrompt(tokenizer, fim, prompt.prefix, prompt.suffix, room - 3, EXPLAIN_PREFIX_SHARE).ids;
  const spellsSpecial = prompt.parts.some((part) => !part.markup && !sameIds(tokenizer.encode(part.text), tokenizer.encodeMarkup(part.text)));
  return spellsSpecial ? encodeParts(prompt.parts, tokenizer, room) : encodeWhole(prompt.parts, tokenizer, room);
}

function encodeWhole(parts: ChatPart[], tokenizer: ContextTokenizer, room: number): number[] {
  const ids = tokenizer.encodeMarkup(parts.map((part) => part.text).join(''));
  const selection = parts.findIndex((part) => part.selection === true);
  if (ids.length <= room || selection < 0) return ids.slice(-room);
  const others = tokenizer.encodeMarkup(parts.filter((_, i) => i !== selection).map((part) => part.text).join('')).length;
  const kept = tokenizer.decode(keepStart(tokenizer, parts[selection]!.text, room - others));
  const cut = tokenizer.encodeMarkup(parts.map((part, i) => (i === selection ? kept : part.text)).join(''));
  // Merges across the cut can add a token or two; the end, where the answer starts, is what must stay.
  return cut.slice(-room);
}

function sameIds(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((id, i) => id === b[i]);
}

/** Each part on its own: markup with its control tokens, messages as text, so a spelled special token stays text. */
function encodeParts(parts: ChatPart[], tokenizer: ContextTokenizer, room: number): number[] {
  const encoded = parts.map((part) => (part.markup ? tokenizer.encodeMarkup(part.text) : tokenizer.encode(part.text)));
  const total = encoded.reduce((sum, ids) => sum + ids.length, 0);
  const selection = parts.findIndex((part) => part.selection === true);
  if (total > room && selection >= 0) {
    const others = total - encoded[selection]!.length;
    encoded[selection] = keepStart(tokenizer, parts[selection]!.text, room - others);
  }
  // A context too small for even the instruction keeps the end, where the answer starts.
  return encoded.flat().slice(-room);
}
