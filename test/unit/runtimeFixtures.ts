// Shared paths and helpers for the runtime tests (the tiny random-weight fixtures from scripts/make_fixture.py).
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GREEDY_SAMPLING } from '../../runtime/engine';
import { readModelConfig, type ModelConfig } from '../../runtime/modelConfig';
import { OrtDecoderModel } from '../../runtime/ortBackend';

export const ROOT = join(__dirname, '..', '..');
export const TARGET_DIR = join(ROOT, 'test', 'fixtures', 'tiny-llama');
export const DRAFT_DIR = join(ROOT, 'test', 'fixtures', 'tiny-llama-draft');

export interface Reference {
  prompt: string;
  promptIds: number[];
  lastLogits: number[];
  greedy: number[];
}

export const reference: Reference = JSON.parse(readFileSync(join(TARGET_DIR, 'reference.json'), 'utf8'));

export const GREEDY = GREEDY_SAMPLING;

/** A temporary copy of a fixture directory, removed by the returned cleanup. */
export function copyFixture(src = TARGET_DIR): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'locus-fixture-'));
  cpSync(src, dir, { recursive: true });
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** The fixture target and draft as ORT decoders on 1 thread, for tests that drive the Generator; dispose both. */
export async function loadFixtureDecoders(): Promise<{ target: OrtDecoderModel; draft: OrtDecoderModel; config: ModelConfig }> {
  const config = readModelConfig(TARGET_DIR);
  const target = await OrtDecoderModel.create(join(TARGET_DIR, 'onnx', 'model.onnx'), config, 1);
  const draft = await OrtDecoderModel.create(join(DRAFT_DIR, 'onnx', 'model.onnx'), readModelConfig(DRAFT_DIR), 1);
  return { target, draft, config };
}
