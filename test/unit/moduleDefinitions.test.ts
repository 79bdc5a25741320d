// Which module-level definitions a candidate function gets in the sandbox: what its free names reach, transitively,
// and never a statement that is not a definition.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { moduleContexts } from '../../lsp-server/efficiency/moduleContext';
import type { ModuleContext } from '../../lsp-server/efficiency/moduleDefinitions';

/** The context of the function `name` in `text`, its body starting after `bodyMarker`, for `source` (default: the greedy one). */
async function contextOf(text: string, languageId: string, name: string, bodyMarker: string, sources?: string[]): Promise<ModuleContext[]> {
  const offset = text.indexOf(bodyMarker) + bodyMarker.length;
  assert.ok(offset >= bodyMarker.length, `marker ${bodyMarker} in the text`);
  const own = sources ?? [functionText(text, name, languageId)];
  return moduleContexts({ text, offset, functionName: name, languageId, sources: own });
}

/** The function's lines: from its header to the next top-level line (Python) or the line `}` (scripts). */
function functionText(text: string, name: string, languageId: string): string {
  const lines = text.split('\n');
  const start = lines.findIndex((line) => new RegExp(`(def|function) ${name}\\b`).test(line));
  const end = lines.findIndex((line, index) => index > start && (languageId === 'python' ? /^\S/.test(line) : line === '}'));
  return lines.slice(start, languageId === 'python' ? end : end + 1).join('\n') + '\n';
}

const PYTHON = `from __future__ import annotations
import re
import os.path
from collections import Counter as Tally

MAX = 10
WORD = re.compile(r"[a-z]+")
UNUSED = open("big.csv").read()
main()

def inner(x):
    return x * SCALE if x else len(words(""))

def helper(x):
    return inner(x) + 1

class Box:
    def __init__(self, value):
        self.value = helper(value)

def words(text: str, limit: int = MAX) -> list:
    """
    >>> words("a b")
    ['a', 'b']
    """
    counts = Tally(WORD.findall(text))
    return [w for w, _ in counts.most_common(limit)] + [Box(1).value]

SCALE = 3
words = None

if __name__ == '__main__':
    MAX = 99
    print(words("x"))
`;

describe('module-level definitions for a Python function', () => {
  it('takes the constants, helpers calling helpers, a class and the imports it reaches, in file order', async () => {
    const [context] = await contextOf(PYTHON, 'python', 'words', '-> list:');
    assert.equal(
      context.before,
      'from __future__ import annotations\n' +
        'try:\n    import re\nexcept Exception:\n    pass\n' +
        'try:\n    from collections import Counter as Tally\nexcept Exception:\n    pass\n' +
        'MAX = 10\nWORD = re.compile(r"[a-z]+")\n' +
        'def inner(x):\n    return x * SCALE if x else len(words(""))\n' +
        'def helper(x):\n    return inner(x) + 1\n' +
        'class Box:\n    def __init__(self, value):\n        self.value = helper(value)\n',
    );
    assert.equal(context.after, 'SCALE = 3\n', 'a definition below the function runs after it, as in the file');
    assert.deepEqual(context.names.sort(), ['Box', 'MAX', 'SCALE', 'Tally', 'WORD', 'helper', 'inner', 're']);
  });

  it('leaves out unused definitions, top-level calls, the __main__ block and a rebinding of the function a helper calls', async () => {
    const [context] = await contextOf(PYTHON, 'python', 'words', '-> list:');
    const all = context.before + context.after;
    for (const left of ['UNUSED', 'main()', 'os.path', '__main__', 'MAX = 99', 'print(', 'words = None']) assert.ok(!all.includes(left), `${left} is left out`);
  });

  it('follows each candidate: a parameter or local that shadows a module name needs nothing, `global` does', async () => {
    const shadowing = 'def words(text, MAX):\n    WORD = 1\n    return MAX + WORD\n';
    const usingGlobal = 'def words(text):\n    global MAX\n    MAX = MAX + 1\n    return MAX\n';
    const [none, global] = await contextOf(PYTHON, 'python', 'words', '-> list:', [shadowing, usingGlobal]);
    assert.deepEqual(none.names, []);
    assert.equal(none.before, 'from __future__ import annotations\n', 'only the future import, which changes the module');
    assert.deepEqual(global.names, ['MAX']);
  });
});

describe('module-level names a Python function needs from outside its body', () => {
  const text = 'import functools\n\nclass Rect:\n    pass\n\n@functools.cache\ndef area(r):\n    return 1\n';
  const offset = text.indexOf('    return');
  const source = '@functools.cache\ndef area(r):\n    return 1\n';

  it("takes what its decorators read (the decorators are part of the candidate's source)", async () => {
    const [context] = await moduleContexts({ text, offset, functionName: 'area', languageId: 'python', sources: [source] });
    assert.deepEqual(context.names, ['functools']);
  });

  it("takes what the checks' expressions read, by the same rules as the function's own names", async () => {
    const checkSources = ['area(Rect())', 'area([x for x in [Rect()]])', 'area(Undefined())'];
    const [context] = await moduleContexts({ text, offset, functionName: 'area', languageId: 'python', sources: [source], checkSources });
    assert.deepEqual(context.names.sort(), ['Rect', 'functools']);
  });
});

const COMPOUND = `from __future__ import annotations
import sys
from functools import lru_cache
from typing import TYPE_CHECKING

try:
    import ujson as json
except ImportError:
    # the standard library's, slower
    import json

if TYPE_CHECKING:
    from collections.abc import Iterable

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

try: from functools import cache
except ImportError: cache = lru_cache(None)

try:
    import yaml
except ImportError:
    yaml = None
    print("no yaml")

if __name__ == '__main__':
    import argparse

def load(texts: Iterable[str]) -> list:
    return [json.loads(t) for t in texts] + [tomllib.loads(""), cache, yaml, argparse]
`;

describe("module-level `if` and `try` statements for a Python function", () => {
  it('takes one whole when its blocks hold only definitions, with what its conditions and handlers read', async () => {
    const [context] = await contextOf(COMPOUND, 'python', 'load', '-> list:');
    assert.equal(
      context.before,
      'from __future__ import annotations\n' +
        'try:\n    import sys\nexcept Exception:\n    pass\n' +
        'try:\n    from functools import lru_cache\nexcept Exception:\n    pass\n' +
        'try:\n    import ujson as json\nexcept ImportError:\n    # the standard library\'s, slower\n    try:\n        import json\n    except Exception:\n        pass\n' +
        'if sys.version_info >= (3, 11):\n    try:\n        import tomllib\n    except Exception:\n        pass\nelse:\n    try:\n        import tomli as tomllib\n    except Exception:\n        pass\n' +
        'try: from functools import cache\nexcept ImportError: cache = lru_cache(None)\n',
    );
    assert.deepEqual(context.names.sort(), ['cache', 'json', 'lru_cache', 'sys', 'tomllib']);
  });

  it("wraps each import outside a `try` block as a top-level one (a missing one leaves its names unbound), keeping its module", async () => {
    const text =
      'import sys\n\nif sys.platform == "win32":\n    import winreg as registry\nelif sys.version_info >= (3, 11): import tomllib as registry  # stdlib\n' +
      'else:\n    if sys.version_info >= (3, 8):\n        from tomli import loads as registry\n\n' +
      'def f(s):\n    return registry.loads(s)\n';
    const [context] = await contextOf(text, 'python', 'f', 'def f(s):');
    assert.equal(
      context.before.slice(context.before.indexOf('if sys.platform')),
      'if sys.platform == "win32":\n    try:\n        import winreg as registry\n    except Exception:\n        pass\n' +
        'elif sys.version_info >= (3, 11): \n    try:\n        import tomllib as registry\n    except Exception:\n        pass  # stdlib\n' +
        'else:\n    if sys.version_info >= (3, 8):\n        try:\n            from tomli import loads as registry\n        except Exception:\n            pass\n',
    );
    assert.deepEqual(
      context.mayLack.get('registry'),
      [{ module: 'winreg' }, { module: 'tomllib' }, { module: 'tomli', submodule: 'tomli.loads' }],
      'every import of the name: the run tells which failed to load',
    );
  });

  it('leaves out a `TYPE_CHECKING` block (annotations only), one with a call, and the __main__ block', async () => {
    const [context] = await contextOf(COMPOUND, 'python', 'load', '-> list:');
    for (const left of ['TYPE_CHECKING', 'Iterable', 'yaml', 'print(', '__main__', 'argparse']) assert.ok(!context.before.includes(left), `${left} is left out`);
  });

  it("runs a `TYPE_CHECKING` statement's else block for the names it binds", async () => {
    const text = 'from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from decimal import Decimal as Number\nelse:\n    Number = float\n\ndef half(x):\n    return Number(x) / 2\n';
    const [context] = await contextOf(text, 'python', 'half', 'def half(x):');
    assert.equal(
      context.before,
      'try:\n    from typing import TYPE_CHECKING\nexcept Exception:\n    pass\n' + 'if TYPE_CHECKING:\n    from decimal import Decimal as Number\nelse:\n    Number = float\n',
    );
  });
});

const SCRIPT = `import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import type { Options } from './options';

export const LIMIT = 3;
const UNUSED = readFileSync('/etc/hostname', 'utf8');
const pending = await fetch('https://example.com');
main();

function inner(n: number): number {
  return n * SCALE;
}

export function helper(n: number): number {
  return inner(n) + 1;
}

class Counter {
  total = helper(0);
}

/**
 * @example
 * scaled([1, 2]) // => [5, 8]
 */
export function scaled(xs: number[], options?: Options): number[] {
  const UNUSED = pending ? 0 : 0;
  return xs.slice(0, LIMIT).map((x) => helper(x) + new Counter().total + UNUSED + join('a').length - 1);
}

const SCALE = 3;
let scaled = null;
`;

describe('module-level definitions for a TypeScript function', () => {
  it('takes constants, helpers calling helpers, a class and the imports they use; drops `export`', async () => {
    const [context] = await contextOf(SCRIPT, 'typescript', 'scaled', 'number[] {');
    assert.equal(
      context.before,
      "import { join } from 'node:path';\n" +
        'const LIMIT = 3;\n' +
        'function inner(n: number): number {\n  return n * SCALE;\n}\n' +
        'function helper(n: number): number {\n  return inner(n) + 1;\n}\n' +
        'class Counter {\n  total = helper(0);\n}\n',
    );
    assert.equal(context.after, 'const SCALE = 3;\n');
  });

  it('leaves out unused and shadowed definitions, top-level calls, a declaration that awaits (though used), type imports and a rebinding of the function', async () => {
    const [context] = await contextOf(SCRIPT, 'typescript', 'scaled', 'number[] {');
    const all = context.before + context.after;
    for (const left of ['readFileSync', 'UNUSED', 'fetch', 'main()', './options', 'let scaled']) assert.ok(!all.includes(left), `${left} is left out`);
  });

  it("takes only Node's own modules: a workspace file or a package cannot load in the sandbox (its name may go unused)", async () => {
    const text =
      "import { log } from './logger';\nimport * as fs from 'fs';\nconst { EventEmitter } = require('node:events');\nconst lodash = require('lodash');\n" +
      'function report(n) {\n  if (n < 0) log(lodash.clamp(n));\n  return fs.constants.F_OK + n + new EventEmitter().listenerCount("x");\n}\n';
    const [context] = await contextOf(text, 'javascript', 'report', 'function report(n) {');
    assert.equal(context.before, "import * as fs from 'fs';\nconst { EventEmitter } = require('node:events');\n");
  });

  it('reads JavaScript the same way', async () => {
    const text = "const BASE = 2;\nconst unused = 1;\nconsole.log('loaded');\nfunction double(x) {\n  return x * BASE;\n}\n";
    const [context] = await contextOf(text, 'javascript', 'double', 'function double(x) {');
    assert.deepEqual(context, { before: 'const BASE = 2;\n', after: '', names: ['BASE'], mayLack: new Map() });
  });

  it('keeps which module each name of a skipped import came from, for the names the function reaches', async () => {
    const text =
      "import { log } from './logger';\nimport clampDefault, { clamp as fit } from './mathUtil';\nimport * as fs from 'fs';\n" +
      "const { pick } = require('lodash');\nconst unused = require('left-pad');\n" +
      'function report(n) {\n  if (n < 0) log(pick(n));\n  return fit(n) + clampDefault(n) + fs.constants.F_OK;\n}\n';
    const [context] = await contextOf(text, 'javascript', 'report', 'function report(n) {');
    const modules = new Map([...context.mayLack].map(([name, sources]) => [name, sources.map((source) => source.module).join()]));
    assert.deepEqual(modules, new Map([['log', './logger'], ['clampDefault', './mathUtil'], ['fit', './mathUtil'], ['pick', 'lodash']]));
    assert.deepEqual(context.names, ['fs'], 'a skipped import binds nothing that runs');
  });

  it("takes a `try` statement that only assigns, keeping the module each name loads and marking a name its catch sets to null", async () => {
    const text =
      "let fast, HAS_FAST, slow;\ntry { fast = require('fast-lib'); HAS_FAST = true; } catch { fast = null; HAS_FAST = false; }\n" +
      "try {\n  slow = (await import('slow-lib')).default;\n} catch (e) {}\n" +
      "let parser;\ntry { parser = require('./parser'); } catch (e) { parser = require('node:querystring'); }\n" +
      'function parse(s: string) {\n  return HAS_FAST ? fast.parse(s) : slow(parser.parse(s));\n}\n';
    const [context] = await contextOf(text, 'typescript', 'parse', 'function parse(s: string) {');
    assert.equal(
      context.before,
      'let fast, HAS_FAST, slow;\n' +
        "try { fast = require('fast-lib'); HAS_FAST = true; } catch { fast = null; HAS_FAST = false; }\n" +
        "try {\n  slow = (require('slow-lib')).default;\n} catch (e) {}\n" +
        "let parser;\ntry { parser = require('./parser'); } catch (e) { parser = require('node:querystring'); }\n",
      'CommonJS has no top-level await: a package the sandbox lacks fails to require as to import',
    );
    assert.deepEqual(
      context.mayLack,
      new Map([
        ['fast', [{ module: 'fast-lib', noneWhenMissing: true }]],
        ['slow', [{ module: 'slow-lib', noneWhenMissing: true }]],
        ['parser', [{ module: './parser' }]],
      ]),
    );
  });

  it("takes a `try` statement whose catch throws, wrapped as a required import: where the package is missing its names stay undefined", async () => {
    const text =
      "let fast;\ntry { fast = require('fast-lib'); } catch (e) { throw new Error('fast-lib is required'); }\n" +
      'function parse(s) {\n  return fast.parse(s);\n}\n';
    const [context] = await contextOf(text, 'javascript', 'parse', 'function parse(s) {');
    assert.equal(context.before, "let fast;\ntry {\ntry { fast = require('fast-lib'); } catch (e) { throw new Error('fast-lib is required'); }\n} catch {}\n");
    assert.deepEqual(context.mayLack, new Map([['fast', [{ module: 'fast-lib', noneWhenMissing: true }]]]));
  });

  it("never runs a declaration's import() of a package (its rejection would go unhandled), keeping the module its name came from", async () => {
    const text =
      "const fastP = import('fast-lib');\nconst later = () => import('./lazy');\nconst events = import('node:events');\n" +
      "const loaders = { yaml: async (t) => (await import('yaml')).parse(t), json: (t) => require('./json')(t) };\n" +
      'async function parse(s) {\n  return [(await fastP).parse(s), later, await events, loaders];\n}\n';
    const [context] = await contextOf(text, 'javascript', 'parse', 'async function parse(s) {');
    // A function's own import() or require runs only when it is called: the declarations holding them run.
    assert.equal(context.before, "const later = () => import('./lazy');\nconst events = import('node:events');\nconst loaders = { yaml: async (t) => (await import('yaml')).parse(t), json: (t) => require('./json')(t) };\n");
    assert.deepEqual(context.mayLack, new Map([['fastP', [{ module: 'fast-lib' }]]]));
  });

  it('leaves out a `try` statement that does more than assign, or whose import() nothing awaits', async () => {
    const text =
      "let a, b, c, d;\ntry { a = require('a-lib'); } catch { console.warn('no a-lib'); }\n" +
      "try { b = import('b-lib'); } catch { b = null; }\ntry { c = await fetch('x'); } catch { c = null; }\n" +
      "try { d.x = require('d-lib'); } catch {}\n" +
      'function f() {\n  return [a, b, c, d];\n}\n';
    const [context] = await contextOf(text, 'javascript', 'f', 'function f() {');
    assert.equal(context.before, 'let a, b, c, d;\n');
  });
});

describe('names a Python function reaches through imports the sandbox may lack', () => {
  it('keeps the module of every import it takes (a failed one leaves its names unbound; the run tells whether a top-level absolute one loaded), and wraps each to fail alone', async () => {
    const text =
      'import numpy as np, os.path\nfrom . import mathutil\nfrom .sub import helper as h\nfrom pkg.mathutil import clamp\nimport json\n\n' +
      'def f(xs):\n    return [clamp(np.mean(xs), 0, 1), mathutil, h, os.path.sep]\n';
    const [context] = await contextOf(text, 'python', 'f', 'def f(xs):');
    assert.deepEqual(
      context.mayLack,
      new Map([
        ['np', [{ module: 'numpy', unconditional: true }]],
        ['os', [{ module: 'os.path', unconditional: true }]],
        ['mathutil', [{ module: '.mathutil' }]],
        ['h', [{ module: '.sub' }]],
        ['clamp', [{ module: 'pkg.mathutil', submodule: 'pkg.mathutil.clamp', unconditional: true }]],
      ]),
    );
    assert.ok(context.before.startsWith('try:\n    import numpy as np, os.path\nexcept Exception:\n    pass\n'), context.before);
  });

  it("keeps a try statement's imports, marking a name its except clause binds to None", async () => {
    const text =
      'try:\n    import numpy as np\n    from scipy import stats\nexcept (ImportError, ModuleNotFoundError):\n    np = stats = None\n    HAS_NUMPY = False\nelse:\n    HAS_NUMPY = True\n\n' +
      'try:\n    import ujson as json\nexcept ImportError:\n    import json\n\n' +
      'def f(xs):\n    if not HAS_NUMPY:\n        raise ImportError("numpy is required")\n    return json.dumps(np.sum(xs))\n';
    const [context] = await contextOf(text, 'python', 'f', 'def f(xs):');
    assert.deepEqual(
      context.mayLack,
      new Map([
        ['np', [{ module: 'numpy', noneWhenMissing: true }]],
        ['stats', [{ module: 'scipy', submodule: 'scipy.stats', noneWhenMissing: true }]],
        ['json', [{ module: 'ujson' }, { module: 'json' }]],
      ]),
    );
  });

  it("wraps a try statement whose except clause raises as a top-level import: a missing module leaves its names unbound", async () => {
    const text =
      'try:\n    import numpy as np\nexcept ImportError as e:\n    raise ImportError("numpy is required") from e\n\n' +
      'try:\n    import yaml\nexcept ImportError:\n    print("no yaml")\n    raise\n\n' +
      'def f(xs):\n    return [np.sum(xs), yaml]\n';
    const [context] = await contextOf(text, 'python', 'f', 'def f(xs):');
    assert.equal(
      context.before,
      'try:\n    try:\n        import numpy as np\n    except ImportError as e:\n        raise ImportError("numpy is required") from e\nexcept BaseException:\n    pass\n',
      'a clause that does more than raise is left out, as before',
    );
    assert.deepEqual(context.mayLack, new Map([['np', [{ module: 'numpy' }]]]));
  });
});
