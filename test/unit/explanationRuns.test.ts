// Explain's generation (lsp-server/context/explanationRuns.ts, explanationLines.ts) on a scripted byte-level model:
// a run gives way when a completion starts and the next goes on from the tokens so far; the text is decoded over all
// runs, so a character or a stop string two runs share comes out whole; loops, a walk out of a `#` comment and
// trailing whitespace are cut; a text a limit ends loses its unfinished last sentence (finishedSentences.ts); what
// streamed is always the final text.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GenerateHooks, GenerateRequest, GenerateResult } from '../../runtime/engine';
import { generateExplanation, type ExplanationRequest, type ExplanationRunsDeps } from '../../lsp-server/context/explanationRuns';
import { ExplanationLines } from '../../lsp-server/context/explanationLines';
import { finishedEnd } from '../../lsp-server/context/finishedSentences';
import { ModelNotReadyError } from '../../runtime/errors';

const PROMPT = [1, 2, 3];

/** Writes the UTF-8 bytes of `script` as its tokens, one per pass, from wherever the prompt has got to. */
class ScriptedEngine {
  readonly prompts: number[][] = [];
  readonly requests: GenerateRequest[] = [];
  /** Called before each token with how many the explanation has; the test starts a completion there. */
  beforeToken: (written: number) => void = () => undefined;

  constructor(private readonly script: string) {}

  async generate(request: GenerateRequest, hooks: GenerateHooks = {}): Promise<GenerateResult> {
    this.prompts.push(request.promptIds);
    this.requests.push(request);
    const bytes = [...Buffer.from(this.script, 'utf8')];
    const tokenIds: number[] = [];
    let stopReason: GenerateResult['stopReason'] = 'length';
    for (let written = request.promptIds.length - PROMPT.length; tokenIds.length < request.maxNewTokens; written++) {
      await new Promise((r) => setImmediate(r));
      this.beforeToken(written);
      if (hooks.signal?.aborted) {
        stopReason = 'aborted';
        break;
      }
      if (written >= bytes.length) {
        stopReason = 'eos';
        break;
      }
      tokenIds.push(bytes[written]!);
      hooks.onToken?.(bytes[written]!);
    }
    const timings = { promptTokens: request.promptIds.length, cachedPromptTokens: 0, generatedTokens: tokenIds.length, prefillMs: 0, firstTokenMs: 0, decodeMs: 0, totalMs: 0, tokensPerSecond: 0, decodeTokensPerSecond: 0 };
    return { text: '', tokenIds, stopReason, timings };
  }
}

/** Writes the bytes of one piece per run, then the end token. */
class PiecesEngine {
  readonly requests: GenerateRequest[] = [];

  constructor(private readonly pieces: string[]) {}

  async generate(request: GenerateRequest, hooks: GenerateHooks = {}): Promise<GenerateResult> {
    const tokenIds = [...Buffer.from(this.pieces[this.requests.length] ?? '', 'utf8')];
    this.requests.push(request);
    for (const id of tokenIds) hooks.onToken?.(id);
    const timings = { promptTokens: request.promptIds.length, cachedPromptTokens: 0, generatedTokens: tokenIds.length, prefillMs: 0, firstTokenMs: 0, decodeMs: 0, totalMs: 0, tokensPerSecond: 0, decodeTokensPerSecond: 0 };
    return { text: '', tokenIds, stopReason: 'eos', timings };
  }
}

/** A server's foreground work, as the test drives it: `begin` aborts the running run, `end` lets the next start. */
function foreground() {
  let starts = new AbortController();
  let idle: Promise<void> = Promise.resolve();
  let release = () => undefined as void;
  return {
    deps: { foregroundIdle: () => idle, foregroundStarts: () => starts.signal },
    begin() {
      idle = new Promise((r) => (release = r));
      starts.abort();
      starts = new AbortController();
    },
    end: () => release(),
  };
}

const decode = (ids: readonly number[]) => Buffer.from(ids).toString('utf8');

/** A request's start constraints. */
const pick = (request: GenerateRequest) => ({ requiredPrefix: request.requiredPrefix, forbiddenStarts: request.forbiddenStarts, nonBlank: request.nonBlank });

async function explain(engine: ExplanationRunsDeps['engine'], request: Partial<ExplanationRequest> = {}, signal = new AbortController().signal, work = foreground()) {
  const chunks: string[] = [];
  const result = await generateExplanation({ engine, decode, ...work.deps }, { promptIds: PROMPT, maxNewTokens: 200, stopStrings: [], ...request }, signal, (d) => chunks.push(d));
  assert.equal(chunks.join(''), result.text, 'what streamed is the text');
  return result;
}

/** A scripted engine whose first run meets a completion before its token `at`; the completion ends after `endMs`. */
function completionAt(script: string, at: number, endMs = 0) {
  const engine = new ScriptedEngine(script);
  const work = foreground();
  engine.beforeToken = (written) => {
    if (written !== at || engine.prompts.length !== 1) return;
    work.begin();
    setTimeout(() => work.end(), endMs);
  };
  return { engine, work };
}

describe('Explain generation', () => {
  it('gives way to a completion that starts, and goes on from its tokens afterwards, a character split between runs whole', async () => {
    // `é` is two bytes: the completion starts between them.
    const { engine, work } = completionAt('la café est ouverte.', 7, 20);
    const result = await explain(engine, {}, undefined, work);
    assert.equal(result.text, 'la café est ouverte.');
    assert.equal(result.runs, 2);
    assert.equal(result.stopReason, 'eos');
    assert.deepEqual(engine.prompts[1], [...PROMPT, ...Buffer.from('la café', 'utf8').subarray(0, 7)], 'the tokens so far, the half character last');
  });

  it('finds a stop string that two runs share', async () => {
    const { engine, work } = completionAt('returns x. */ code after', 12);
    const result = await explain(engine, { stopStrings: ['*/'] }, undefined, work);
    assert.equal(result.runs, 2);
    assert.equal(result.stopReason, 'stop');
    assert.equal(result.text, 'returns x.');
  });

  it('ends with what it has when the client cancels, with no run after it', async () => {
    const engine = new ScriptedEngine('one two three four five');
    const cancel = new AbortController();
    engine.beforeToken = (written) => {
      if (written === 8) cancel.abort();
    };
    const result = await explain(engine, {}, cancel.signal);
    assert.equal(result.stopReason, 'aborted');
    assert.equal(result.text, 'one two');
    assert.equal(result.runs, 1);
  });

  it('answers a cancel that comes while it waits for a completion at once, and says so when the model was reloaded meanwhile', async () => {
    const work = foreground();
    work.begin();
    const cancel = new AbortController();
    setTimeout(() => cancel.abort(), 10);
    const waiting = await explain(new ScriptedEngine('never written'), {}, cancel.signal, work);
    assert.deepEqual([waiting.stopReason, waiting.text, waiting.runs], ['aborted', '', 0], 'no run, and no wait for the completion to end');

    const reloaded = new ScriptedEngine('first part, then more');
    const later = foreground();
    reloaded.beforeToken = (written) => {
      if (written === 5 && reloaded.prompts.length === 1) {
        later.begin();
        later.end();
        // The settings change that reloads the model lands while the completion runs.
        reloaded.generate = async () => Promise.reject(new ModelNotReadyError('generate() was called after the model was unloaded.'));
      }
    };
    await assert.rejects(explain(reloaded, {}, undefined, later), /^Error: The model was reloaded during the explanation: run Explain again\.$/);
  });

  it('answers a cancel at once while its run waits behind another request in the engine, and its late run changes nothing', async () => {
    const engine = new ScriptedEngine('queued explanation');
    let free = () => undefined as void;
    const busy = new Promise<void>((r) => (free = r));
    const generate = engine.generate.bind(engine);
    let lateRun: Promise<GenerateResult> | undefined;
    // The engine is busy with another Explain's run: this one starts only when that ends.
    engine.generate = (request, hooks) => (lateRun = busy.then(() => generate(request, hooks)));
    const cancel = new AbortController();
    setTimeout(() => cancel.abort(), 10);
    const chunks: string[] = [];
    const result = await generateExplanation({ engine, decode, ...foreground().deps }, { promptIds: PROMPT, maxNewTokens: 200, stopStrings: [] }, cancel.signal, (d) => chunks.push(d));
    assert.deepEqual([result.stopReason, result.text, result.runs], ['aborted', '', 1], 'answered before the engine was free');
    free();
    const late = await lateRun!;
    assert.equal(late.stopReason, 'aborted', 'the run saw the cancel when its turn came');
    assert.deepEqual(chunks, [], 'nothing streamed after the answer');
  });

  it('ends before a line written a third time, and at the token limit', async () => {
    const loop = await explain(new ScriptedEngine('Adds five:\n  return x + 5\n  return x + 5\n  return x + 5\n  return x + 5\n'));
    // Read as one text, the lines are a phrase that loops: the text ends at its first copy, a whole line of the
    // example under `Adds five:` (it was dropped as an unfinished sentence).
    assert.equal(loop.text, 'Adds five:\n  return x + 5');
    assert.equal(loop.stopReason, 'stop');
    // A chat answer's code fences come back between other lines: no loop. A third copy that ends the text goes too.
    const steps = '1. Reads:\n```python\ndata = read(path)\n```\n2. Parses:\n```python\ntree = parse(data)\n```\n3. Checks:\n```python\ncheck(tree)\n```\nDone.';
    assert.equal((await explain(new ScriptedEngine(steps))).text, steps);
    const ended = await explain(new ScriptedEngine('Adds five:\n  return x + 5\n  return x + 5\n  return x + 5'));
    assert.equal(ended.text, 'Adds five:\n  return x + 5');
    const limited = await explain(new ScriptedEngine('abcdefgh'), { maxNewTokens: 5 });
    assert.equal(limited.text, 'abcde');
    assert.equal(limited.stopReason, 'length');
  });

  it('ends after the first copy of a phrase that loops, within a line or wrapped over the comment\'s lines', async () => {
    const quoted = await explain(new ScriptedEngine(`>>> f("a", "s", ${Array(40).fill('"t"').join(', ')}`));
    assert.equal(quoted.text, '>>> f("a", "s", "t"');
    assert.equal(quoted.stopReason, 'stop', 'ended at the loop, not at the token cap');
    const wrapped = await explain(new ScriptedEngine(` Returns a function that returns a function that\n * returns a function that returns a function that\n */`), { stopStrings: ['*/'], start: { requiredPrefix: ' ' } });
    // The loop's phrase is `a function that returns` (its copies start at a word after the text's first).
    assert.equal(wrapped.text, 'Returns a function that returns');
    // One character looping, which the phrase rule reads as one word: Chinese has no spaces.
    const letters = await explain(new ScriptedEngine(`计算面积${'秺'.repeat(60)}`));
    assert.deepEqual([letters.text, letters.stopReason], ['计算面积秺', 'stop']);
    assert.equal((await explain(new ScriptedEngine('Sleeps: zzzzzzz, then wakes.'))).text, 'Sleeps: zzzzzzz, then wakes.', 'seven are a word');
  });

  it('ends after the first copy of a sentence written twice in a row, on one line or two, whatever its case and spacing', async () => {
    const oneLine = await explain(new ScriptedEngine(' Return the mean of values. Return the mean of values. Return the mean of values.'), { start: { requiredPrefix: ' ' } });
    assert.deepEqual([oneLine.text, oneLine.stopReason], ['Return the mean of values.', 'stop']);
    const twoLines = await explain(new ScriptedEngine('Return the mean of values.\n    return  the mean of\n    values.\n    """'), { stopStrings: ['"""'] });
    assert.deepEqual([twoLines.text, twoLines.stopReason], ['Return the mean of values.', 'stop']);
    const jsDoc = await explain(new ScriptedEngine(' Adds one.\n * Adds one.\n */'), { stopStrings: ['*/'], start: { requiredPrefix: ' ' } });
    assert.equal(jsDoc.text, 'Adds one.');
    // The same words in different sentences, or a sentence that starts as the last one did, are prose.
    for (const prose of [
      'Return the mean of values. The mean of values is their sum over their count.',
      'Args:\n    a: An integer.\n    b: An integer.',
      'Return the mean. Return the mean of values.',
      'Steps:\n1. Reads.\n2. Reads again.',
    ]) {
      assert.equal((await explain(new ScriptedEngine(prose))).text, prose, prose);
    }
  });

  it('refuses an end the model chose mid-sentence: the next run goes on and must write before it ends', async () => {
    const finished = new PiecesEngine(['The debounce function delays', ' the call.']);
    assert.equal((await explain(finished)).text, 'The debounce function delays the call.');
    assert.deepEqual(finished.requests.map((r) => r.nonBlank), [false, true], 'no end before more text');
    const rambling = new PiecesEngine(['a b', ' c', ' d', ' e', ' f', ' g']);
    const limited = await explain(rambling);
    assert.deepEqual([limited.text, limited.runs, limited.stopReason], ['a b c d e f', 5, 'eos'], 'four ends refused, no more');
    for (const done of ['Adds one.', 'Adds one\n', 'Calls `f`']) assert.equal((await explain(new PiecesEngine([done, ' more']))).runs, 1, done);
    // Code ends no sentence, but may end the text: a doctest's output, a fenced example's last line.
    for (const example of ['Doubles x.\n\n    >>> double(2)\n    4', 'Doubles x.\n\n```python\nz = double(2)'])
      assert.equal((await explain(new PiecesEngine([example, ' more']))).runs, 1, example);
    assert.equal((await explain(new PiecesEngine(['Doubles x.\n\nArgs:\n    x: the number to', ' double.']))).runs, 2, 'a field under Args: is prose');
    // Prose under a section header (Google style) or a sentence that ends in `:` is no code.
    for (const prose of ['Adds.\n\n    Returns:\n        The sum of a and', 'Adds.\n\n    Note:\n        It may overflow when', 'Adds.\n\nIt works in two steps:\n    first it reads the', 'Adds.\n\n    Returns:\n        (int) the sum of a and'])
      assert.equal((await explain(new PiecesEngine([prose, ' b.']))).runs, 2, prose);
  });

  it('drops the unfinished last sentence of a text that a limit ended, where a finished one stays', async () => {
    // The token cap, mid-sentence: what streamed never held the tail.
    const capped = await explain(new ScriptedEngine('Returns the sum. It then adds the rest'), { maxNewTokens: 27 });
    assert.deepEqual([capped.text, capped.stopReason], ['Returns the sum.', 'length']);
    const tags = await explain(new ScriptedEngine('Adds two numbers.\n * @param a\n * @returns the sum of'), { maxNewTokens: 44 });
    assert.equal(tags.text, 'Adds two numbers.\n * @param a', 'a tag line is a finished line');
    // A loop rule's cut: `Values of values in` was its first copy.
    const looped = await explain(new ScriptedEngine(`Sums the values. Values of${' values in values of'.repeat(8)}`));
    assert.deepEqual([looped.text, looped.stopReason], ['Sums the values.', 'stop']);
    // An end mid-sentence refused as often as allowed.
    const refused = await explain(new PiecesEngine(['Adds one. Then a', ' b', ' c', ' d', ' e']));
    assert.deepEqual([refused.text, refused.runs], ['Adds one.', 5]);
    // Nothing finished: all of it stays, as does a text the model ended itself.
    assert.equal((await explain(new ScriptedEngine('Convert a 2-tuple of 2-tuple of 2-tuple of 2-tuple of 2-tuple of 2-tuple of 2-tuple of 2-tuple of'))).text, 'Convert a 2-tuple of');
    const closed = await explain(new ScriptedEngine(' Returns the sum. It then adds */'), { stopStrings: ['*/'], start: { requiredPrefix: ' ' } });
    assert.equal(closed.text, 'Returns the sum. It then adds');
    // The model's end after a line the stop string held back (` *`, which may have been `*/`'s start) is its own.
    const ended = await explain(new ScriptedEngine(' Adds.\n * @param a\n *'), { stopStrings: ['*/'], start: { requiredPrefix: ' ' } });
    assert.deepEqual([ended.text, ended.stopReason], ['Adds.\n * @param a\n *', 'eos']);
    const cancel = new AbortController();
    const cancelled = new ScriptedEngine('Returns the sum. It then adds');
    cancelled.beforeToken = (written) => written === 24 && cancel.abort();
    assert.equal((await explain(cancelled, {}, cancel.signal)).text, 'Returns the sum. It then', 'a cancel keeps what it had');
  });

  it('keeps the whole lines of a code example that a loop rule cut, though code and its output end no sentence', async () => {
    // The line rule's cut before a third `>>> double(2)` dropped the second one's output, `4`.
    const doctest = 'Doubles x.\n\n    Example:\n        >>> double(2)\n        4\n';
    assert.equal((await explain(new ScriptedEngine(`${doctest}${doctest.slice(doctest.indexOf('        >>>')).repeat(3)}`))).text, `${doctest}        >>> double(2)\n        4`);
    // The phrase rule's cut after the first `z = y + 1` dropped it, in a fenced example as in an indented one.
    const fenced = await explain(new ScriptedEngine(`Doubles x.\n\n\`\`\`python\ny = double(2)\n${'z = y + 1\n'.repeat(4)}`));
    assert.deepEqual([fenced.text, fenced.stopReason], ['Doubles x.\n\n```python\ny = double(2)\nz = y + 1\n```', 'stop']);
    // A line the token cap cut may have gone on (`20`): it goes.
    assert.equal((await explain(new ScriptedEngine('Example:\n    >>> f(1)\n    20\n'), { maxNewTokens: 27 })).text, 'Example:\n    >>> f(1)');
    // Prose a cap cut under `Returns:` goes, as any unfinished sentence does.
    const returns = 'Adds two numbers.\n\n    Returns:\n        The sum of a\n        and b, or none if';
    assert.equal((await explain(new ScriptedEngine(returns), { maxNewTokens: Buffer.byteLength(returns) - 2 })).text, 'Adds two numbers.\n\n    Returns:');
  });

  it('counts a # comment line in a docstring\'s code example as the example\'s, not as a comment marker', async () => {
    // The model ends after the example: its comment line ended the example, and the end was refused, then cut back to
    // `y = double(2)` as an unfinished sentence.
    const example = 'Doubles x.\n\n    Example:\n        y = double(2)\n        # y is four\n        z = y + 1';
    const ended = await explain(new PiecesEngine([example, ' more']));
    assert.deepEqual([ended.text, ended.runs], [example, 1]);
    // A comment first under `Example:` reads as code too, and a loop cut keeps the example's lines up to it.
    const first = 'Doubles x.\n\n    Example:\n        # five\n        y = double(2) + 1';
    assert.equal((await explain(new PiecesEngine([first, ' more']))).runs, 1);
    const looped = await explain(new ScriptedEngine(`${example}\n${'        z = y + 1\n'.repeat(3)}`));
    assert.deepEqual([looped.text, looped.stopReason], [example, 'stop']);
    for (const doctest of ['Doubles x.\n\n    >>> x = double(2)  # two\n    >>> x\n    4', 'Doubles x.\n\n    >>> x = double(2)\n    >>> # x is four\n    >>> x'])
      assert.equal((await explain(new PiecesEngine([doctest, ' more']))).runs, 1, doctest);
    // In a # comment, the marker starts every line: a comment in its example is the code's.
    const comment = 'Doubles x.\n    # Example:\n    #     y = double(2)\n    #     # y is four\n    #     z = y + 1';
    assert.equal((await explain(new PiecesEngine([comment, ' more']), { linesStartWith: '#' })).runs, 1);
  });

  it('closes a code fence that the text leaves open, on the fence\'s own indentation and comment marker', async () => {
    const loop = (head: string, line: string) => new ScriptedEngine(`${head}\n${`${line}\n`.repeat(4)}`);
    // A chat answer that loops inside its fence: the text after it in the tab (the next heading) read as code.
    const chat = await explain(loop('Doubles x:\n````python\ny = double(2)', 'z = y + 1'));
    assert.equal(chat.text, 'Doubles x:\n````python\ny = double(2)\nz = y + 1\n````');
    const docstring = await explain(loop('Doubles x.\n\n    ```python\n    y = double(2)', '    z = y + 1'));
    assert.equal(docstring.text, 'Doubles x.\n\n    ```python\n    y = double(2)\n    z = y + 1\n    ```');
    const comment = await explain(loop('Doubles x.\n    # ~~~\n    # y = double(2)', '    # z = y + 1'), { linesStartWith: '#' });
    assert.equal(comment.text, 'Doubles x.\n    # ~~~\n    # y = double(2)\n    # z = y + 1\n    # ~~~');
    // A limit, the model's own end and a cancel leave no fence open either; a closed one stays as it is.
    assert.equal((await explain(new ScriptedEngine('Doubles x.\n```\ndouble(2)\n'), { maxNewTokens: 25 })).text, 'Doubles x.\n```\ndouble(2)\n```');
    assert.equal((await explain(new ScriptedEngine(' Doubles x.\n * ```js\n * double(2)\n */'), { stopStrings: ['*/'], start: { requiredPrefix: ' ' } })).text, 'Doubles x.\n * ```js\n * double(2)\n * ```');
    const closed = 'Doubles x.\n```\ndouble(2)\n```\nThen adds one.';
    assert.equal((await explain(new ScriptedEngine(closed))).text, closed);
  });

  it('asks each run for the start constraints the text so far has not met, and shows nothing of the required prefix', async () => {
    const start = { requiredPrefix: ' ', forbiddenStarts: ['@'], nonBlank: true };
    const whole = new ScriptedEngine(' Returns the sum.');
    assert.equal((await explain(whole, { start })).text, 'Returns the sum.');
    assert.deepEqual(pick(whole.requests[0]!), start);
    // The run gives way right after the healed space: the next one must not write a tag, nor whitespace, nor end.
    const { engine, work } = completionAt(' Returns the sum.', 1);
    const result = await explain(engine, { start }, undefined, work);
    assert.equal(result.text, 'Returns the sum.');
    assert.equal(result.runs, 2);
    assert.deepEqual(pick(engine.requests[1]!), { requiredPrefix: undefined, forbiddenStarts: ['@', ' ', '\t', '\n', '\r'], nonBlank: true });
    // Once prose is written, a later run is free.
    const late = completionAt(' Returns the sum.', 6);
    await explain(late.engine, { start }, undefined, late.work);
    assert.deepEqual(pick(late.engine.requests[1]!), { requiredPrefix: undefined, forbiddenStarts: [], nonBlank: false });
  });

  it('ends a # comment at a line that is not one, and drops trailing whitespace', async () => {
    const code = await explain(new ScriptedEngine('hull of the points\n    # in order\n    return w.get(w)\n'), { linesStartWith: '#' });
    assert.equal(code.text, 'hull of the points\n    # in order');
    assert.equal(code.stopReason, 'stop');
    const dangling = await explain(new ScriptedEngine('the sum\n    '), { linesStartWith: '#' });
    assert.equal(dangling.text, 'the sum');
  });
});

describe('finishedEnd', () => {
  it('finds where the last finished sentence or line ends, a tag line counting whole', () => {
    const cases: [string, boolean, string][] = [
      ['Returns the sum. It then', false, 'Returns the sum.'],
      ['Uses np.mean and 3.5 as', true, ''],
      ['Returns the sum.', false, ''],
      ['Returns the sum.', true, 'Returns the sum.'],
      ['Returns the\n * sum of the values in\n * a list', true, ''],
      ['Returns the\n * sum: a\n * list', true, ''],
      ['Args:\n    a: An integer.\n    b: An', true, 'Args:\n    a: An integer.'],
      ['Adds.\n * @param a\n * @returns the', true, 'Adds.\n * @param a'],
      ['Adds.\n * @param a', false, 'Adds.'],
      ['Adds.\n * @param a', true, 'Adds.'],
      ['Adds.\n:param a: the\n    first', true, 'Adds.\n:param a: the'],
      ['Example:\n    >>> f(1)\n    2', true, 'Example:\n    >>> f(1)'],
      // A code example's line is finished once a line follows it: a doctest's, a fenced one's, one indented under a `:` line.
      ['Example:\n    >>> f(1)\n    2\n', true, 'Example:\n    >>> f(1)\n    2'],
      ['Example:\n    >>> f(1)\n    2\n', false, 'Example:\n    >>> f(1)\n    2'],
      ['Uses it:\n```js\nconst y = f(x)\nlet z\n', true, 'Uses it:\n```js\nconst y = f(x)\nlet z'],
      ['Adds.\n * Example:\n *     let s = add(1, 2)\n *     s\n * then', true, 'Adds.\n * Example:\n *     let s = add(1, 2)\n *     s'],
      ['Adds.\n * @example\n * let s = add(1, 2)\n * s\n * @returns the', true, 'Adds.\n * @example\n * let s = add(1, 2)\n * s'],
      // A docstring's `#` line is a comment in its example's code, indented as the code is.
      ['Adds.\n\n    Example:\n        s = add(1, 2)\n        # s is 3\n        t = s\n', true, 'Adds.\n\n    Example:\n        s = add(1, 2)\n        # s is 3\n        t = s'],
      // Prose is not: a section of fields, or lines wrapped below a `:` line at its own indentation.
      ['Adds.\n\n    Args:\n        a: the first\n            of two\n', true, 'Adds.\n\n    Args:'],
      ['Adds.\n * Returns:\n * the sum of\n * the values\n', true, 'Adds.\n * Returns:'],
      ['Is it? Yes!  And', true, 'Is it? Yes!'],
    ];
    for (const [text, final, kept] of cases) assert.equal(text.slice(0, finishedEnd(text, final)), kept, text);
  });
});

describe('ExplanationLines', () => {
  it('holds back a line while it may still be a loop or leave the comment, and shows it once it cannot', () => {
    const lines = new ExplanationLines();
    // Two copies may start a loop (of lines or of a phrase): held while the third matches.
    assert.equal(lines.push('x = compute(1)\nx = compute(1)\n'), '');
    assert.equal(lines.push('x = comp'), '');
    assert.equal(lines.push('ute(2)') + lines.flush(false), 'x = compute(1)\nx = compute(1)\nx = compute(2)');
    // A sentence that starts as the last one did, in any case, may become its second copy: held while it does.
    const sentences = new ExplanationLines();
    assert.equal(sentences.push('Return the mean. RETURN THE'), 'Return the mean.');
    // An unfinished sentence is held too, for a limit may still cut it.
    assert.equal(sentences.push(' MEDIAN'), '');
    assert.equal(sentences.push('. It'), ' RETURN THE MEDIAN.');
    assert.equal(sentences.flush(false), ' It', 'shown where the model ended it');
    const comment = new ExplanationLines('#');
    assert.equal(comment.push('First.\n   '), 'First.');
    assert.equal(comment.push(' # sec'), '');
    assert.equal(comment.push('ond\nx = 1'), '\n    # second', 'the comment ended: its last line is shown');
    assert.equal(comment.ended, true);
    assert.equal(comment.push('more'), '');
  });
});
