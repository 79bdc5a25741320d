import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cutPhraseLoop, cutPhraseLoops, openRunStart } from '../../lsp-server/repeatedPhrases';

describe('cutPhraseLoop (a phrase repeated within one line)', () => {
  it('cuts an expression joined by an operator at its third copy, after the first, without the dangling operator', () => {
    assert.equal(cutPhraseLoop('return n % 2 == 0 and n % 2 == 0 and n % 2 == 0', ''), 'return n % 2 == 0');
    assert.equal(cutPhraseLoop('x = foo(a, b) + foo(a, b) + foo(a, b) + foo(', ''), 'x = foo(a, b)');
    assert.equal(cutPhraseLoop('if (type === "timeline" || type === "timeline" || type === "timeline") {', ''), 'if (type === "timeline"');
  });

  it('leaves an expression written twice', () => {
    assert.equal(cutPhraseLoop('return n % 2 == 0 and n % 2 == 0', ''), undefined);
    assert.equal(cutPhraseLoop('x = foo(a, b) + foo(a, b) + foo(', ''), undefined, 'the third copy is not whole');
  });

  it('cuts a list item, nested call or word repeated eight times', () => {
    const poll = `_communicate(${'self.poll(), '.repeat(8)}`;
    assert.equal(cutPhraseLoop(poll, ''), '_communicate(self.poll()');
    assert.equal(cutPhraseLoop(`return Object.create(${'inject('.repeat(8)}`, ''), 'return Object.create(inject');
    assert.equal(cutPhraseLoop(`$documentation: "A${' safe'.repeat(8)}`, ''), '$documentation: "A safe');
    assert.equal(cutPhraseLoop(`aliases = ['tasl'${", 'TASL'".repeat(8)}]`, ''), "aliases = ['tasl', 'TASL'");
    // Names that are hex digits too: a letter alone, and a call.
    assert.equal(cutPhraseLoop(`url = "/q?${'a=a&b=b&c=c&d=d&'.repeat(3)}`, ''), 'url = "/q?a=a&b=b&c=c&d=d');
    assert.equal(cutPhraseLoop(`total = ${'add(1) + '.repeat(3)}1`, ''), 'total = add(1)');
  });

  it('leaves lists, chains and nested calls of fewer than eight', () => {
    for (const line of [
      'return None, None, None, None, None, None, None',
      'root = Path(__file__).parent.parent.parent.parent',
      'ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))',
      "stdio: ['inherit', 'inherit', 'inherit'],",
      'def f(x: Tuple[int, int, int, int]) -> None:',
    ]) assert.equal(cutPhraseLoop(line, ''), undefined, line);
  });

  it('leaves repeats without a name, or not back to back', () => {
    for (const line of [
      'a[i][j] = b[i][j] + c[i][j]',
      'grid = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]',
      'x, y, z = 0, 0, 0',
      "print('-' * 40)",
      'data = b"\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00"',
      "sql = 'INSERT INTO t VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)'",
      "mac = 'HH:HH:HH:HH:HH:HH:HH:HH:HH'",
      "mask = IPv6Address('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff')",
      `HEX = re.compile(r"^${'[0-9a-f]'.repeat(8)}$")`,
      `UUID = /^${'[a-f0-9]'.repeat(8)}-/`,
      'self.a = a; self.b = b; self.c = c',
      'flags = READ | WRITE | EXEC | READ_ACL | WRITE_ACL',
      'identity = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]',
      'y = f(x) + f(y) + f(z)',
      'r = sqrt(2 + sqrt(2 + sqrt(2 + sqrt(x))))',
      'input_ids: [V V V V V V V V V V V V T T T T T]',
    ]) assert.equal(cutPhraseLoop(line, ''), undefined, line);
  });

  it('leaves a table the document already has', () => {
    const row = `    ${'MachineState.ERROR, '.repeat(8)}# 08 - 0f`;
    assert.equal(cutPhraseLoop(row, ''), '    MachineState.ERROR');
    assert.equal(cutPhraseLoop(row, `CLASS_STATES = (\n    ${'MachineState.ERROR, '.repeat(8)}# 00 - 07\n`), undefined);
  });

  it('keeps the phrase whole where the repeat starts inside it', () => {
    assert.equal(cutPhraseLoop(`return self.run_date${', self.time'.repeat(9)}`, ''), 'return self.run_date, self.time');
  });
});

describe('cutPhraseLoops (lines of a block)', () => {
  it('drops the lines after the one it cuts, which go on with the loop', () => {
    const lines = ['"""', '    A PuppetLexer.', `    The lexer is a simple${' lexical'.repeat(8)}`, `   ${' lexical'.repeat(8)}`, '    """'];
    assert.deepEqual(cutPhraseLoops(lines, ''), ['"""', '    A PuppetLexer.', '    The lexer is a simple lexical']);
  });

  it('keeps every line when none loops', () => {
    const lines = ['for (const item of items) {', '  total += item.price * item.count;', '}'];
    assert.deepEqual(cutPhraseLoops(lines, ''), lines);
  });
});

describe('openRunStart (where a loop still being written could be cut)', () => {
  it('is the start of a run of repeats reaching the end, its last word maybe unfinished; the end when none does', () => {
    assert.equal(openRunStart('a "t", "t", "t'), 'a'.length);
    assert.equal(openRunStart('Adds one to the total, the tot'), 'Adds one to'.length, '` the tot` may become ` the total` twice');
    assert.equal(openRunStart('Adds one to x'), 'Adds one to x'.length);
  });
});
