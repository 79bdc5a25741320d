// The prompt for "Explain Selection": a chat turn rendered with the model's own chat template when
// tokenizer_config.json has one, otherwise a fill-in-the-middle prompt that asks a completion model for the
// doc comment of the selection (the comment opener is in the prefix, the selection follows in the suffix).
import { Template } from '@huggingface/jinja';

export interface ExplainInput {
  languageId: string;
  /** Workspace-relative path, for the question. */
  path: string | undefined;
  /** Text before the selection, the selection, and the text after it. */
  before: string;
  selection: string;
  after: string;
}

export type ExplainPrompt =
  | {
      mode: 'chat';
      /** Rendered template text: tokenize with special tokens parsed from the text. */
      text: string;
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
    const question = `Explain what this ${language} code${where} does, step by step, then note anything surprising.\n\n\`\`\`${language}\n${selection}\n\`\`\``;
    const text = new Template(template).render({
      messages: [
        { role: 'system', content: SYSTEM_PROMPT },
        { role: 'user', content: question },
      ],
      add_generation_prompt: true,
      bos_token: tokenString(tokenizerConfig?.bos_token),
      eos_token: tokenString(tokenizerConfig?.eos_token),
    });
    const eos = tokenString(tokenizerConfig?.eos_token);
    return { mode: 'chat', text, stopStrings: eos === '' ? [] : [eos] };
  }
  return docCommentPrompt(input);
}

function tokenString(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && typeof (value as { content?: unknown }).content === 'string') return (value as { content: string }).content;
  return '';
}

const HASH_COMMENT_LANGUAGES = new Set(['python', 'ruby', 'shellscript', 'perl', 'r', 'yaml', 'toml', 'powershell', 'makefile', 'dockerfile']);

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
    const defLine = /^([ \t]*)(async\s+def|def|class)\b[^\n]*\n/.exec(firstLineTail + selection);
    if (defLine !== null) {
      const bodyIndent = defLine[1]! + '    ';
      const opener = `${bodyIndent}"""`;
      const rest = (firstLineTail + selection).slice(defLine[0].length);
      return { mode: 'docComment', prefix: head + defLine[0] + opener, suffix: `\n${bodyIndent}"""\n${rest}${after}`, stopStrings: ['"""'], opener: '"""' };
    }
  }
  if (HASH_COMMENT_LANGUAGES.has(input.languageId)) {
    const opener = `${indent}# `;
    return { mode: 'docComment', prefix: head + opener, suffix: `\n${firstLineTail}${selection}${after}`, stopStrings: ['\n\n'], opener: '# ' };
  }
  const opener = `${indent}/**\n${indent} * `;
  return { mode: 'docComment', prefix: head + opener, suffix: `\n${indent} */\n${firstLineTail}${selection}${after}`, stopStrings: ['*/'], opener: '/**\n * ' };
}
