import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError, forTheCommandLine, languageIdOf, offsetOf, parseArgs, refusalForTheCommandLine } from '../../cli/args';

describe('cli arguments', () => {
  it('prints usage without arguments, and for help in place of the command or an option', () => {
    assert.deepEqual(parseArgs([]), { kind: 'usage' });
    assert.deepEqual(parseArgs(['-h']), { kind: 'usage' });
    assert.deepEqual(parseArgs(['complete', '--help']), { kind: 'usage' });
    assert.deepEqual(parseArgs(['complete', 'a.ts:1:1', '--max-tokens', '8', '-h']), { kind: 'usage' });
    assert.deepEqual(parseArgs(['complete', 'src/a.ts', '--help']), { kind: 'usage' }, 'before the position is checked');
    assert.deepEqual(parseArgs(['complete', '--model', 'dir', '--help']), { kind: 'usage' });
    // A value is not an option: a model folder may be called -h.
    assert.deepEqual(parseArgs(['complete', 'a.ts:1:1', '--model', '-h']), { kind: 'complete', file: 'a.ts', line: 1, column: 1, modelDir: '-h' });
  });

  it('parses file:line:col from the right, with options', () => {
    assert.deepEqual(parseArgs(['complete', 'C:/src/a.ts:3:7', '--model', 'models/x', '--max-tokens', '16']), {
      kind: 'complete',
      file: 'C:/src/a.ts',
      line: 3,
      column: 7,
      modelDir: 'models/x',
      maxTokens: 16,
    });
  });

  it('refuses line numbers no file could have, as typed, not as 1e+23', () => {
    assert.throws(() => parseArgs(['explain', 'a.py:1-99999999999999999999999']), (error: unknown) => error instanceof UsageError && error.message === "'a.py:1-99999999999999999999999': 99999999999999999999999 is past any line or column a file has");
    assert.throws(() => parseArgs(['complete', 'a.py:99999999999999999999:1']), UsageError);
  });

  it('rejects bad positions and options with one clear line', () => {
    assert.throws(() => parseArgs(['complete', 'a.ts']), (e: unknown) => e instanceof UsageError && /<file>:<line>:<col>/.test(e.message));
    assert.throws(() => parseArgs(['complete', 'a.ts:0:1']), /1-based/);
    assert.throws(() => parseArgs(['complete', 'a.ts:1:1', '--max-tokens', 'many']), /--max-tokens/);
    assert.throws(() => parseArgs(['complete', 'a.ts:1:1', '--model']), /--model needs a directory/);
    assert.throws(() => parseArgs(['explain-all', 'a.ts:1:1']), /unknown command 'explain-all'; the commands are complete, explain and compress/);
  });

  it('parses explain with one line or a range of whole lines', () => {
    assert.deepEqual(parseArgs(['explain', 'src/a.ts:4']), { kind: 'explain', file: 'src/a.ts', startLine: 4, endLine: 4 });
    assert.deepEqual(parseArgs(['explain', 'C:/src/a.ts:4-12', '--model', 'm']), { kind: 'explain', file: 'C:/src/a.ts', startLine: 4, endLine: 12, modelDir: 'm' });
    assert.deepEqual(parseArgs(['explain', 'a.ts:3-3']), { kind: 'explain', file: 'a.ts', startLine: 3, endLine: 3 });
    assert.deepEqual(parseArgs(['explain', 'a.ts:3', '--help']), { kind: 'usage' });
  });

  it('refuses explain targets that are not whole lines, and options it does not take', () => {
    assert.throws(() => parseArgs(['explain']), (e: unknown) => e instanceof UsageError && /explain needs a line range: <file>:<line>\[-<line>\]/.test(e.message));
    assert.throws(() => parseArgs(['explain', 'a.ts']), /'a.ts' is not <file>:<line> or <file>:<line>-<line>/);
    // Not line 5 of a file called `a.ts:3`.
    assert.throws(() => parseArgs(['explain', 'a.ts:3:5']), /names a column; explain takes whole lines/);
    assert.throws(() => parseArgs(['explain', 'a.ts:0']), /lines are 1-based; got 0/);
    assert.throws(() => parseArgs(['explain', 'a.ts:5-3']), /the lines 5-3 end before they start/);
    assert.throws(() => parseArgs(['explain', 'a.ts:5', '--max-tokens', '8']), /explain takes no --max-tokens \(its options: --model\)/);
    assert.throws(() => parseArgs(['explain', 'a.ts:5', '--budget', '64']), /explain takes no --budget/);
  });

  it('parses compress with a position and a budget', () => {
    assert.deepEqual(parseArgs(['compress', 'a.py:9:5']), { kind: 'compress', file: 'a.py', line: 9, column: 5 });
    assert.deepEqual(parseArgs(['compress', 'a.py:9:5', '--budget', '48', '--model', 'm']), { kind: 'compress', file: 'a.py', line: 9, column: 5, budget: 48, modelDir: 'm' });
    assert.throws(() => parseArgs(['compress', 'a.py:9:5', '--budget', '-h']), /--budget needs/, "an option's value is not a request for help");
    assert.deepEqual(parseArgs(['compress', '--budget', '64', '--help']), { kind: 'usage' });
  });

  it('refuses compress without a position, with a budget out of bounds, or with options it does not take', () => {
    assert.throws(() => parseArgs(['compress']), /compress needs a position: <file>:<line>:<col>/);
    assert.throws(() => parseArgs(['compress', 'a.py:9']), /'a.py:9' is not <file>:<line>:<col>/);
    for (const budget of ['31', '32769', '1e3', '']) assert.throws(() => parseArgs(['compress', 'a.py:9:5', '--budget', budget]), /--budget needs a number of tokens from 32 to 32768/, budget);
    assert.throws(() => parseArgs(['compress', 'a.py:9:5', '--budget']), /--budget needs/);
    assert.throws(() => parseArgs(['compress', 'a.py:9:5', '--max-tokens', '8']), /compress takes no --max-tokens \(its options: --model, --budget\)/);
    assert.throws(() => parseArgs(['complete', 'a.py:9:5', '--budget', '64']), /complete takes no --budget/);
    // The position is checked before the options.
    assert.throws(() => parseArgs(['compress', 'a.py', '--budget', '1']), /is not <file>:<line>:<col>/);
  });

  it('turns 1-based positions into offsets and refuses positions outside the file', () => {
    const text = 'ab\r\ncde\n';
    assert.equal(offsetOf(text, 1, 1), 0);
    assert.equal(offsetOf(text, 1, 3), 2);
    assert.equal(offsetOf(text, 2, 4), 7);
    assert.match(String(offsetOf(text, 2, 5)), /column 5 is past the end of line 2/);
    assert.match(String(offsetOf(text, 4, 1)), /line 4 is past the end/);
    // Lone CR ends lines too, as the editor and the server count them.
    assert.equal(offsetOf('def f(x):\r    return \r', 2, 12), 21);
    assert.match(String(offsetOf('a\rb', 3, 1)), /^line 3 is past the end of the file \(2 lines\)$/);
    assert.match(String(offsetOf('ab\n', 1, 4)), /\(2 characters\)$/);
  });

  it('guesses the language id from the extension', () => {
    assert.equal(languageIdOf('x/y.py'), 'python');
    assert.equal(languageIdOf('y.TS'), 'typescript');
    assert.equal(languageIdOf('Makefile'), 'plaintext');
    assert.equal(languageIdOf('a.mts'), 'typescript');
    assert.equal(languageIdOf('stubs.pyi'), 'python');
  });

  it("words a model error's fix for the command line: --model, and no Output channel", () => {
    assert.equal(
      forTheCommandLine('Use a model folder in the Hugging Face / Optimum ONNX layout that this onnxruntime supports (the Output channel says what it refused), or set locus.model.path to another one.'),
      'Use a model folder in the Hugging Face / Optimum ONNX layout that this onnxruntime supports, or point --model at another one.',
    );
    assert.equal(forTheCommandLine('Check the Output channel for details; reloading the model usually recovers.'), 'Reloading the model usually recovers.');
    assert.equal(forTheCommandLine('Reload the window to restart the inference worker; check the Output channel for the cause.'), 'Run the command again.');
    assert.equal(forTheCommandLine('See the Locus Output channel for details; restart the server after fixing the model settings.'), 'Run the command again after fixing the model.');
    assert.equal(forTheCommandLine('Reinstall the Locus extension: its embedded model is missing or damaged.'), 'Reinstall Locus: its embedded model is missing or damaged.');
    assert.equal(
      refusalForTheCommandLine('Request locus/explain failed with message: Locus explains no binary files (this one holds NUL characters): select code in a text file.'),
      'Locus explains no binary files (this one holds NUL characters): name lines of a text file.',
    );
    const plain = 'Download the model again (if it came from git, run `git lfs pull` so the real files replace the pointers).';
    assert.equal(forTheCommandLine(plain), plain, 'a fix with no editor wording is left as it is');
  });
});
