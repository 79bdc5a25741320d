// Member names of workspace modules: which receivers are whole modules, and which names each module offers
// (exports where it marks them, re-exports followed, a namespace it re-exports), on a made-up workspace.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CodeChunk } from '../../lsp-server/context/codeChunk';
import { namespaceImports } from '../../lsp-server/context/importGraph';
import { memberChoices, wordChoices, type ModuleChunks } from '../../lsp-server/context/moduleMembers';

function workspace(files: Record<string, { text: string; symbols?: string[] }>): ModuleChunks {
  const stemOf = (file: string) => file.replace(/\.(ts|js|py)$/, '').replace(/\/(index|__init__)$/, '');
  return {
    modulesNamed: (name) => Object.keys(files).map(stemOf).filter((stem) => stem.split('/').pop() === name),
    chunksOfModule(stem) {
      const file = Object.keys(files).find((f) => stemOf(f) === stem);
      if (file === undefined) return [];
      const { text, symbols = [] } = files[file]!;
      const chunk: CodeChunk = { path: file, startLine: 0, endLine: text.split('\n').length, text, kind: 'syntax', symbols };
      return [{ chunk }];
    },
  };
}

const FILES = workspace({
  'src/utils/index.js': {
    text: 'const pattern = require("./pattern");\nexports.pattern = pattern;\n__exportStar(require("./strings"), exports);\n',
    symbols: ['pattern'],
  },
  'src/utils/pattern.js': {
    text: 'const path = require("path");\nfunction isDynamic(p) {}\nexports.isDynamic = isDynamic;\nfunction getBase(p) {}\nexports.getBase = getBase;\nfunction local() {}\n',
    symbols: ['path', 'isDynamic', 'getBase', 'local'],
  },
  'src/utils/strings.js': { text: 'function trim(s) {}\nexports.trim = trim;\n', symbols: ['trim'] },
  'src/api.ts': {
    text: 'import { x } from "./x";\nexport function createClient() {}\nexport class Client {}\nfunction helper() {}\nexport { helper as assist };\n',
    symbols: ['createClient', 'Client', 'helper'],
  },
  'src/plain.js': { text: 'function one() {}\nfunction two() {}\nmodule.exports = { one, two };\n', symbols: ['one', 'two'] },
  'pkg/helpers.py': { text: 'def parse(s):\n    pass\n\ndef _private():\n    pass\n', symbols: ['parse', '_private'] },
  'src/shop/models.py': { text: 'class Order:\n    pass\n\nclass Invoice:\n    pass\n', symbols: ['Order', 'Invoice'] },
  'src/shop/__init__.py': { text: 'VERSION = 1\n', symbols: ['VERSION'] },
  'tests/shop/models.py': { text: 'class FakeOrder:\n    pass\n', symbols: ['FakeOrder'] },
});

describe('namespaceImports', () => {
  it('finds names bound to whole modules (Python from-imports as candidates the caller checks), not parts or results of one', () => {
    const js = namespaceImports('src/main.js', 'const utils_1 = require("./utils");\nconst { trim } = require("./utils/strings");\nconst api = __importStar(require("./api"));\nimport * as ns from "../lib/ns";\nimport D from "./d";\nconst fs = require("fs");\nconst Router = require("./router").Router;\nconst debug = require("./debug")("app");\n');
    const stems = (bindings: ReturnType<typeof namespaceImports>) => Object.fromEntries([...bindings].map(([name, ref]) => [name, `${ref.absolute ? 'abs:' : ''}${ref.stem}`]));
    assert.deepEqual(stems(js), { utils_1: 'src/utils', api: 'src/api', ns: 'lib/ns' });
    const py = namespaceImports('pkg/sub/mod.py', 'from .. import helpers, core as c\nfrom .tools import run\nfrom shop import models\nimport shop.models as m\nimport os\n');
    assert.deepEqual(stems(py), { helpers: 'pkg/helpers', c: 'pkg/core', run: 'pkg/sub/tools/run', models: 'abs:shop/models', m: 'abs:shop/models' });
  });
});

describe('memberChoices', () => {
  const main = 'const utils = require("./utils");\nimport * as api from "./api";\nconst plain = require("./plain");\n';

  it("offers a module's exports, and what it re-exports, after its namespace", () => {
    assert.deepEqual(memberChoices(FILES, 'src/main.js', main, `${main}run(utils.`), { typed: '', names: ['pattern', 'trim'] });
    assert.deepEqual(memberChoices(FILES, 'src/main.js', main, `${main}const c = api.`)?.names, ['Client', 'assist', 'createClient']);
  });

  it('follows a namespace the module re-exports, and keeps the names that start with what is typed', () => {
    const choices = memberChoices(FILES, 'src/main.js', main, `${main}if (utils.pattern.is`);
    assert.deepEqual(choices, { typed: 'is', names: ['isDynamic'] });
    assert.deepEqual(wordChoices(choices!), ['Dynamic']);
  });

  it('takes every declared name when the module marks no exports, and public names from Python modules', () => {
    assert.deepEqual(memberChoices(FILES, 'src/main.js', main, `${main}plain.`)?.names, ['one', 'two']);
    assert.deepEqual(memberChoices(FILES, 'pkg/app.py', 'from . import helpers\n', 'from . import helpers\nhelpers.')?.names, ['parse']);
  });

  it("resolves Python's absolute imports of a workspace module (the copy nearest the current file), and leaves an ambiguous or missing one free", () => {
    const app = 'import shop.models as m\nfrom pkg import helpers\nimport os.path as osp\n';
    assert.deepEqual(memberChoices(FILES, 'src/app.py', app, `${app}order = m.`)?.names, ['Invoice', 'Order']);
    assert.deepEqual(memberChoices(FILES, 'tests/test_app.py', app, `${app}order = m.`)?.names, ['FakeOrder']);
    assert.deepEqual(memberChoices(FILES, 'src/app.py', app, `${app}helpers.pa`)?.names, ['parse']);
    assert.equal(memberChoices(FILES, 'src/app.py', app, `${app}osp.`), undefined, 'not in the workspace');
    const both = workspace({ 'a/shop/models.py': { text: 'class A:\n    pass\n', symbols: ['A'] }, 'b/shop/models.py': { text: 'class B:\n    pass\n', symbols: ['B'] } });
    assert.equal(memberChoices(both, 'app.py', app, `${app}m.`), undefined, 'two files could be shop.models');
  });

  it('offers nothing in a comment or a string, where a dot is prose', () => {
    for (const line of ['// see utils.', '/* utils.', ' * utils.', 'log("utils.', 'const s = `utils.']) {
      assert.equal(memberChoices(FILES, 'src/main.js', main, `${main}${line}`), undefined, line);
    }
    const app = 'from . import helpers\n';
    for (const tail of ['# helpers.', 'x = "helpers.', 'def f():\n    """Calls helpers.']) {
      assert.equal(memberChoices(FILES, 'pkg/app.py', app, `${app}${tail}`), undefined, tail);
    }
    assert.deepEqual(memberChoices(FILES, 'pkg/app.py', app, `${app}x = "done"  # ok\nhelpers.`)?.names, ['parse'], 'code after a closed string and a finished comment line');
  });

  it('offers nothing where the receiver is not a workspace module or nothing matches the typed part', () => {
    for (const prefix of [`${main}this.`, `${main}fs.`, `${main}x.utils.`, `${main}obj?.utils.`, `${main}utils.missing.`, `${main}utils.zzz`, `${main}run(utils`]) {
      assert.equal(memberChoices(FILES, 'src/main.js', main, prefix), undefined, prefix);
    }
  });

  it('reads a module again once it changes (the index replaces its chunks)', () => {
    let chunk: CodeChunk = { path: 'src/live.ts', startLine: 0, endLine: 1, text: 'export const first = 1;\n', kind: 'syntax', symbols: ['first'] };
    const live: ModuleChunks = { modulesNamed: () => [], chunksOfModule: (stem) => (stem === 'src/live' ? [{ chunk }] : []) };
    const main = "import * as live from './live';\n";
    assert.deepEqual(memberChoices(live, 'src/main.ts', main, `${main}live.`)?.names, ['first']);
    assert.deepEqual(memberChoices(live, 'src/main.ts', main, `${main}live.`)?.names, ['first'], 'read once, asked twice');
    chunk = { ...chunk, text: 'export const first = 1;\nexport const second = 2;\n', symbols: ['first', 'second'] };
    assert.deepEqual(memberChoices(live, 'src/main.ts', main, `${main}live.`)?.names, ['first', 'second']);
  });
});
