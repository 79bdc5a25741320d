// Token healing: the runtime's constraint (pure, on a small made-up vocabulary), the server's prefix split (on the
// fixture tokenizer), and whole generations on the fixture models: the output continues after the healed text,
// and greedy output stays the same with every speculation mode.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { withoutBrokenCharacters } from '../../runtime/brokenCharacter';
import { Generator } from '../../runtime/generator';
import { continuedStart } from '../../runtime/continuedStart';
import { RequiredPrefix, requiredStart, TokenTexts } from '../../runtime/tokenHealing';
import { TextTokenizer } from '../../runtime/tokenizer';
import { healPrefix } from '../../lsp-server/tokenHealing';
import { GREEDY, TARGET_DIR, loadFixtureDecoders } from './runtimeFixtures';

const VOCAB = ['back', 'gr', 'ground', 'g', 'r', 'o', 'und', 'x', '\uFFFD', ''];

describe('RequiredPrefix', () => {
  it('allows only tokens that fit the text still to be written', () => {
    const required = new RequiredPrefix('gr', new TokenTexts(VOCAB));
    const logits = new Float32Array(VOCAB.length).fill(1);
    logits[7] = 9; // 'x' is the model's favourite
    required.mask(logits);
    const allowed = [...logits.keys()].filter((id) => logits[id] !== -Infinity).map((id) => VOCAB[id]);
    assert.deepEqual(allowed.sort(), ['g', 'gr', 'ground']);
  });

  it('keeps constraining until a token covers the text, then lets every token through', () => {
    const required = new RequiredPrefix('gro', new TokenTexts(VOCAB));
    required.commit(3); // 'g'
    assert.equal(required.active, true);
    const logits = new Float32Array(VOCAB.length).fill(0);
    required.mask(logits);
    assert.deepEqual([...logits.keys()].filter((id) => logits[id] === 0).map((id) => VOCAB[id]), ['r']);
    required.commit(4); // 'r'
    required.commit(5); // 'o'
    assert.equal(required.active, false);
    const free = new Float32Array(VOCAB.length).fill(0);
    required.mask(free);
    assert.ok(free.every((v) => v === 0));
  });

  it('after healed whitespace, writes no more whitespace: the completion starts where the cursor is', () => {
    const SPACES = ['\n    ', '\n  ', '  ', ' return', '\n      ', ' ', 'x', '\n'];
    const allowedAfter = (required: RequiredPrefix) => {
      const logits = new Float32Array(SPACES.length).fill(0);
      required.mask(logits);
      return [...logits.keys()].filter((id) => logits[id] === 0).map((id) => SPACES[id]);
    };
    const required = new RequiredPrefix('\n    ', new TokenTexts(SPACES));
    assert.deepEqual(allowedAfter(required).sort(), ['\n', '\n    ', '\n  '].sort(), 'a deeper indentation token is not allowed');
    required.commit(1); // '\n  '
    assert.deepEqual(allowedAfter(required).sort(), [' ', '  '], 'only tokens within the rest of the indentation');
    required.commit(2); // '  ': the indentation is written, the next token must not be whitespace
    assert.equal(required.active, true);
    assert.deepEqual(allowedAfter(required), ['x']);
    required.commit(6); // 'x'
    assert.equal(required.active, false);
  });

  it('after a healed line break alone (the cursor at the start of an empty line), leaves the indentation to the model', () => {
    const SPACES = ['\n    ', '\n  ', '  ', ' return', '\n      ', ' ', 'x', '\n'];
    const required = new RequiredPrefix('\n', new TokenTexts(SPACES));
    const logits = new Float32Array(SPACES.length).fill(0);
    required.mask(logits);
    assert.deepEqual([...logits.keys()].filter((id) => logits[id] === 0).map((id) => SPACES[id]).sort(), ['\n', '\n    ', '\n  ', '\n      '].sort());
    required.commit(0); // '\n    ': an indented line
    assert.equal(required.active, false, 'any token may follow');
  });

  it('fails, instead of writing something else, when a token does not fit', () => {
    const required = new RequiredPrefix('gr', new TokenTexts(VOCAB));
    required.commit(7);
    assert.equal(required.failed, true);
    assert.equal(required.active, false);
  });
});

describe('TokenTexts.fitting', () => {
  it('answers a question asked again, among many others, as it did the first time, per rule', () => {
    const texts = new TokenTexts(['  ', '    ', '  x', '    x', '     ', 'ab', 'abc', 'a', 'b']);
    const fits = (rests: string[], rule?: 'non-space' | 'non-word') => [...texts.fitting(rests, rule)].sort((a, b) => a - b);
    const first = fits(['    '], 'non-space');
    assert.deepEqual(first, [0, 1, 3]);
    assert.deepEqual(fits(['    ']), [0, 1, 3, 4], 'without the rule, any text may follow the rest');
    for (let n = 0; n < 40; n++) fits([`a${'b'.repeat(n)}`], 'non-word'); // more questions than are kept
    assert.deepEqual(fits(['    '], 'non-space'), first);
    assert.deepEqual(fits(['ab'], 'non-word'), [5, 7]);
    assert.deepEqual(fits(['ab']), [5, 6, 7]);
  });
});

describe('RequiredPrefix with word choices (a member access: one of a module\'s names, then no more word)', () => {
  const WORDS = ['get', 'Base', 'BaseDir', 'Patterns', 'getBase', '(', 'Dir', 'x', ' ', 'Set', '(p', 'g', 'Feature', '\uFFFD'];
  const allowed = (required: RequiredPrefix) => {
    const logits = new Float32Array(WORDS.length).fill(0);
    required.mask(logits);
    return [...logits.keys()].filter((id) => logits[id] === 0).map((id) => WORDS[id]).sort();
  };

  it('allows the tokens of the names only, and after a whole name only a character that ends it', () => {
    const required = new RequiredPrefix('', new TokenTexts(WORDS), ['getBase', 'getPatterns']);
    assert.equal(required.active, true);
    assert.deepEqual(allowed(required), ['g', 'get', 'getBase'].sort());
    required.commit(0); // 'get'
    assert.deepEqual(allowed(required), ['Base', 'Patterns'], "'BaseDir' would write a name that is not there");
    required.commit(1); // 'Base'
    assert.deepEqual(allowed(required), [' ', '(', '(p'].sort(), 'not a piece of a multi-byte letter either');
    required.commit(10); // '(p'
    assert.equal(required.active, false);
    assert.equal(required.failed, false);
  });

  it('lets a name that starts another one either end or go on', () => {
    const required = new RequiredPrefix('', new TokenTexts(WORDS), ['Feature', 'FeatureSet']);
    required.commit(12); // 'Feature'
    assert.deepEqual(allowed(required), [' ', '(', '(p', 'Set'].sort());
    const ended = required.clone();
    ended.commit(5); // '('
    assert.equal(ended.active, false, 'the copy settled');
    assert.equal(required.active, true, 'the original is independent of its copy');
    required.commit(9); // 'Set'
    assert.deepEqual(allowed(required), [' ', '(', '(p'].sort());
  });

  it('writes the healed text first, then one of the names', () => {
    const required = new RequiredPrefix('get', new TokenTexts(WORDS), ['Base', 'Patterns']);
    assert.deepEqual(allowed(required), ['g', 'get', 'getBase'].sort());
    required.commit(4); // 'getBase'
    assert.deepEqual(allowed(required), [' ', '(', '(p'].sort());
  });

  it('constrains nothing where a name has a character only pieces of tokens write (`größe`)', () => {
    const texts = new TokenTexts([...WORDS, 'gr', 'ü', 'n']);
    assert.equal(texts.canSpell('getBase'), true, 'ASCII: a byte-level vocabulary writes every character');
    assert.equal(texts.canSpell('grün'), true);
    assert.equal(texts.canSpell('größe'), false, 'ö only as pieces of its bytes');
    assert.equal(new RequiredPrefix('', texts, ['größe', 'grün']).active, false);
    assert.equal(new RequiredPrefix('', texts, ['grün', 'getBase']).active, true);
  });

  it('asks for nothing when neither healed text nor names are given', () => {
    assert.equal(requiredStart(new TokenTexts(WORDS), { requiredPrefix: '', wordChoices: [] }, [0]), undefined);
    assert.equal(requiredStart(new TokenTexts(WORDS), {}, [0]), undefined);
  });
});

describe('RequiredPrefix with forbidden starts and text before the end (Explain: a doc comment opens with prose)', () => {
  // Id 0 ends the text; it spells itself, as the tokenizer decodes special tokens.
  const DOC = ['<|endoftext|>', ' ', ' @', ' @param', '@', ' Returns', ' the', '\n', ' *', '  ', ' @@', 'x'];
  const allowed = (required: RequiredPrefix) => {
    const logits = new Float32Array(DOC.length).fill(0);
    required.mask(logits);
    return [...logits.keys()].filter((id) => logits[id] === 0).map((id) => DOC[id]).sort();
  };

  it('after a healed space, masks the tokens that would start with a tag, and the end while nothing is written', () => {
    const required = requiredStart(new TokenTexts(DOC), { requiredPrefix: ' ', forbiddenStarts: ['@'], nonBlank: true }, [0])!;
    assert.deepEqual(allowed(required), [' ', ' Returns', ' the', ' *'].sort(), "' ' alone still fits: a tag may not follow it");
    required.commit(1); // ' '
    assert.equal(required.active, true);
    assert.deepEqual(allowed(required), ['x'], "not '@', not whitespace after the healed space, not the end");
    required.commit(11); // 'x'
    assert.equal(required.active, false, 'prose started: every token may follow');
  });

  it('settles at once on a token that writes the space and a word', () => {
    const required = requiredStart(new TokenTexts(DOC), { requiredPrefix: ' ', forbiddenStarts: ['@'], nonBlank: true }, [0])!;
    required.commit(5); // ' Returns'
    assert.equal(required.active, false);
    assert.equal(required.failed, false);
  });

  it('forbids a longer start only where a token would complete it', () => {
    const required = requiredStart(new TokenTexts(DOC), { forbiddenStarts: [' @@'], nonBlank: true }, [0])!;
    assert.deepEqual(allowed(required), DOC.filter((text) => text !== ' @@' && text !== '<|endoftext|>').sort());
    required.commit(2); // ' @': may still become ' @@'
    assert.equal(required.active, true);
    assert.deepEqual(allowed(required), DOC.filter((text) => text !== '@').sort(), 'and the text may end: it is not blank');
    required.commit(6); // ' the'
    assert.equal(required.active, false);
  });

  it('masks the end only while what was written is whitespace', () => {
    const required = requiredStart(new TokenTexts(DOC), { nonBlank: true }, [0])!;
    required.commit(7); // '\n'
    required.commit(9); // '  '
    assert.equal(required.active, true);
    assert.ok(!allowed(required).includes('<|endoftext|>'));
    required.commit(8); // ' *'
    assert.equal(required.active, false);
    assert.equal(requiredStart(new TokenTexts(DOC), { nonBlank: false, forbiddenStarts: [''] }, [0]), undefined, 'an empty start forbids nothing');
  });
});

describe('continuedStart (a run that goes on where another gave way)', () => {
  const START = { requiredPrefix: ' ', forbiddenStarts: ['@', '*/'], nonBlank: true };

  it('keeps every rule when nothing is written, and the rest of the required text', () => {
    assert.deepEqual(continuedStart(START, ''), { requiredPrefix: ' ', forbiddenStarts: ['@', '*/'], nonBlank: true });
    assert.deepEqual(continuedStart({ requiredPrefix: '\n    ' }, '\n  '), { requiredPrefix: '  ', forbiddenStarts: [], nonBlank: false });
  });

  it('after the healed space alone, forbids whitespace next as well, as the runtime rule after it does', () => {
    assert.deepEqual(continuedStart(START, ' '), { forbiddenStarts: ['@', '*/', ' ', '\t', '\n', '\r'], nonBlank: true });
  });

  it('keeps what is left of a start the text may still become, and drops every rule once prose is written', () => {
    assert.deepEqual(continuedStart(START, ' *'), { forbiddenStarts: ['/'], nonBlank: false });
    assert.deepEqual(continuedStart(START, ' Returns'), { forbiddenStarts: [], nonBlank: false });
    assert.deepEqual(continuedStart({ nonBlank: true }, '\n   '), { forbiddenStarts: [], nonBlank: true });
  });
});

const tokenizer = TextTokenizer.fromDirectory(TARGET_DIR);

describe('healPrefix', () => {
  it('cuts the last token of a word the cursor ends and asks for it back', () => {
    const prefix = 'from os import pathsep\nvalue = compute_tot';
    const healed = healPrefix(tokenizer, prefix);
    assert.ok(healed.required.length > 0, 'a word at the cursor is healed');
    assert.equal(healed.prefix + healed.required, prefix);
    assert.deepEqual(tokenizer.encode(healed.required), tokenizer.encode(prefix.split('\n')[1]!).slice(-1), 'the cut is exactly the last token');
  });

  it('cuts a single space after code, which byte-level BPE would join to the next word', () => {
    assert.deepEqual(healPrefix(tokenizer, 'def area(r):\n    return '), { prefix: 'def area(r):\n    return', required: ' ' });
  });

  it('cuts a new line with its indentation, which the tokenizer writes as one token only before another line break', () => {
    for (const prefix of ['if (ready) {\n  ', 'def f():\n    x = 1\n\n    ']) {
      const healed = healPrefix(tokenizer, prefix);
      assert.match(healed.required, /^\s+$/, `whitespace healed in ${JSON.stringify(prefix)}`);
      assert.equal(healed.prefix + healed.required, prefix);
      assert.deepEqual(tokenizer.encode(prefix).slice(-1), tokenizer.encode(healed.required), 'the cut is exactly the last token');
    }
  });

  it('leaves prefixes alone that end in punctuation, and tokenizers that cannot decode', () => {
    for (const prefix of ['total = items.', 'call(', '']) assert.deepEqual(healPrefix(tokenizer, prefix), { prefix, required: '' });
    const noDecode = { encode: (t: string) => tokenizer.encode(t), specialTokenId: () => undefined };
    assert.deepEqual(healPrefix(noDecode, 'value = tot'), { prefix: 'value = tot', required: '' });
  });
});

describe('generation with a required prefix (fixture models)', () => {
  let fixtures: Awaited<ReturnType<typeof loadFixtureDecoders>>;
  before(async () => {
    fixtures = await loadFixtureDecoders();
  });
  after(async () => {
    await fixtures?.target.dispose();
    await fixtures?.draft.dispose();
  });

  const PREFIXES = ['def add(a, b):\n    return a + b\n\ndef sub(a, b):\n    retu', 'def mul(a, b):\n    return ', 'const total = values.reduce((a, b) => a + b, 0);\nconst avg = tot', 'import os\nimport sy'];

  it('writes the healed text first and returns only what follows it', async () => {
    const { target, config } = fixtures;
    const generator = new Generator({ model: target, tokenizer, eosTokenIds: config.eosTokenIds, maxContext: config.maxPositionEmbeddings });
    for (const prefix of PREFIXES) {
      const healed = healPrefix(tokenizer, prefix);
      assert.ok(healed.required !== '', `healed: ${prefix}`);
      const result = await generator.generate({ promptIds: tokenizer.encode(healed.prefix), requiredPrefix: healed.required, maxNewTokens: 12, sampling: GREEDY, stopStrings: [], speculation: 'off' });
      const all = tokenizer.decode(result.tokenIds);
      assert.ok(all.startsWith(healed.required), `generated ${JSON.stringify(all)} starts with ${JSON.stringify(healed.required)}`);
      // The fixture's random weights write byte pieces that are no character: the text leaves them out.
      assert.equal(result.text, withoutBrokenCharacters(all.slice(healed.required.length)).replace(/\uFFFD+$/, ''));
    }
  });

  it('starts with one of the chosen words, greedy and with beams, with and without speculation', async () => {
    const { target, draft, config } = fixtures;
    const words = ['alpha_value', 'beta', 'gamma_total'];
    for (const beamWidth of [1, 3]) {
      for (const speculation of ['off', 'auto'] as const) {
        const generator = new Generator({ model: target, draft, tokenizer, eosTokenIds: config.eosTokenIds, maxContext: config.maxPositionEmbeddings });
        const result = await generator.generate({ promptIds: tokenizer.encode('import stats\nresult = stats.'), wordChoices: words, maxNewTokens: 12, sampling: GREEDY, stopStrings: ['\n'], speculation, beamWidth });
        const word = words.find((w) => result.text.startsWith(w));
        assert.ok(word !== undefined, `${JSON.stringify(result.text)} starts with a chosen word (beam width ${beamWidth}, ${speculation})`);
        assert.doesNotMatch(result.text.slice(word.length, word.length + 1), /[\w$]/, 'and the word ends there');
      }
    }
  });

  it('answers nothing, not a piece of a word, when the generation cannot write the required text', async () => {
    const { target, config } = fixtures;
    const generator = new Generator({ model: target, tokenizer, eosTokenIds: config.eosTokenIds, maxContext: config.maxPositionEmbeddings });
    // Healed text ending in a character the vocabulary writes only as byte pieces: the constraint fails part way.
    const texts = TokenTexts.fromDecoder((ids) => tokenizer.decode(ids), tokenizer.vocabSize);
    assert.equal(texts.canSpell('gr\u00f6'), false, 'the fixture vocabulary has no whole-character ö');
    for (const speculation of ['off', 'auto'] as const) {
      const result = await generator.generate({ promptIds: tokenizer.encode('x = '), requiredPrefix: 'gr\u00f6', maxNewTokens: 8, sampling: GREEDY, stopStrings: [], speculation });
      assert.equal(result.text, '', speculation);
    }
  });

  it('never starts with a forbidden start, with the same greedy output in every speculation mode and with beams', async () => {
    const { target, draft, config } = fixtures;
    let checked = 0;
    for (const prefix of PREFIXES) {
      const free = new Generator({ model: target, tokenizer, eosTokenIds: config.eosTokenIds, maxContext: config.maxPositionEmbeddings });
      const unconstrained = tokenizer.decode((await free.generate({ promptIds: tokenizer.encode(prefix), maxNewTokens: 12, sampling: GREEDY, stopStrings: [], speculation: 'off' })).tokenIds);
      // What the model writes first when free is what it must not start with.
      const forbidden = unconstrained.slice(0, 2);
      if (forbidden.length < 2 || forbidden.includes('\uFFFD')) continue;
      checked++;
      const outputs = new Set<string>();
      for (const speculation of ['off', 'lookup', 'draft', 'auto'] as const) {
        const generator = new Generator({ model: target, draft, tokenizer, eosTokenIds: config.eosTokenIds, maxContext: config.maxPositionEmbeddings });
        const result = await generator.generate({ promptIds: tokenizer.encode(prefix), forbiddenStarts: [forbidden], nonBlank: true, maxNewTokens: 24, sampling: GREEDY, stopStrings: [], speculation });
        const all = tokenizer.decode(result.tokenIds);
        assert.ok(!all.startsWith(forbidden), `${JSON.stringify(all)} does not start with ${JSON.stringify(forbidden)} (${speculation})`);
        assert.ok(all.trim() !== '' || result.stopReason === 'length', `${JSON.stringify(all)} is not left blank (${speculation})`);
        outputs.add(JSON.stringify(result.tokenIds));
      }
      assert.equal(outputs.size, 1, `one output for ${JSON.stringify(prefix)}`);
      const beams = new Generator({ model: target, tokenizer, eosTokenIds: config.eosTokenIds, maxContext: config.maxPositionEmbeddings });
      const beamed = await beams.generate({ promptIds: tokenizer.encode(prefix), forbiddenStarts: [forbidden], maxNewTokens: 12, sampling: GREEDY, stopStrings: ['\n'], beamWidth: 3 });
      assert.ok(!tokenizer.decode(beamed.tokenIds).startsWith(forbidden), `beams: ${JSON.stringify(tokenizer.decode(beamed.tokenIds))}`);
    }
    assert.ok(checked >= 2, `the free outputs of ${checked} prompts gave a start to forbid`);
  });

  it('gives the same greedy output with every speculation mode', async () => {
    const { target, draft, config } = fixtures;
    for (const prefix of PREFIXES) {
      const healed = healPrefix(tokenizer, prefix);
      const outputs = new Set<string>();
      for (const speculation of ['off', 'lookup', 'draft', 'auto'] as const) {
        const generator = new Generator({ model: target, draft, tokenizer, eosTokenIds: config.eosTokenIds, maxContext: config.maxPositionEmbeddings });
        const result = await generator.generate({ promptIds: tokenizer.encode(healed.prefix), requiredPrefix: healed.required, maxNewTokens: 24, sampling: GREEDY, stopStrings: [], speculation });
        outputs.add(JSON.stringify(result.tokenIds));
      }
      assert.equal(outputs.size, 1, `one output for ${JSON.stringify(prefix)}`);
    }
  });
});
