// The server's tokenizer cache: the same ids as the tokenizer it wraps, one encoding per short text while it is
// remembered, copies that callers may change, the least recently used text forgotten first.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CachingTokenizer } from '../../lsp-server/cachingTokenizer';
import type { ContextTokenizer } from '../../lsp-server/context/promptAssembler';

class CountingTokenizer implements ContextTokenizer {
  calls = 0;
  encode(text: string): number[] {
    this.calls++;
    return [...text].map((c) => c.codePointAt(0)!);
  }
  decode(ids: readonly number[]): string {
    return String.fromCodePoint(...ids);
  }
  specialTokenId(content: string): number | undefined {
    return content === '<|fim_prefix|>' ? 1 : undefined;
  }
  encodeMarkup(text: string): number[] {
    return text === '<|fim_prefix|>' ? [1] : this.encode(text);
  }
}

describe('CachingTokenizer', () => {
  it('encodes a short text once while it is remembered and hands out copies', () => {
    const inner = new CountingTokenizer();
    const tokenizer = new CachingTokenizer(inner);
    const first = tokenizer.encode('const x = 1;');
    first.push(99);
    assert.deepEqual(tokenizer.encode('const x = 1;'), inner.encode('const x = 1;'));
    assert.equal(inner.calls, 2, 'one encoding by the cache, one by the test');
    assert.equal(tokenizer.decode(tokenizer.encode('ab')), 'ab');
    assert.equal(tokenizer.specialTokenId('<|fim_prefix|>'), 1);
    assert.deepEqual(tokenizer.encodeMarkup('<|fim_prefix|>'), [1]);
  });

  it('forgets the least recently used text first and never remembers long texts', () => {
    const inner = new CountingTokenizer();
    const tokenizer = new CachingTokenizer(inner, 2);
    tokenizer.encode('a');
    tokenizer.encode('b');
    tokenizer.encode('a'); // `b` is now the least recently used
    tokenizer.encode('c');
    assert.equal(tokenizer.size, 2);
    const before = inner.calls;
    tokenizer.encode('a');
    assert.equal(inner.calls, before, '`a` is still remembered');
    tokenizer.encode('b');
    assert.equal(inner.calls, before + 1, '`b` was forgotten');
    const long = 'x'.repeat(5000);
    tokenizer.encode(long);
    tokenizer.encode(long);
    assert.equal(inner.calls, before + 3);
  });
});
