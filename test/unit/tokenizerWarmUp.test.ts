// The tokenizer warm-up a fresh server runs while its model loads (lsp-server/tokenizerWarmUp.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TextTokenizer } from '../../runtime/tokenizer';
import { warmUpTokenizer } from '../../lsp-server/tokenizerWarmUp';
import { TARGET_DIR } from './runtimeFixtures';
import { countTurns } from './workerThreadFixtures';

describe('warmUpTokenizer', () => {
  it('encodes Python and TypeScript code, whole and line by line, every round', async () => {
    const texts: string[] = [];
    await warmUpTokenizer({ encode: (text) => (texts.push(text), []) }, 3);
    const wholes = texts.filter((t) => t.includes('def load_records') && t.includes('export class FileCache'));
    assert.equal(wholes.length, 3);
    const lines = texts.filter((t) => !t.slice(0, -1).includes('\n'));
    assert.equal(lines.length, texts.length - 3);
    assert.ok(lines.length / 3 > 50, 'each line of the sample');
  });

  it('lets the event loop turn after each round, so the server answers while it warms up', async () => {
    const turnsAtRound: number[] = [];
    const counter = countTurns();
    await warmUpTokenizer({ encode: (text) => (text.includes('def load_records') && text.includes('export class FileCache') && turnsAtRound.push(counter.turns), []) }, 4);
    counter.stop();
    assert.equal(turnsAtRound.length, 4);
    for (let i = 1; i < 4; i++) assert.ok(turnsAtRound[i]! > turnsAtRound[i - 1]!, `turns at each round: ${turnsAtRound.join(', ')}`);
  });

  it('leaves the tokenizer\'s encodings unchanged', async () => {
    const text = 'def total(values):\n    return sum(v.size for v in values)\n';
    const fresh = TextTokenizer.fromDirectory(TARGET_DIR).encode(text);
    const warmed = TextTokenizer.fromDirectory(TARGET_DIR);
    await warmUpTokenizer(warmed);
    assert.deepEqual(warmed.encode(text), fresh);
  });
});
