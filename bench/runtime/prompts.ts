// The fixed prompt set: real code from files pinned by this repo (a pinned node_modules package, and one of its
// own sources read at a fixed commit so later edits do not move the benchmark), tokenized with the model's own
// tokenizer and cut to an exact token count, so every runner prefills and decodes exactly the same tokens.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import type { BenchPrompt } from './types';
import { tokenizerDirectory } from '../../runtime/tokenizerFiles';

const REPO = resolve(__dirname, '..', '..');

interface PromptSpec {
  name: string;
  /** Repo-relative path. */
  path: string;
  /** Read the file as of this commit (`git show rev:path`) instead of the working tree. */
  rev?: string;
  /** Character offset to start from (moved forward to the next line start). */
  offset: number;
  promptTokens: number;
  newTokens: number;
}

export const PROMPT_SPECS: PromptSpec[] = [
  { name: 'ts-128-32', path: 'node_modules/typescript/lib/typescript.js', offset: 400_000, promptTokens: 128, newTokens: 32 },
  { name: 'py-512-64', path: 'training/llama.py', rev: 'b00645f', offset: 0, promptTokens: 512, newTokens: 64 },
];

export function loadTokenizer(modelDir: string): Tokenizer {
  // A model pair keeps its one tokenizer in the folder above the models (models/default).
  const read = (f: string) => JSON.parse(readFileSync(join(tokenizerDirectory(modelDir), f), 'utf8'));
  return new Tokenizer(read('tokenizer.json'), read('tokenizer_config.json'));
}

export function promptSourceText(spec: PromptSpec): string {
  return spec.rev
    ? execFileSync('git', ['show', `${spec.rev}:${spec.path}`], { cwd: REPO, encoding: 'utf8', maxBuffer: 64 << 20 })
    : readFileSync(join(REPO, spec.path), 'utf8');
}

export function buildPrompts(modelDir: string, specs: PromptSpec[] = PROMPT_SPECS): BenchPrompt[] {
  const tokenizer = loadTokenizer(modelDir);
  return specs.map((spec) => {
    const text = promptSourceText(spec);
    const start = spec.offset === 0 ? 0 : text.indexOf('\n', spec.offset) + 1;
    // Tokenize a generous slice (code averages well over 2 characters per token) and cut to the exact count.
    const ids = tokenizer.encode(text.slice(start, start + spec.promptTokens * 8), { add_special_tokens: false }).ids;
    if (ids.length < spec.promptTokens) {
      throw new Error(`${spec.path} gives only ${ids.length} tokens from offset ${start}; ${spec.promptTokens} needed`);
    }
    return {
      name: spec.name,
      source: `${spec.rev ? spec.rev + ':' : ''}${spec.path}@${start}`,
      promptTokens: spec.promptTokens,
      newTokens: spec.newTokens,
      ids: ids.slice(0, spec.promptTokens),
    };
  });
}
