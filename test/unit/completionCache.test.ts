import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CompletionCache } from '../../lsp-server/completionCache';

const URI = 'file:///a.ts';

describe('CompletionCache', () => {
  it('answers the rest of a completion while its characters are typed', () => {
    const cache = new CompletionCache();
    cache.store(URI, 'const x = ', ';\n', 'compute(1, 2)');
    assert.equal(cache.lookup(URI, 'const x = c', ';\n'), 'ompute(1, 2)');
    assert.equal(cache.lookup(URI, 'const x = comp', ';\n'), 'ute(1, 2)');
    assert.equal(cache.lookup(URI, 'const x = compute(1, 2', ';\n'), ')');
  });

  it('misses when the typed text leaves the completion, or types it to its end', () => {
    const cache = new CompletionCache();
    cache.store(URI, 'const x = ', ';\n', 'compute(1, 2)');
    assert.equal(cache.lookup(URI, 'const x = ', ';\n'), undefined, 'a request at the cached cursor asks the model again');
    assert.equal(cache.lookup(URI, 'const x = cz', ';\n'), undefined);
    assert.equal(cache.lookup(URI, 'const x = compute(1, 2)', ';\n'), undefined);
    assert.equal(cache.lookup(URI, 'const y = ', ';\n'), undefined);
    assert.equal(cache.lookup(URI, 'const x =', ';\n'), undefined, 'deleting before the cursor is not typing the completion');
  });

  it('takes out the completions typed to their end, each once, with their origin and place', () => {
    const cache = new CompletionCache();
    cache.storeOffered(URI, 'const x = ', ';\n', ['compute(1, 2)', 'count'], { origin: 'run-1' });
    assert.deepEqual(cache.takeTypedOut(URI, 'const x = compute(1, 2', ';\n'), [], 'not yet at its end');
    assert.deepEqual(cache.takeTypedOut(URI, 'const x = compute(1, 2)', ';\n'), [{ origin: 'run-1', rank: 0 }]);
    assert.deepEqual(cache.takeTypedOut(URI, 'const x = compute(1, 2)', ';\n'), [], 'taken out');
    assert.deepEqual(cache.takeTypedOut(URI, 'const x = count', ';\n'), [{ origin: 'run-1', rank: 1 }], 'a runner-up keeps its place');
    cache.store(URI, 'y = ', '\n', 'f(a)', 'run-2');
    assert.deepEqual(cache.takeTypedOut(URI, 'y = f(a)', ')\n'), [], 'the text after the cursor changed');
    assert.deepEqual(cache.takeTypedOut('file:///b.ts', 'y = f(a)', '\n'), [], 'another document');
    assert.deepEqual(cache.takeTypedOut(URI, 'z = f(a)', '\n'), [], 'another prefix');
    assert.deepEqual(cache.takeTypedOut(URI, 'y = f(a)', '\n'), [{ origin: 'run-2', rank: 0 }], 'the `)` typed over the auto-closed one');
    assert.equal(cache.size, 0);
  });

  it('says where the cursor is in an answer stored as only part of what the model would write', () => {
    const cache = new CompletionCache();
    cache.storeOffered(URI, 'f() {', '', ['\n  let total = 0;'], { origin: 'cut', partial: true });
    assert.deepEqual(cache.partialAt(URI, 'f() {', ''), { typed: '' }, 'at its own cursor');
    assert.deepEqual(cache.partialAt(URI, 'f() {\n  let to', ''), { typed: '\n  let to' });
    assert.equal(cache.partialAt(URI, 'f() {\n  let to', '}'), undefined, 'the text after the cursor changed');
    assert.equal(cache.partialAt(URI, 'f() {\n  const', ''), undefined, 'typed away from it');
    cache.storeOffered(URI, 'g() {', '', ['\n  return 1;\n}', '\n  return 0;'], { partial: true });
    assert.equal(cache.partialAt(URI, 'g() {\n  return 0', ''), undefined, 'a runner-up is whole');
    cache.storeOffered(URI, 'f() {', '', ['\n  let total = 0;\n}']);
    assert.equal(cache.partialAt(URI, 'f() {\n  let to', ''), undefined, 'stored whole since');
  });

  it('answers only completions typed at most maxTyped characters into', () => {
    const cache = new CompletionCache();
    cache.store(URI, 'n = tally', ';\n', '.count');
    assert.equal(cache.lookup(URI, 'n = tally.c', ';\n', 1), undefined, 'made before the dot that began the member access');
    assert.equal(cache.lookup(URI, 'n = tally.c', ';\n', 2), 'ount');
  });

  it('keeps documents apart', () => {
    const cache = new CompletionCache();
    cache.store(URI, 'x = ', '', '12');
    assert.equal(cache.lookup('file:///b.ts', 'x = 1', ''), undefined);
    assert.equal(cache.lookup(URI, 'x = 1', ''), '2');
  });

  it('drops an entry whose suffix changed', () => {
    const cache = new CompletionCache();
    cache.store(URI, 'f(', ')\nrest', 'a, b');
    assert.equal(cache.lookup(URI, 'f(a', '))\nrest'), undefined);
    assert.equal(cache.size, 0);
    assert.equal(cache.lookup(URI, 'f(a', ')\nrest'), undefined, 'the invalidated entry is gone');
  });

  it('compares only the bounded prefix and the start of the suffix', () => {
    const cache = new CompletionCache({ maxEntries: 4, prefixChars: 5, suffixChars: 3 });
    cache.store(URI, 'AAAAAhello', 'xyzTAIL', ' world');
    assert.equal(cache.lookup(URI, 'BBBBBhello w', 'xyzOTHER'), 'orld', 'text before the window and after the suffix start does not count');
    assert.equal(cache.lookup(URI, 'BBBBBhellX w', 'xyz'), undefined);
  });

  it('handles multi-line completions typed across a line break', () => {
    const cache = new CompletionCache();
    cache.store(URI, 'if (a) {\n', '\n}', '  run();\n  done();');
    assert.equal(cache.lookup(URI, 'if (a) {\n  run();\n ', '\n}'), ' done();');
  });

  it('evicts the least recently used entry beyond its bound, and a hit refreshes an entry', () => {
    const cache = new CompletionCache({ maxEntries: 2, prefixChars: 100, suffixChars: 10 });
    cache.store(URI, 'a', '', 'AAA');
    cache.store(URI, 'b', '', 'BBB');
    assert.equal(cache.lookup(URI, 'aA', ''), 'AA');
    cache.store(URI, 'c', '', 'CCC');
    assert.equal(cache.size, 2);
    assert.equal(cache.lookup(URI, 'bB', ''), undefined, 'b was least recently used');
    assert.equal(cache.lookup(URI, 'aA', ''), 'AA');
    assert.equal(cache.lookup(URI, 'cC', ''), 'CC');
  });

  it('replaces the entry for the same key, ignores empty completions, and clears per document', () => {
    const cache = new CompletionCache();
    cache.store(URI, 'x = ', '', 'old');
    cache.store(URI, 'x = ', '', 'new');
    cache.store(URI, 'y = ', '', '');
    assert.equal(cache.size, 1);
    assert.equal(cache.lookup(URI, 'x = n', ''), 'ew');
    cache.store('file:///b.ts', 'x = ', '', 'bb');
    cache.clear(URI);
    assert.equal(cache.lookup(URI, 'x = n', ''), undefined);
    assert.equal(cache.lookup('file:///b.ts', 'x = b', ''), 'b');
    cache.clear();
    assert.equal(cache.size, 0);
  });

  it('keeps every suggestion offered at a cursor: typing one keeps its rest, the answer wins where both match, a new set replaces them', () => {
    const cache = new CompletionCache();
    cache.storeOffered(URI, 'x = ', '', ['total(a)', 'total(b)', 'count', ''], { origin: 'r1' });
    assert.equal(cache.size, 3);
    assert.deepEqual(cache.lookupRest(URI, 'x = c', ''), { text: 'ount', autoClosed: '', origin: 'r1', rank: 2 });
    // Each keeps its place among those offered, the answer 0.
    assert.deepEqual(cache.lookupRests(URI, 'x = total(', '').map((rest) => [rest.text, rest.rank]), [['a)', 0], ['b)', 1]]);
    assert.equal(cache.lookup(URI, 'x = tot', ''), 'al(a)');
    assert.equal(cache.lookup(URI, 'x = total(b', ''), ')');
    cache.storeOffered(URI, 'x = ', '', ['sum(a)'], { origin: 'r2' });
    assert.equal(cache.lookup(URI, 'x = c', ''), undefined);
    assert.equal(cache.size, 1);
  });

  it('prefers the most recent entry when several match', () => {
    const cache = new CompletionCache();
    cache.store(URI, 'x = ', '', 'foo(1)');
    cache.store(URI, 'x = f', '', 'oo(2)');
    assert.equal(cache.lookup(URI, 'x = fo', ''), 'o(2)');
  });

  it('answers while openers typed from the completion have their closers auto-inserted after the cursor, and types over them', () => {
    // VS Code's default autoClosingBrackets: typing `(` of `(square);` puts `)` behind the cursor; typing `)` types over it.
    const cache = new CompletionCache();
    cache.store(URI, 'const total = perimeter', '\nnext', '(square);');
    assert.deepEqual(cache.lookupRest(URI, 'const total = perimeter(', ')\nnext'), { text: 'square);', autoClosed: ')', rank: 0 });
    assert.deepEqual(cache.lookupRest(URI, 'const total = perimeter(sq', ')\nnext'), { text: 'uare);', autoClosed: ')', rank: 0 }, 'also keystrokes after the opener');
    assert.deepEqual(cache.lookupRest(URI, 'const total = perimeter(square)', '\nnext'), { text: ';', autoClosed: '', rank: 0 }, 'the typed `)` went over the auto-inserted one');
    assert.equal(cache.lookup(URI, 'const total = perimeter(s', ')\nnext'), 'quare);');
  });

  it('takes quotes and nested openers auto-closed, and an opener the editor did not close', () => {
    const cache = new CompletionCache();
    cache.store(URI, 'const labels = { name', '}\n', ": 'name', value: 'value' }");
    assert.deepEqual(cache.lookupRest(URI, "const labels = { name: 'na", "'}\n"), { text: "me', value: 'value' }", autoClosed: "'", rank: 0 });
    cache.store(URI, 'call', '', '(a, [b, {c: "d"}])');
    assert.deepEqual(cache.lookupRest(URI, 'call(a, [b, {c: "', '"}])'), { text: 'd"}])', autoClosed: '"}])', rank: 0 });
    assert.deepEqual(cache.lookupRest(URI, 'call(a, [b, {c: "d"', '}])'), { text: '}])', autoClosed: '}])', rank: 0 }, 'the closing quote typed over its twin');
    assert.deepEqual(cache.lookupRest(URI, 'call(a, [b, {', '])'), { text: 'c: "d"}])', autoClosed: '])', rank: 0 }, 'the `{` was not auto-closed');
  });

  it('still drops an entry whose suffix changed by more than the closers of typed openers', () => {
    const cache = new CompletionCache();
    cache.store(URI, 'x = ', ';', 'foo(1)');
    assert.equal(cache.lookup(URI, 'x = foo(', '];'), undefined, 'not the closer of the typed opener');
    assert.equal(cache.size, 0);
    cache.store(URI, 'x = ', ';', 'foo(1)');
    assert.equal(cache.lookup(URI, 'x = fo', 'o;'), undefined, 'no opener was typed');
    cache.store(URI, 'x = ', ';', 'foo(1)');
    assert.equal(cache.lookup(URI, 'x = foo(', ');;'), undefined, 'the closer and more');
    assert.equal(cache.size, 0);
  });

  it('compares an auto-closed suffix over the bounded start of the suffix', () => {
    const cache = new CompletionCache({ maxEntries: 4, prefixChars: 100, suffixChars: 3 });
    cache.store(URI, 'f', 'abcTAIL', '(x)');
    assert.equal(cache.lookup(URI, 'f(', ')abOTHER'), 'x)', 'the closer and the first two characters of the cached suffix');
    assert.equal(cache.lookup(URI, 'f(', ')aXc'), undefined);
  });
});
