import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAX_EXPLAINED_DECLARATIONS, declarationHeading, selectionDeclarations, unexplainedNote } from '../../lsp-server/context/selectionDeclarations';
import { buildExplainPrompt, chatTemplateOf, encodeExplainPrompt, noCommentReason } from '../../lsp-server/context/explainPrompt';
import { enclosingHeaders } from '../../lsp-server/context/enclosingHeaders';
import { firstDeclaration } from '../../lsp-server/context/firstDeclaration';
import { jsDocSubject } from '../../lsp-server/context/jsDocSubject';
import { TextTokenizer } from '../../runtime/tokenizer';
import { ROOT } from './runtimeFixtures';
import { renderCompressReport } from '../../lsp-server/context/compressReport';

const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';
const hasPython = spawnSync(PYTHON, ['-c', 'import ast'], { stdio: 'ignore' }).status === 0;

/** A one-line `def` or `class` selected (the text before, the selection, the text after) and its docstring's place. */
const oneLineDefs: [string, string, string, string][] = [
  ['', 'def f(x): return x * 2\n', '', 'def f(x):\n    """Doubles x.\n    """\n    return x * 2\n'],
  ['class A:\n', '    async def f(self, x): await x; return x * 2  # twice\n', '', 'class A:\n    async def f(self, x):\n        """Doubles x.\n        """\n        await x; return x * 2  # twice\n'],
  ['', 'class A: pass', '', 'class A:\n    """Doubles x.\n    """\n    pass'],
  ['', '@cache\ndef f(\n    x: dict[str, int] = {"a": 1},\n) -> "a: b": return x', '  # x\n', '@cache\ndef f(\n    x: dict[str, int] = {"a": 1},\n) -> "a: b":\n    """Doubles x.\n    """\n    return x  # x\n'],
  // The selection ends inside the header: its line's body, below the selection, goes below the docstring.
  ['', 'def f(x', '): return x * 2\ny = 1\n', 'def f(x):\n    """Doubles x.\n    """\n    return x * 2\n'],
];

const CHATML = "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";

describe('explain prompt', () => {
  it('renders the chat template from tokenizer_config.json, its turns as markup and the messages as text', () => {
    const prompt = buildExplainPrompt(
      { languageId: 'typescript', path: 'src/a.ts', before: '', selection: 'const x = 1;', after: '' },
      { chat_template: CHATML, eos_token: '<|im_end|>' },
    );
    assert.equal(prompt.mode, 'chat');
    if (prompt.mode !== 'chat') return;
    const text = prompt.parts.map((p) => p.text).join('');
    assert.ok(text.startsWith('<|im_start|>system\n'));
    assert.ok(text.includes('```typescript\nconst x = 1;\n```'));
    assert.ok(text.endsWith('<|im_start|>assistant\n'));
    assert.ok(prompt.parts.filter((p) => p.markup).every((p) => !p.text.includes('const x')), 'the code is never markup');
    assert.ok(prompt.parts.filter((p) => !p.markup).every((p) => !p.text.includes('<|im_start|>')), 'the turns are never message text');
    assert.deepEqual(prompt.parts.filter((p) => p.selection).map((p) => p.text), ['const x = 1;']);
    assert.deepEqual(prompt.stopStrings, ['<|im_end|>']);
    assert.equal(chatTemplateOf({ chat_template: [{ name: 'tool_use', template: 'x' }, { name: 'default', template: 'y' }] }), 'y');
  });

  it('puts the system text in the user turn for a template that refuses a system turn', () => {
    const refusing = "{% if messages[0].role == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}{% for m in messages %}<start_of_turn>{{ m.role }}\n{{ m.content }}<end_of_turn>\n{% endfor %}<start_of_turn>model\n";
    const prompt = buildExplainPrompt({ languageId: 'python', path: undefined, before: '', selection: 'x = 1', after: '' }, { chat_template: refusing });
    if (prompt.mode !== 'chat') return assert.fail('expected a chat prompt');
    const text = prompt.parts.map((p) => p.text).join('');
    assert.match(text, /^<start_of_turn>user\nYou are a concise code assistant\. .*\n\nExplain what this python code does/s);
  });

  it('encodes the turns as control tokens and code that spells one as text, and cuts the selection, not the question, to fit', () => {
    const tokenizer = TextTokenizer.fromDirectory(join(ROOT, 'models', 'default'));
    const template = "{% for m in messages %}<|file_sep|>{{ m.role }}\n{{ m.content }}<|endoftext|>{% endfor %}<|file_sep|>assistant\n";
    const separator = tokenizer.specialTokenId('<|file_sep|>')!;
    const end = tokenizer.specialTokenId('<|endoftext|>')!;
    const selection = 'marker = "<|endoftext|><|file_sep|>"\n' + Array.from({ length: 200 }, (_, i) => `value_${i} = compute(${i})\n`).join('');
    const prompt = buildExplainPrompt({ languageId: 'python', path: 'a.py', before: '', selection, after: '' }, { chat_template: template });
    const whole = encodeExplainPrompt(prompt, tokenizer, null, 100_000);
    assert.equal(whole.filter((id) => id === separator).length, 3, 'the three turns, not the spelling in the code');
    assert.equal(whole.filter((id) => id === end).length, 2);
    const cut = encodeExplainPrompt(prompt, tokenizer, null, 300);
    assert.ok(cut.length <= 300);
    const text = tokenizer.decode(cut);
    assert.ok(text.startsWith('<|file_sep|>system\nYou are a concise code assistant.'), text.slice(0, 80));
    assert.ok(text.includes('Explain what this python code from a.py does'));
    assert.ok(text.includes('value_3 = compute(3)\n') && !text.includes('value_199'), 'the selection keeps its first lines');
    assert.ok(text.endsWith('\n```<|endoftext|><|file_sep|>assistant'), 'Jinja drops the last line break of the template');
  });

  it('encodes a chat in one piece where no message spells a special token: a SentencePiece tokenizer adds no spaces', () => {
    // A tokenizer that puts a space before each text it encodes (Llama 2, Mistral v1), with a template that folds the
    // system turn into the user's.
    const dir = join(ROOT, 'test', 'fixtures', 'prepend-space-tokenizer');
    const tokenizer = TextTokenizer.fromDirectory(dir);
    const config = JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
    const prompt = buildExplainPrompt({ languageId: 'python', path: undefined, before: '', selection: 'x = 1', after: '' }, config);
    if (prompt.mode !== 'chat') return assert.fail('expected a chat prompt');
    const ids = encodeExplainPrompt(prompt, tokenizer, null, 100_000);
    assert.deepEqual(ids, tokenizer.encodeMarkup(prompt.parts.map((p) => p.text).join('')));
    assert.match(tokenizer.decode(ids), /```python\nx = 1\n```/, 'the code keeps its indentation');
  });

  it('gives the selection of a doc-comment prompt most of the room, the code above it the rest', () => {
    const tokenizer = TextTokenizer.fromDirectory(join(ROOT, 'models', 'default'));
    const fim = { prefix: tokenizer.specialTokenId('<|fim_prefix|>')!, suffix: tokenizer.specialTokenId('<|fim_suffix|>')!, middle: tokenizer.specialTokenId('<|fim_middle|>')! };
    // A language with no prompt of its own keeps the code above.
    const above = Array.from({ length: 120 }, (_, i) => `above_${i} = ${i}\n`).join('');
    const selection = 'func long() {\n' + Array.from({ length: 44 }, (_, i) => `    step_${i}()\n`).join('') + '}\n';
    const prompt = buildExplainPrompt({ languageId: 'go', path: undefined, before: above, selection, after: '' }, undefined);
    const text = tokenizer.decode(encodeExplainPrompt(prompt, tokenizer, fim, 400));
    assert.ok(text.includes('step_43()'), 'the whole selection');
    assert.ok(text.includes('above_119 = 119'), 'and the code right above it');
  });

  it('falls back to a doc comment above the selection when there is no template', () => {
    const ts = buildExplainPrompt({ languageId: 'java', path: undefined, before: 'int a;\n  ', selection: 'void f() {}', after: '\nint b;\n' }, {});
    assert.equal(ts.mode, 'docComment');
    if (ts.mode !== 'docComment') return;
    assert.equal(ts.prefix, 'int a;\n  /**\n   *', 'the space after the marker is left to the model, which writes it with the first word');
    assert.equal(ts.suffix, '\n   */\n  void f() {}\nint b;\n');
    assert.deepEqual(ts.stopStrings, ['*/']);
    assert.deepEqual(ts.start, { requiredPrefix: ' ', nonBlank: true, forbiddenStarts: ['@', '*/'] }, 'prose first: no JSDoc tag, no empty comment');
    assert.equal(ts.opener + 'Adds.' + ts.closer, '  /**\n   * Adds.\n   */', 'shown at the selection\'s indentation, closed');

    const py = buildExplainPrompt({ languageId: 'python', path: undefined, before: '', selection: 'def f(x):\n    return x\n', after: '' }, undefined);
    if (py.mode !== 'docComment') return assert.fail('expected a doc comment');
    assert.equal(py.prefix, 'def f(x):\n    """');
    assert.ok(py.suffix.startsWith('\n    """\n    return x'));
    assert.deepEqual(py.start, { nonBlank: true, forbiddenStarts: ['@', '\n    @'] }, 'prose first: no bare tag such as `@deprecated`');
  });

  it('splits a selection into its declarations, each with the code above it as its before, statements between left out', () => {
    const selection = 'def mean(values):\n    return sum(values) / len(values)\n\n\nLIMIT = 3\n\n@cache\ndef stdev(values):\n    return 0\n';
    const { parts, unexplained, assignments } = selectionDeclarations({ languageId: 'python', path: undefined, before: 'import math\n\n', selection, after: 'print(1)\n' });
    assert.deepEqual([unexplained, assignments], [0, ['LIMIT']]);
    assert.deepEqual(parts.map((p) => p.selection), ['def mean(values):\n    return sum(values) / len(values)\n', '@cache\ndef stdev(values):\n    return 0\n']);
    for (const part of parts) assert.equal(part.before + part.selection + part.after, `import math\n\n${selection}print(1)\n`, 'each part is the same file');
    assert.deepEqual(parts.map(declarationHeading), ['## `def mean(values):`', '## `def stdev(values):`']);

    const ts = 'export interface Point { x: number }\n\nexport function area(p: Point[]): number {\n  return 0;\n}\nexport class Stack<T> {\n  push(x: T) {}\n}\n';
    assert.deepEqual(selectionDeclarations({ languageId: 'typescript', path: undefined, before: '', selection: ts, after: '' }).parts.map(declarationHeading), ['## `export interface Point { x: number }`', '## `export function area(p: Point[]): number {`', '## `export class Stack<T> {`']);
    // A heading holds backticks of its line in a longer fence, and a selection from mid-line the line's start.
    assert.equal(declarationHeading({ languageId: 'javascript', path: undefined, before: '', selection: 'const a = () => `x`;\n', after: '' }), '## ``const a = () => `x`;``');
    assert.equal(declarationHeading({ languageId: 'python', path: undefined, before: 'class A:\n    def ', selection: 'a(x):\n        return x\n', after: '' }), '## `def a(x):`');
    // The split reads each declaration's own text: a whole file of 520 KB took 20 s when it read the rest at each.
    const file = Array.from({ length: 8000 }, (_, i) => `export function f${i}(x: number): number {\n  return x + ${i};\n}\n\n`).join('');
    const started = performance.now();
    const split = selectionDeclarations({ languageId: 'typescript', path: undefined, before: '', selection: file, after: '' });
    assert.deepEqual([split.parts.length, split.unexplained], [MAX_EXPLAINED_DECLARATIONS, 8000 - MAX_EXPLAINED_DECLARATIONS]);
    assert.ok(performance.now() - started < 5000, `linear: ${Math.round(performance.now() - started)} ms`);
    // A declaration longer than the window it is first read in (a class of 3,000 methods) is still one.
    const big = `export class Big {\n${Array.from({ length: 3000 }, (_, i) => `  m${i}(x: number): number {\n    return x * ${i};\n  }\n`).join('')}}\nexport function after(): void {}\n`;
    const bigParts = selectionDeclarations({ languageId: 'typescript', path: undefined, before: '', selection: big, after: '' }).parts;
    assert.deepEqual(bigParts.map((p) => p.selection.length), [big.indexOf('export function after'), 'export function after(): void {}\n'.length]);
    const many = Array.from({ length: MAX_EXPLAINED_DECLARATIONS + 2 }, (_, i) => `def f${i}():\n    return ${i}\n`).join('\n');
    const capped = selectionDeclarations({ languageId: 'python', path: undefined, before: '', selection: many, after: '' });
    assert.deepEqual([capped.parts.length, capped.unexplained], [MAX_EXPLAINED_DECLARATIONS, 2]);
    // One declaration, statements first, or a language without a declaration rule: the selection whole, as it was.
    for (const [languageId, selection] of [['python', 'def f():\n    return 1\n'], ['typescript', 'x = 1;\nfunction f() {}\n'], ['go', 'func a() {}\n\nfunc b() {}\n']]) {
      const input = { languageId, path: undefined, before: '', selection, after: '' };
      assert.deepEqual(selectionDeclarations(input), { parts: [input], unexplained: 0, assignments: [] }, selection);
    }
  });

  it('names the assignments between and after a Python selection\'s declarations in the note of what it leaves unexplained', () => {
    const selection = [
      'def fetch(url):\n    return get(url, timeout=TIMEOUT)\n',
      'TIMEOUT = 30\n# The module\'s own.\nlogger: logging.Logger = logging.getLogger(\n    __name__,\n)\nregistry["a"] = 1\nsetup(debug=True)\nCOUNT += 1\nif DEBUG: LEVEL = 1\nelse: LEVEL = 2\n',
      'class Client:\n    retries = 3\n',
      'RETRIES = 3\n',
    ].join('\n');
    const split = selectionDeclarations({ languageId: 'python', path: undefined, before: '', selection, after: '' });
    assert.deepEqual(split.parts.map(declarationHeading), ['## `def fetch(url):`', '## `class Client:`'], 'an assignment is no part: its doc comment would take the place of a function\'s');
    // Only a name assigned: not an item, a call, an augmented assignment or an `if` statement's branch; a class's own stay in it.
    assert.deepEqual(split.assignments, ['TIMEOUT', 'logger', 'RETRIES']);
    assert.equal(unexplainedNote(split), '_The assignments to `TIMEOUT`, `logger` and `RETRIES` of the selection not explained: select one to explain it._');
    // One declaration and an assignment: the declaration's doc comment alone, and the note.
    const one = selectionDeclarations({ languageId: 'python', path: undefined, before: '', selection: 'def f():\n    return 1\n\nLIMIT = 3\n', after: '' });
    assert.deepEqual([one.parts.length, unexplainedNote(one)], [1, '_The assignment to `LIMIT` of the selection not explained: select it to explain it._']);
    // Statements first are explained whole, as JavaScript's assignments are statements.
    assert.deepEqual(selectionDeclarations({ languageId: 'python', path: undefined, before: '', selection: 'LIMIT = 3\n\ndef f():\n    return 1\n', after: '' }).assignments, []);
    assert.deepEqual(selectionDeclarations({ languageId: 'javascript', path: undefined, before: '', selection: 'function f() {}\nx = 1;\nfunction g() {}\n', after: '' }).assignments, []);
    const names = (count: number) => Array.from({ length: count }, (_, i) => `N${i}`);
    assert.equal(unexplainedNote({ parts: [], unexplained: 2, assignments: names(7) }), '_2 more declarations and the assignments to `N0`, `N1`, `N2`, `N3` and 3 more of the selection not explained: select one to explain it._');
    assert.equal(unexplainedNote({ parts: [], unexplained: 1, assignments: [] }), '_1 more declaration of the selection not explained: select it to explain it._');
    assert.equal(unexplainedNote({ parts: [], unexplained: 0, assignments: [] }), undefined);
  });

  it('leaves the line after a selection that ends with its line break out of a doc-comment prompt', () => {
    const py = buildExplainPrompt({ languageId: 'python', path: undefined, before: '', selection: 'def f(x):\n    return x\n', after: 'print(f(1))\n' }, undefined);
    if (py.mode !== 'docComment') return assert.fail('expected a doc comment');
    assert.equal(py.suffix, '\n    """\n    return x\n', 'the call below is not the function\'s');
    const ts = buildExplainPrompt({ languageId: 'typescript', path: undefined, before: '', selection: 'function f(x: number) {\n  return x;\n}\n', after: 'console.log(f(1));\n' }, undefined);
    if (ts.mode !== 'docComment') return assert.fail('expected a doc comment');
    assert.equal(ts.suffix, '\n */\nfunction f(x: number) {\n  return x;\n}\n');
    const partLine = buildExplainPrompt({ languageId: 'typescript', path: undefined, before: '', selection: 'const a = 1', after: '; // one\nconst b = 2;\n' }, undefined);
    if (partLine.mode !== 'docComment') return assert.fail('expected a doc comment');
    assert.equal(partLine.suffix, '\n */\nconst a = 1; // one\n', 'a selection that ends mid-line keeps the rest of its line');
  });

  it('writes Go and Rust explanations as their line doc comments, and refuses prose and data, which have no comments', () => {
    for (const [languageId, marker] of [['go', '//'], ['rust', '///']] as const) {
      const prompt = buildExplainPrompt({ languageId, path: undefined, before: 'package a\n\n', selection: 'fn f() {}\n', after: '' }, undefined);
      if (prompt.mode !== 'docComment') return assert.fail('expected a doc comment');
      assert.deepEqual([prompt.prefix, prompt.opener, prompt.linesStartWith], [`package a\n\n${marker}`, `${marker} `, marker], languageId);
    }
    for (const languageId of ['markdown', 'json', 'plaintext']) assert.match(noCommentReason(languageId) ?? '', /has none: select code, or set locus\.model\.path to a chat model/, languageId);
    for (const languageId of ['python', 'go', 'java', 'typescript']) assert.equal(noCommentReason(languageId), undefined, languageId);
  });

  it('asks for a Python docstring on the selection alone, under its decorators, keeping the docstring it has', () => {
    const before = 'import math\n\n\ndef mean(values):\n    """Return the mean."""\n    return 0\n\n\nclass Cache:\n    x = 1\n\n';
    const after = '\n\n    def stdev(self):\n        """Return the sample standard deviation."""\n        return 1\n';
    const decorated = buildExplainPrompt({ languageId: 'python', path: undefined, before, selection: '    @property\n    def size(self):\n        return len(self._items)', after }, undefined);
    if (decorated.mode !== 'docComment') return assert.fail('expected a doc comment');
    // The neighbours' docstrings were what the model wrote: `mean` got the `stdev` below it's.
    assert.equal(decorated.prefix, 'class Cache:\n    @property\n    def size(self):\n        """', 'the class header above, the docstring under the def line');
    assert.equal(decorated.suffix, '\n        """\n        return len(self._items)\n', 'nothing below the selection');
    assert.equal(decorated.opener + 'Counts.' + decorated.closer, '        """Counts.\n        """');

    const documented = buildExplainPrompt({ languageId: 'python', path: undefined, before: '', selection: 'def stdev(values):\n    r"""Return the\n    deviation."""\n    return 1\n', after: '' }, undefined);
    if (documented.mode !== 'docComment') return assert.fail('expected a doc comment');
    // Without the author's docstring the model wrote a wrong one; given it, it gives it back, which is right.
    assert.equal(documented.suffix, '\n    """\n    r"""Return the\n    deviation."""\n    return 1\n', 'its own docstring kept');

    const jsDoc = buildExplainPrompt({ languageId: 'typescript', path: undefined, before: '', selection: '/**\n * Returns the median.\n */\nexport function median(v: number[]): number {\n  return 0;\n}', after: '\n' }, undefined);
    if (jsDoc.mode !== 'docComment') return assert.fail('expected a doc comment');
    assert.equal(jsDoc.prefix, '/**\n * @function median\n *', 'named by the code under its JSDoc');
    assert.equal(jsDoc.suffix, '\n */\n/**\n * Returns the median.\n */\nexport function median(v: number[]): number {\n  return 0;\n}\n', 'its own JSDoc kept');
  });

  it('puts a Python docstring under the whole header of a def whose signature spans lines, at its body\'s indentation', () => {
    const docstring = (before: string, selection: string, after: string) => {
      const prompt = buildExplainPrompt({ languageId: 'python', path: undefined, before, selection, after }, undefined);
      if (prompt.mode !== 'docComment') return assert.fail('expected a doc comment');
      return prompt;
    };
    // Under the first line, the docstring was inside the parameter list.
    const clamp = docstring('', 'def clamp(\n    value: int,\n    low: int,\n) -> int:\n    return max(low, value)\n', '');
    assert.equal(clamp.prefix, 'def clamp(\n    value: int,\n    low: int,\n) -> int:\n    """');
    assert.equal(clamp.suffix, '\n    """\n    return max(low, value)\n');
    const method = docstring('class Cache:\n', '    def get(\n        self,\n        sep: str = "):",  # (\n    ):\n        return sep\n', '');
    assert.equal(method.prefix, 'class Cache:\n    def get(\n        self,\n        sep: str = "):",  # (\n    ):\n        """', 'brackets in strings and comments are text');
    assert.equal(method.opener + 'Gets.' + method.closer, '        """Gets.\n        """');
    const twoSpaces = docstring('', 'def f(a,\n      b):\n  return a\n', '');
    assert.equal(twoSpaces.prefix, 'def f(a,\n      b):\n  """', 'the body\'s own indentation');
    assert.equal(twoSpaces.suffix, '\n  """\n  return a\n');
    const continued = docstring('', 'def f(a, \\\n      b=1):\n    return a\n', '');
    assert.equal(continued.prefix, 'def f(a, \\\n      b=1):\n    """', 'a header continued with a backslash, whole');
    // A selection of the first line alone: the header ends below it, and nothing under it goes in.
    const firstLine = docstring('', 'def clamp(\n', '    value: int,\n) -> int:\n    return value\n');
    assert.equal(firstLine.prefix, 'def clamp(\n    value: int,\n) -> int:\n    """');
    assert.equal(firstLine.suffix, '\n    """\n');
    const unclosed = docstring('', 'def f(a,\n    return a\n', '');
    assert.equal(unclosed.prefix, 'def f(a,\n    """', 'a header that never closes is its first line');
  });

  it('documents the first declaration of a selection that holds several, without the others\' code or docstrings', () => {
    const selection = 'def area(w, h):\n    return w * h\n\n\ndef perimeter(w, h):\n    """Return the perimeter."""\n    return 2 * (w + h)\n';
    const py = buildExplainPrompt({ languageId: 'python', path: undefined, before: '', selection, after: '\n\ndef other():\n    pass\n' }, undefined);
    if (py.mode !== 'docComment') return assert.fail('expected a doc comment');
    // `area` was given `perimeter`'s docstring, copied from the selection.
    assert.equal(py.prefix, 'def area(w, h):\n    """');
    assert.equal(py.suffix, '\n    """\n    return w * h\n');
    const decorated = buildExplainPrompt({ languageId: 'python', path: undefined, before: '', selection: 'class Cache:\n    def get(self):\n        """Get."""\n\n@dataclass\nclass Other:\n    pass\n', after: '' }, undefined);
    if (decorated.mode !== 'docComment') return assert.fail('expected a doc comment');
    assert.equal(decorated.suffix, '\n    """\n    def get(self):\n        """Get."""\n', 'a class keeps its methods; the next decorator starts a declaration');

    const ts = buildExplainPrompt({ languageId: 'typescript', path: undefined, before: '', selection: 'export function area(w: number, h: number): number {\n  return w * h;\n}\n\n/**\n * Returns the perimeter.\n */\nexport function perimeter(w: number, h: number): number {\n  return 2 * (w + h);\n}', after: ' // end\n' }, undefined);
    if (ts.mode !== 'docComment') return assert.fail('expected a doc comment');
    assert.equal(ts.prefix, '/**\n * @function area\n *');
    assert.equal(ts.suffix, '\n */\nexport function area(w: number, h: number): number {\n  return w * h;\n}\n');
    const statements = buildExplainPrompt({ languageId: 'javascript', path: undefined, before: '', selection: 'if (a) {\n  b();\n}\nc();\n', after: '' }, undefined);
    if (statements.mode !== 'docComment') return assert.fail('expected a doc comment');
    assert.equal(statements.suffix, '\n */\nif (a) {\n  b();\n}\nc();\n', 'statements are explained together');
  });

  it('finds where the first declaration of some code ends, by indentation outside brackets, strings and comments', () => {
    const cases: [string, string, string][] = [
      ['const a = 1;\nconst b = 2;\n', '//', 'const a = 1;\n'],
      ['/**\n * The limit.\n */\nexport const LIMIT = {\n  max: 3,\n};\n// next\nexport const b = 2;\n', '//', '/**\n * The limit.\n */\nexport const LIMIT = {\n  max: 3,\n};\n'],
      ['@Input()\nwidth = 1;\n', '//', '@Input()\nwidth = 1;\n'],
      ["@Component({\n  selector: 'x',\n})\nexport class A {}\nexport class B {}\n", '//', "@Component({\n  selector: 'x',\n})\nexport class A {}\n"],
      ['fetch(url)\n.then((r) => r.json());\nrun();\n', '//', 'fetch(url)\n.then((r) => r.json());\n'],
      ['const t = `a\nb`;\nlet c;\n', '//', 'const t = `a\nb`;\n'],
      ['def f():\n    """Doc\nat column 0."""\n    return 1\n\n\n# helpers\ndef g():\n    pass\n', '#', 'def f():\n    """Doc\nat column 0."""\n    return 1\n'],
      ['    def a(self):\n        pass\n    def b(self):\n        pass\n', '#', '    def a(self):\n        pass\n'],
      ['x = 1 + \\\n2\ny = 3\n', '#', 'x = 1 + \\\n2\n'],
      ['class A:\n    def a(self):\n        pass\n', '#', 'class A:\n    def a(self):\n        pass\n'],
    ];
    for (const [code, comment, first] of cases) assert.equal(firstDeclaration(code, comment), first, code);
  });

  it('takes a TypeScript overload set whole: its signatures and the implementation, of one name', () => {
    const parse = "export function parse(input: string): Value;\nexport function parse(input: Buffer, encoding: string): Value;\nexport function parse(input: string | Buffer, encoding = 'utf8'): Value {\n  return JSON.parse(String(input));\n}\n";
    const get = '  get(key: string): V;\n  get(key: number): V;\n  get(key: any) {\n    return this.map.get(key);\n  }\n';
    const decorated = '  parse(input: string): Node;\n  parse(input: number): Node;\n  @memoize\n  parse(input: string | number): Node {\n    return toNode(input);\n  }\n';
    const throttled = "  parse(input: string): Node; // by name\n  // cached\n  @Throttle({\n    ms: 5, // ')'\n  })\n  @log() @trace parse(input: unknown): Node {\n    return toNode(input);\n  }\n";
    const cases: [string, string][] = [
      // The set was cut to its first signature, which was all the model saw.
      [`${parse}\nexport function other(): void {}\n`, parse],
      [`${get}  set(key: string, value: V): void {}\n`, get],
      ['declare function f(x: string): void;\ndeclare function f(x: number): void;\ndeclare const g: number;\n', 'declare function f(x: string): void;\ndeclare function f(x: number): void;\n'],
      ['/** A string. */\nfunction f(\n  x: string,\n): void;\n/** A number. */\nfunction f(x: number): void;\nfunction f(x: unknown) {}\n// next\nfunction h() {}\n', '/** A string. */\nfunction f(\n  x: string,\n): void;\n/** A number. */\nfunction f(x: number): void;\nfunction f(x: unknown) {}\n'],
      ['function f(x: string): void;\nfunction g(x: number): void;\n', 'function f(x: string): void;\n'],
      ['function f(x: string) {}\nfunction f(x: number) {}\n', 'function f(x: string) {}\n'],
      ['var f = (x) => x;\nvar f = (y) => y;\n', 'var f = (x) => x;\n'],
      // A comment after a signature's `;` cut the set there.
      [`  get(key: string): V; // by name\n  get(key: number): V; /* by index */\n${get.slice(get.indexOf('  get(key: any)'))}  set(key: string, value: V): void {}\n`, `  get(key: string): V; // by name\n  get(key: number): V; /* by index */\n${get.slice(get.indexOf('  get(key: any)'))}`],
      ["on(url: 'http://a'): void;\non(url: string) {}\n", "on(url: 'http://a'): void;\non(url: string) {}\n"],
      ['function f(x: string): void {} // no signature\nfunction f(x: number) {}\n', 'function f(x: string): void {} // no signature\n'],
      // A decorator goes on the implementation, below the signatures: the set was cut at it.
      [`${decorated}  other(): void {}\n`, decorated],
      [`${throttled}  @memoize\n  other(): void {}\n`, throttled],
      ['  parse(a: string): Node;\n  @memoize\n  other() {}\n', '  parse(a: string): Node;\n'],
      ['  parse(a: string): Node;\n  parse(a: any) {}\n  @memoize\n  parse() {}\n', '  parse(a: string): Node;\n  parse(a: any) {}\n'],
    ];
    for (const [code, first] of cases) assert.equal(firstDeclaration(code, '//'), first, code);
    const prompt = buildExplainPrompt({ languageId: 'typescript', path: undefined, before: '', selection: parse, after: '' }, undefined);
    if (prompt.mode !== 'docComment') return assert.fail('expected a doc comment');
    assert.equal(prompt.suffix, `\n */\n${parse}`, 'the whole set under the comment');
    const method = buildExplainPrompt({ languageId: 'typescript', path: undefined, before: 'class Parser {\n', selection: `${decorated}  other(): void {}\n`, after: '}\n' }, undefined);
    if (method.mode !== 'docComment') return assert.fail('expected a doc comment');
    assert.equal(method.suffix, `\n   */\n${decorated}`, 'a decorated implementation with its signatures');
  });

  it('takes a Python overload set whole: its @overload stubs and the implementation, its docstring under the implementation', () => {
    const stubs = '@overload\ndef f(x: int) -> int: ...\n@overload\ndef f(x: str) -> str: ...\n';
    const method = '    @typing.overload\n    async def get(self, key: int) -> V:\n        ...\n\n    # by name\n    @typing.overload\n    async def get(self, key: str) -> V: ...  # str\n    @cache\n    async def get(self, key):\n        return self.map[key]\n';
    const cases: [string, string][] = [
      // The set was cut to its first stub, which was all the model saw.
      [`${stubs}def f(x): return x\ndef g(): pass\n`, `${stubs}def f(x): return x\n`],
      [`${method}    def put(self, key, value):\n        pass\n`, method],
      [`${stubs}class A:\n    pass\n`, stubs],
      ['@overload\ndef f(x: int) -> int: ...\ndef g(x): return x\n', '@overload\ndef f(x: int) -> int: ...\n'],
      ['@overload\ndef f(x: int) -> int: ...\ndef f(x): return x\ndef f(x): return -x\n', '@overload\ndef f(x: int) -> int: ...\ndef f(x): return x\n'],
      ['@property\ndef x(self): return 1\n@x.setter\ndef x(self, v): pass\n', '@property\ndef x(self): return 1\n'],
    ];
    for (const [code, first] of cases) assert.equal(firstDeclaration(code, '#'), first, code);
    const docstring = (selection: string, before = '') => {
      const prompt = buildExplainPrompt({ languageId: 'python', path: undefined, before, selection, after: '' }, undefined);
      if (prompt.mode !== 'docComment') return assert.fail('expected a doc comment');
      return prompt;
    };
    // Under the first stub, the docstring was the body of a def whose body is its `...`; Python reads the implementation's.
    const set = docstring(`${stubs}def f(x):\n    return x\n\n\ndef other():\n    pass\n`);
    assert.equal(set.prefix, `${stubs}def f(x):\n    """`);
    assert.equal(set.suffix, '\n    """\n    return x\n');
    const inClass = docstring(method, 'class Store:\n');
    assert.equal(inClass.prefix, `class Store:\n${method.slice(0, method.indexOf('        return'))}        """`, 'under the implementation\'s decorators and header');
    assert.equal(inClass.suffix, '\n        """\n        return self.map[key]\n');
  });

  it('moves a body written on a one-line def\'s or class\'s header below the docstring, its comment with it', () => {
    // Under the header's line, the docstring made invalid Python of the prompt and of the code it documents.
    for (const [before, selection, after, documented] of oneLineDefs) {
      const prompt = buildExplainPrompt({ languageId: 'python', path: undefined, before, selection, after }, undefined);
      if (prompt.mode !== 'docComment') return assert.fail(`expected a docstring for ${selection}`);
      assert.equal(prompt.prefix + 'Doubles x.' + prompt.suffix, documented, selection);
    }
  });

  it('writes valid Python where a one-line def or class gets a docstring', { skip: !hasPython && `${PYTHON} is not installed: the result is checked with Python's own parser (ast)` }, () => {
    for (const [before, selection, after] of oneLineDefs) {
      const prompt = buildExplainPrompt({ languageId: 'python', path: undefined, before, selection, after }, undefined);
      if (prompt.mode !== 'docComment') return assert.fail(`expected a docstring for ${selection}`);
      const code = prompt.prefix + 'Doubles x.' + prompt.suffix;
      const parsed = spawnSync(PYTHON, ['-c', 'import ast, sys; ast.parse(sys.stdin.read())'], { input: code, encoding: 'utf8' });
      assert.equal(parsed.status, 0, `${code}\n${parsed.stderr}`);
    }
  });

  it('keeps comment lines at or above a declaration\'s indentation in its body when body lines follow them', () => {
    const load = 'def load(path):\n    data = open(path).read()\n# TODO: handle encodings\n\n    return parse(data)\n';
    const cases: [string, string][] = [
      // Cut at the comment, the model never saw the return.
      [load, load],
      [`${load}# helpers\n\n\ndef other():\n    pass\n`, load],
      [`${load}# the end\n`, load],
      ['@cache\ndef outer():\n    def inner():\n        pass\n# note\n    return inner\n@cache\ndef g():\n    pass\n', '@cache\ndef outer():\n    def inner():\n        pass\n# note\n    return inner\n'],
      ['    def a(self):\n        x = 1\n# debug\n  # more\n        return x\n    # b next\n    def b(self):\n        pass\n', '    def a(self):\n        x = 1\n# debug\n  # more\n        return x\n'],
      ['def f():\n    x = 1\n# note\n    # indented\ndef g():\n    pass\n', 'def f():\n    x = 1\n'],
    ];
    for (const [code, first] of cases) assert.equal(firstDeclaration(code, '#'), first, code);
    const prompt = buildExplainPrompt({ languageId: 'python', path: undefined, before: '', selection: load, after: '' }, undefined);
    if (prompt.mode !== 'docComment') return assert.fail('expected a doc comment');
    assert.equal(prompt.suffix, '\n    """\n    data = open(path).read()\n# TODO: handle encodings\n\n    return parse(data)\n', 'the whole body under the docstring');
  });

  it('asks for a JSDoc comment on the selection alone: the headers of its blocks above it, its name in a tag line', () => {
    const before = "import { x } from './x';\n\nexport class Cart {\n  private items = [];\n\n  count(): number {\n    return 0;\n  }\n\n";
    const selection = '  total(rate: number): number {\n    return rate;\n  }';
    const prompt = buildExplainPrompt({ languageId: 'typescript', path: undefined, before, selection, after: '\n\n  clear(): void {}\n}\n' }, undefined);
    if (prompt.mode !== 'docComment') return assert.fail('expected a doc comment');
    // The code above and below was what the model described: a neighbour, not the selection.
    assert.equal(prompt.prefix, 'export class Cart {\n  /**\n   * @method total\n   *');
    assert.equal(prompt.suffix, '\n   */\n  total(rate: number): number {\n    return rate;\n  }\n');
    assert.deepEqual(prompt.start, { requiredPrefix: ' ', nonBlank: true, forbiddenStarts: ['@', '*/'] }, 'prose first under the tag line');
    assert.equal(prompt.opener + 'Adds.' + prompt.closer, '  /**\n   * Adds.\n   */', 'the tag line is not shown');

    const top = buildExplainPrompt({ languageId: 'javascript', path: undefined, before: 'function a() {}\n', selection: 'const b = (x) => x;', after: ' // b\nfunction c() {}\n' }, undefined);
    if (top.mode !== 'docComment') return assert.fail('expected a doc comment');
    assert.equal(top.prefix, '/**\n * @function b\n *', 'a top-level selection has no code above it');
    assert.equal(top.suffix, '\n */\nconst b = (x) => x; // b\n', 'the rest of its last line, no more');
    const last = buildExplainPrompt({ languageId: 'javascript', path: undefined, before: '', selection: 'run(', after: '1)' }, undefined);
    if (last.mode !== 'docComment') return assert.fail('expected a doc comment');
    assert.ok(last.suffix.endsWith('run(1)'), 'a last line without a newline, whole');

    const statements = buildExplainPrompt({ languageId: 'typescript', path: undefined, before: 'function a() {\n  if (b) {\n    c();\n  }\n', selection: '  if (d) {\n    e();\n  }', after: '\n}\n' }, undefined);
    if (statements.mode !== 'docComment') return assert.fail('expected a doc comment');
    assert.equal(statements.prefix, 'function a() {\n  /**\n   *', 'statements: no tag line');
  });

  it('names a JavaScript or TypeScript declaration with its JSDoc tag', () => {
    const cases: [string, string | undefined][] = [
      ['export async function load(path) {', '@function load'],
      ['function* ids() {', '@function ids'],
      ['export default class Stack extends Base {', '@class Stack'],
      ['export interface Point {', '@interface Point'],
      ['type Id = string;', '@typedef Id'],
      ['export const enum Kind {', '@enum Kind'],
      ['const clamp = (v: number, lo: number, hi: number): number => v;', '@function clamp'],
      ['let handler = function () {', '@function handler'],
      ['export const LIMIT: number = 3;', '@constant LIMIT'],
      ['  private static async resetQuorum<T>(x: T): void {', '@method resetQuorum'],
      ['  get size() {', '@member size'],
      ['@Input()\n  // the width\n  width(): number {', '@method width'],
      ['export function größeBerechnen(länge: number) {', '@function größeBerechnen'],
      ['const π = () => Math.PI;', '@function π'],
      ['class Ärger {', '@class Ärger'],
      ['  if (ready) {', undefined],
      ['  return total;', undefined],
      ['x = 1;', undefined],
    ];
    for (const [code, tag] of cases) assert.equal(jsDocSubject(code), tag, code);
  });

  it('keeps the lines that open the blocks around indented code, by indentation', () => {
    const above = 'import a;\n\nclass A {\n  x = 1;\n\n  m() {\n    if (y) {\n      z();\n    }\n';
    assert.equal(enclosingHeaders(above, 4), 'class A {\n  m() {\n');
    assert.equal(enclosingHeaders(above, 2), 'class A {\n');
    assert.equal(enclosingHeaders(above, 0), '');
    assert.equal(enclosingHeaders('def f():\n\tif x:', 2), 'def f():\n\tif x:\n', 'tabs count as indentation; a last line without its newline gets one');
    // A file that starts with a blank line and has nothing at column 0 above: the search once looped for ever.
    assert.equal(enclosingHeaders('\n', 4), '');
    assert.equal(enclosingHeaders('\n\n  x = 1;\n', 4), '  x = 1;\n');
  });
});

describe('compress report', () => {
  it('renders counts, retrieved chunks and dropped lines as text', () => {
    const text = renderCompressReport({
      budget: 512,
      scorer: 'unigram',
      before: { tokens: 900, parts: [{ kind: 'snippet', path: 'a.ts', line: 3, text: 'export function a() {}', tokens: 10 }] },
      after: { tokens: 450, parts: [] },
      retrieved: [{ path: 'a.ts', startLine: 3, endLine: 9, score: 1.2, lexical: 1, similarity: 0.2, declaresNearbyName: true, imported: 'receiver', fileWeight: 1 }],
      dropped: [{ section: 'a.ts:3', line: 2, text: '  return 1;', information: 0.4, tokens: 5 }],
      index: { files: 3, chunks: 9, building: false },
      timings: { retrievalMs: 1.5, compressionMs: 2 },
    });
    assert.ok(text.includes('Uncompressed, at up to 4 times the budget: 900 tokens. Compressed to the budget: 450 tokens.'));
    assert.ok(text.includes('- a.ts:3-9'));
    assert.ok(text.includes('return 1;'));
    assert.match(text.split('\n')[1]!, /^What a completion here would give the model, on this machine only/, 'says what it shows, second');
    assert.ok(!text.includes('(nothing: everything retrieved fits the budget)'));
  });

  it('says why the dropped list is empty', () => {
    const text = renderCompressReport({
      budget: 512,
      scorer: 'unigram',
      before: { tokens: 10, parts: [] },
      after: { tokens: 10, parts: [] },
      retrieved: [],
      dropped: [],
      index: { files: 0, chunks: 0, building: true },
      timings: { retrievalMs: 0, compressionMs: 0 },
    });
    assert.match(text, /## Dropped \(0 lines, in the order dropped: least information per token first, declarations last\)\n\(nothing: everything retrieved fits the budget\)/);
  });
});
