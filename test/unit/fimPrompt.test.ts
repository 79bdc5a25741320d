import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildFimPrompt, fimTokenIds, type PromptTokenizer } from '../../lsp-server/fimPrompt';

/** One token per character (code point), FIM tokens above the character range. */
function charTokenizer(withFim = true): PromptTokenizer & { decode(ids: number[]): string } {
  const specials: Record<string, number> = withFim ? { '<|fim_prefix|>': 1_000_001, '<|fim_suffix|>': 1_000_002, '<|fim_middle|>': 1_000_003 } : {};
  return {
    encode: (text) => [...text].map((ch) => ch.codePointAt(0)!),
    decode: (ids) => ids.map((id) => String.fromCodePoint(id)).join(''),
    specialTokenId: (content) => specials[content],
  };
}

const tok = charTokenizer();
const fim = fimTokenIds(tok)!;

function parts(ids: number[]): { suffix: string; prefix: string } {
  assert.equal(ids[0], fim.suffix);
  assert.equal(ids[ids.length - 1], fim.middle);
  const p = ids.indexOf(fim.prefix);
  return { suffix: tok.decode(ids.slice(1, p)), prefix: tok.decode(ids.slice(p + 1, -1)) };
}

describe('buildFimPrompt', () => {
  it('uses suffix-prefix-middle order with the FIM ids from the tokenizer', () => {
    const prompt = buildFimPrompt(tok, fim, 'ab', 'cd', 100);
    assert.deepEqual(prompt.ids, [fim.suffix, 99, 100, fim.prefix, 97, 98, fim.middle]);
    assert.equal(prompt.prefixTokens, 2);
    assert.equal(prompt.suffixTokens, 2);
  });

  it('keeps everything that fits the budget', () => {
    const { prefix, suffix } = parts(buildFimPrompt(tok, fim, 'line1\nline2\n  x = ', '\nline4\n', 40).ids);
    assert.equal(prefix, 'line1\nline2\n  x = ');
    assert.equal(suffix, '\nline4\n');
  });

  it('keeps the end of the prefix and the start of the suffix, on whole lines, prefix getting 3/4', () => {
    const before = Array.from({ length: 20 }, (_, i) => `p${String(i).padStart(2, '0')}\n`).join('') + 'cur';
    const after = Array.from({ length: 20 }, (_, i) => `\ns${String(i).padStart(2, '0')}`).join('');
    const prompt = buildFimPrompt(tok, fim, before, after, 40);
    const { prefix, suffix } = parts(prompt.ids);
    assert.ok(prefix.endsWith('p19\ncur'), prefix);
    assert.ok(prefix.startsWith('p'), 'prefix starts at a line start');
    assert.ok(suffix.startsWith('\ns00'), suffix);
    assert.ok(prompt.prefixTokens + prompt.suffixTokens <= 40);
    assert.ok(prompt.suffixTokens <= 10, `suffix got ${prompt.suffixTokens}`);
    assert.ok(prompt.prefixTokens >= 28, `prefix got ${prompt.prefixTokens}`);
  });

  it('starts a long cut prefix on a line numbered a multiple of 8, so typing keeps the prompt\'s start', () => {
    const lines = Array.from({ length: 200 }, (_, i) => `v${String(i).padStart(3, '0')}\n`);
    const startOf = (typed: string) => {
      const { prefix } = parts(buildFimPrompt(tok, fim, lines.join('') + typed, '', 400).ids);
      return Number(prefix.slice(1, 4));
    };
    const start = startOf('x');
    assert.equal(start % 8, 0);
    assert.ok(200 - start >= 64 && 200 - start <= 80, `kept ${200 - start} lines of the 80 that fit`);
    for (const typed of ['xy', 'xyz = 1', 'xyz = 12']) assert.equal(startOf(typed), start, typed);
  });

  it('gives a short prefix\'s unused share to the suffix', () => {
    const after = Array.from({ length: 30 }, (_, i) => `\ns${i}`).join('');
    const prompt = buildFimPrompt(tok, fim, 'x', after, 40);
    assert.equal(prompt.prefixTokens, 1);
    assert.ok(prompt.suffixTokens > 30, `suffix got ${prompt.suffixTokens}`);
  });

  it('cuts a single line longer than the budget at the token level, keeping the cursor side', () => {
    const prompt = buildFimPrompt(tok, fim, 'a'.repeat(50) + 'END', '', 10);
    const { prefix } = parts(prompt.ids);
    assert.equal(prefix.length, 10);
    assert.ok(prefix.endsWith('END'));
  });

  it('keeps the start of a long line\'s kept tail while typing at its end, so the prefix cache matches', () => {
    const line = Array.from({ length: 2000 }, (_, i) => `f${i}(`).join('');
    const prompts = Array.from({ length: 30 }, (_, n) => buildFimPrompt(tok, fim, line + 'x'.repeat(n), '', 400).ids);
    const sameStart = prompts.slice(1).filter((ids, n) => ids.slice(0, 100).join() === prompts[n]!.slice(0, 100).join()).length;
    assert.ok(sameStart >= 25, `${sameStart} of 29 keystrokes kept the prompt's first 100 ids`);
    for (const ids of prompts) {
      const { prefix } = parts(ids);
      assert.ok(prefix.endsWith('f1999(' + 'x'.repeat(prompts.indexOf(ids))), 'the cursor side is kept');
      assert.ok(prefix.length > 400 - 400 / 8 && prefix.length <= 400, `kept ${prefix.length} of a 400-token prefix`);
    }
  });

  it('never encodes a megabyte line whole: only what could fit the budget is read, on both sides', () => {
    const encoded: number[] = [];
    const counting: PromptTokenizer = { ...tok, encode: (text) => (encoded.push(text.length), tok.encode(text)) };
    const bundle = 'x'.repeat(1_000_000);
    // The cursor in the middle of a minified line, other lines around it.
    const prompt = buildFimPrompt(counting, fim, `head\n${bundle}END`, `START${bundle}\ntail\n`, 40);
    const { prefix, suffix } = parts(prompt.ids);
    assert.ok(prefix.endsWith('END') && suffix.startsWith('START'), 'the cursor sides are kept');
    assert.ok(prompt.ids.length <= 40 + 3);
    assert.ok(Math.max(...encoded) <= 40 * 16, `longest text encoded: ${Math.max(...encoded)} characters`);
    // A line after the cursor line that could fit is still kept whole.
    const lines = buildFimPrompt(counting, fim, 'x', 'a\n' + 'y'.repeat(5000) + '\nb\n', 40);
    assert.equal(parts(lines.ids).suffix, 'a\n');
  });

  it('gives a model without FIM tokens a prefix-only prompt', () => {
    const plain = charTokenizer(false);
    assert.equal(fimTokenIds(plain), null);
    const prompt = buildFimPrompt(plain, null, 'one\ntwo\nthree', 'ignored', 9);
    assert.equal(plain.decode(prompt.ids), 'two\nthree');
    assert.equal(prompt.suffixTokens, 0);
  });
});
