// The first prompts a fresh server tokenizes take several times the steady cost: V8 has not optimized the
// tokenizer's code yet and its BPE word cache is empty. In a probe, the first encode of a 900-token Python text
// took 16-25 ms and the same call after this warm-up 4-5 ms (steady: 2-4 ms); the first completion's prompt
// building took ~30 ms against ~10 for later ones (bench/results/first-completions-tokenizer-warm-up-*.md). The
// server runs this while the inference worker loads the model, on the otherwise idle main thread.

import { setImmediate as nextTurn } from 'node:timers/promises';
import { TextTokenizer } from '../runtime/index';
import type { PromptTokenizer } from './fimPrompt';

/** Code in the default model's languages, encoded whole and line by line as prompt building does. */
const SAMPLE = `import os
from dataclasses import dataclass, field
from typing import Dict, List, Optional


@dataclass
class Record:
    name: str
    size: int = 0
    tags: List[str] = field(default_factory=list)

    def describe(self) -> str:
        return f"{self.name} ({self.size} bytes): {', '.join(self.tags)}"


def load_records(path: str, limit: Optional[int] = None) -> List[Record]:
    records = []
    with open(path, "r", encoding="utf-8") as handle:
        for index, line in enumerate(handle):
            if limit is not None and index >= limit:
                break
            name, size, *tags = line.strip().split(",")
            records.append(Record(name=name, size=int(size), tags=tags))
    return records


def largest(records: List[Record], count: int = 3) -> Dict[str, int]:
    ordered = sorted(records, key=lambda r: r.size, reverse=True)
    return {r.name: r.size for r in ordered[:count]}


if __name__ == "__main__":
    print(largest(load_records(os.environ.get("RECORDS", "records.csv"))))

import { readFile } from 'node:fs/promises';
import * as path from 'node:path';

export interface Options {
  root: string;
  include?: string[];
  maxBytes: number;
}

export class FileCache {
  private readonly entries = new Map<string, { text: string; mtime: number }>();

  constructor(private readonly options: Options) {}

  async read(relativePath: string): Promise<string | undefined> {
    const absolute = path.join(this.options.root, relativePath);
    const cached = this.entries.get(absolute);
    if (cached !== undefined) return cached.text;
    try {
      const text = await readFile(absolute, 'utf8');
      if (text.length > this.options.maxBytes) return undefined;
      this.entries.set(absolute, { text, mtime: Date.now() });
      return text;
    } catch (error) {
      console.error(\`Could not read \${absolute}: \${(error as Error).message}\`);
      return undefined;
    }
  }
}

export function countLines(text: string): number {
  let lines = 0;
  for (let i = 0; i < text.length; i++) if (text[i] === '\\n') lines++;
  return lines;
}
`;

/**
 * Encodes the sample `rounds` times (10 brought the probe's first real encode to steady speed; ~70 ms; 6 did not),
 * a turn of the event loop after each, so that requests meanwhile wait at most one round (~7-10 ms).
 */
export async function warmUpTokenizer(tokenizer: Pick<PromptTokenizer, 'encode'>, rounds = 10): Promise<void> {
  const lines = SAMPLE.split('\n');
  for (let r = 0; r < rounds; r++) {
    tokenizer.encode(SAMPLE);
    for (const line of lines) tokenizer.encode(`${line}\n`);
    await nextTurn();
  }
}

/**
 * The model's tokenizer, loaded without holding the server's thread (TextTokenizer.load) and warmed up: what every
 * server entry point loads (before any cache of encodings, which would answer the sample's repeats without running
 * the tokenizer). `workerScript`: the bundled tokenizerFileWorker.js, where this code does not run from dist/.
 */
export async function loadWarmedTokenizer(modelDir: string, workerScript?: string): Promise<TextTokenizer> {
  const tokenizer = await TextTokenizer.load(modelDir, workerScript);
  await warmUpTokenizer(tokenizer);
  return tokenizer;
}
