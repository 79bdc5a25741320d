// Reading a model's tokenizer files, with the errors a user can act on. Apart from the tokenizer and the model file
// checks, so that the worker thread that reads them (tokenizerFileWorker.ts) loads neither the tokenizer library nor
// the ONNX parser.
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ModelFileCorruptError, ModelNotFoundError } from './errors';
import { assertNotLfsPointer } from './fileHead';

/**
 * Where a model's tokenizer lives: its own directory, or the parent directory when a target and its draft share
 * one tokenizer there (the embedded default pair does).
 */
export function tokenizerDirectory(dir: string): string {
  if (existsSync(join(dir, 'tokenizer.json'))) return dir;
  const parent = dirname(dir);
  return existsSync(join(parent, 'tokenizer.json')) ? parent : dir;
}

export interface TokenizerFiles {
  json: Record<string, unknown>;
  config: Record<string, unknown> | undefined;
}

function readJsonFile(path: string, required: boolean): Record<string, unknown> | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') throw new ModelFileCorruptError(`${path} could not be read: ${(e as Error).message}.`, `Check that ${basename(path)} is a readable file, or replace it with the one published with the model.`);
    if (required) throw new ModelNotFoundError(`Tokenizer file ${path} does not exist.`);
    return undefined;
  }
  assertNotLfsPointer(path, text);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new ModelFileCorruptError(`${path} is not valid JSON: ${(e as Error).message}.`, `Replace ${basename(path)} with the one published with the model.`);
  }
  // `null` or a list parse too, and failed later as a TypeError.
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ModelFileCorruptError(`${path} holds JSON but not an object.`, `Replace ${basename(path)} with the one published with the model.`);
  }
  return parsed as Record<string, unknown>;
}

/**
 * Reads `tokenizer.json` and, when present, `tokenizer_config.json` from the model directory (or from its parent,
 * where a model pair shares one tokenizer).
 */
export function readTokenizerFiles(modelDir: string): TokenizerFiles {
  const dir = tokenizerDirectory(modelDir);
  // A folder with none of a model's files (empty, or the wrong one) is said to be that, not a missing tokenizer.
  if (existsSync(modelDir) && !['tokenizer.json', 'config.json', 'onnx'].some((name) => existsSync(join(dir, name)) || existsSync(join(modelDir, name)))) {
    throw new ModelNotFoundError(`The model directory ${modelDir} holds no model files: no config.json, tokenizer.json or onnx folder.`);
  }
  return { json: readJsonFile(join(dir, 'tokenizer.json'), true)!, config: readJsonFile(join(dir, 'tokenizer_config.json'), false) };
}
