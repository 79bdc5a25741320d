// What a module exports, read from its text: every form the member-name constraint relies on, and "unknown" (no
// constraint) wherever the text does not settle the names.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readModuleExports } from '../../lsp-server/context/moduleExports';

const names = (path: string, text: string) => {
  const read = readModuleExports(path, text, true);
  return read === undefined ? undefined : { names: [...read.names].sort(), reexports: read.reexports };
};

describe('readModuleExports', () => {
  it('reads ES exports: declarations, lists, namespaces and re-exports, not the default', () => {
    const text = [
      'export function build() {}',
      'export async function* stream() {}',
      'export default function main() {}',
      'export const LIMIT = 3, OTHER = 4;',
      'export interface Options {}',
      'function helper() {}',
      'export { helper as assist, type Kind };',
      "export * as pattern from './pattern';",
      "export * from './strings';",
    ].join('\n');
    assert.deepEqual(names('src/a.ts', text), { names: ['Kind', 'LIMIT', 'OTHER', 'Options', 'assist', 'build', 'pattern', 'stream'].sort(), reexports: ['./strings'] });
  });

  it('reads CommonJS as tsc, esbuild and hand-written code emit it', () => {
    const tsc = 'Object.defineProperty(exports, "__esModule", { value: true });\nexports.b = exports.a = void 0;\nfunction a() {}\nexports.a = a;\nObject.defineProperty(exports, "c", { enumerable: true, get: function () { return x.c; } });\n__exportStar(require("./more"), exports);\nif (exports.a == null) {}\n';
    assert.deepEqual(names('dist/a.js', tsc), { names: ['a', 'b', 'c'], reexports: ['./more'] });
    const esbuild = 'var x_exports = {};\n__export(x_exports, {\n  createFile: () => createFile,\n  isFile: () => isFile\n});\nmodule.exports = __toCommonJS(x_exports);\nconst other = { key: () => key };\n';
    assert.deepEqual(names('dist/x.js', esbuild)?.names, ['createFile', 'isFile']);
    assert.deepEqual(names('lib/plain.js', 'function one() {}\nmodule.exports = { one, two: impl, three() {} };\n')?.names, ['one', 'three', 'two']);
    assert.deepEqual(names('dist/types.js', '"use strict";\nObject.defineProperty(exports, "__esModule", { value: true });\n'), { names: [], reexports: [] }, 'a module of types only has no members');
  });

  it('answers unknown where the text does not settle the names', () => {
    for (const [path, text] of [
      ['lib/a.js', 'class Store {}\nmodule.exports = Store;\n'],
      ['lib/b.js', 'module.exports = { ...base, extra };\n'],
      ['lib/c.js', "export * from 'some-package';\n"],
      ['lib/d.js', 'function lonely() {}\n'],
      ['pkg/e.py', 'from .core import *\n'],
      ['pkg/f.py', "__all__ = core.__all__ + ['x']\n"],
      ['pkg/g.py', "__all__ = ['a']\n__all__ += ['b']\n"],
    ]) {
      assert.equal(readModuleExports(path!, text!, true), undefined, path);
    }
    assert.equal(readModuleExports('lib/h.js', 'exports.a = 1;\n', false), undefined, 'a file the index holds only in part');
  });

  it("reads Python's __all__, or every public name bound outside functions and classes", () => {
    assert.deepEqual(names('pkg/a.py', "__all__ = [\n    'Client',\n    \"Session\",\n]\nclass Client: pass\n")?.names, ['Client', 'Session']);
    const text = [
      'import os',
      'import json as _json',
      'from .core import Client, Session as S',
      'from .models import (',
      '    Order,',
      '    Invoice,  # billing',
      ')',
      'VERSION: str = "1"',
      '_cache = {}',
      'try:',
      '    from ujson import loads',
      'except ImportError:',
      '    loads = None',
      'class Store:',
      '    limit = 3',
      '    def save(self):',
      '        done = True',
      'def connect(',
      '    url,',
      '):',
      '    timeout = 3',
      'if True:',
      '    DEBUG = False',
    ].join('\n');
    assert.deepEqual(names('pkg/__init__.py', text)?.names, ['Client', 'Invoice', 'DEBUG', 'Order', 'S', 'Store', 'VERSION', 'connect', 'loads', 'os'].sort());
  });
});
