// Telling a check the code failed from one the sandbox failed (a module it lacks, a file it refuses), and saying
// which in words the user can act on.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkLabels, deniedDetail, lackedModule, unavailableDetail } from '../../lsp-server/efficiency/checkFailures';
import type { ImportSource } from '../../lsp-server/efficiency/importedModules';

const MAY_LACK = new Map<string, ImportSource>([['np', { module: 'numpy' }], ['clamp', { module: './mathUtil' }], ['$q', { module: 'jquery' }]]);

describe('check failures', () => {
  it('blames the sandbox only for an undefined name an import it could not load was to bind', () => {
    assert.equal(lackedModule("NameError: name 'np' is not defined", MAY_LACK), 'numpy');
    assert.equal(lackedModule('ReferenceError: clamp is not defined', MAY_LACK), './mathUtil');
    assert.equal(lackedModule('ReferenceError: $q is not defined', MAY_LACK), 'jquery');
    assert.equal(lackedModule("NameError: name 'nmupy' is not defined", MAY_LACK), undefined, 'a typo the model made stays a failure');
    assert.equal(lackedModule('ReferenceError: clmap is not defined', MAY_LACK), undefined);
    assert.equal(lackedModule("UnboundLocalError: cannot access local variable 'np' where it is not associated with a value", MAY_LACK), undefined);
    assert.equal(lackedModule("AttributeError: module 'np' has no attribute 'x'", MAY_LACK), undefined);
    assert.equal(lackedModule(undefined, MAY_LACK), undefined, 'a wrong value');
  });

  it('names the submodule the run failed to load, not the package it is imported from', () => {
    const mayLack = new Map<string, ImportSource>([
      ['mock', { module: 'unittest', submodule: 'unittest.mock' }],
      ['mean', { module: 'numpy', submodule: 'numpy.mean' }],
      ['la', { module: 'numpy.linalg' }],
    ]);
    const run = { failedImports: ['asyncio', 'unittest.mock', 'numpy', 'numpy.linalg'], program: '' };
    assert.equal(lackedModule("NameError: name 'mock' is not defined", mayLack, run), 'unittest.mock');
    assert.equal(lackedModule("NameError: name 'mean' is not defined", mayLack, run), 'numpy', 'mean is a name numpy defines: numpy failed');
    assert.equal(lackedModule("NameError: name 'la' is not defined", mayLack, run), 'numpy');
    assert.equal(lackedModule("NameError: name 'mock' is not defined", mayLack), 'unittest', 'a run that says nothing');
  });

  it("blames the sandbox for None a try statement's fallback bound where the run failed to load the module, and only then", () => {
    const mayLack = new Map<string, ImportSource>([
      ['np', { module: 'numpy', noneWhenMissing: true }],
      ['mean', { module: 'statistics', submodule: 'statistics.mean', noneWhenMissing: true }],
      ['json', { module: 'ujson' }],
    ]);
    const program = 'try:\n    import numpy as np\nexcept ImportError:\n    np = None\n\ndef total(xs):\n    m = re.match("x", "y")\n    return np.sum(xs) + mean(xs) + m.end()\n';
    const run = { failedImports: ['numpy', 'ujson'], program };
    assert.equal(lackedModule("AttributeError: 'NoneType' object has no attribute 'sum'", mayLack, run), 'numpy');
    assert.equal(lackedModule("AttributeError: 'NoneType' object has no attribute 'end'", mayLack, run), undefined, 'None from elsewhere (a failed match) is the code');
    assert.equal(lackedModule("AttributeError: 'NoneType' object has no attribute 'summ'", mayLack, run), undefined, 'a misspelt attribute is the code');
    assert.equal(lackedModule("AttributeError: 'NoneType' object has no attribute 'sum'", mayLack, { ...run, failedImports: [] }), undefined, 'numpy loaded: its None is not the fallback');
    assert.equal(lackedModule("TypeError: 'NoneType' object is not callable", mayLack, run), undefined, 'statistics loaded: mean is not None');
    assert.equal(lackedModule("TypeError: 'NoneType' object is not callable", mayLack, { ...run, failedImports: ['statistics'] }), 'statistics');
    assert.equal(lackedModule('ImportError: NumPy is required for total()', mayLack, run), 'numpy', "the function's own `if np is None: raise ImportError(...)`");
    assert.equal(lackedModule("ModuleNotFoundError: No module named 'ujson'", mayLack, run), 'ujson', 'the function imports it again');
    assert.equal(lackedModule('ImportError: cannot import name "x"', mayLack, run), undefined, 'an ImportError of something else');
    assert.equal(lackedModule('ValueError: numpy is required', mayLack, run), undefined);
    assert.equal(lackedModule("AttributeError: 'NoneType' object has no attribute 'loads'", new Map([['json', { module: 'ujson' }]]), { ...run, program: 'json.loads(s)' }), undefined, 'a fallback that is not None');
  });

  it("blames the sandbox for the null a script's catch bound where the run failed to require the module, and only then", () => {
    const mayLack = new Map<string, ImportSource>([['fast', { module: 'fast-lib', noneWhenMissing: true }], ['parser', { module: './parser' }]]);
    const program = "let fast;\ntry { fast = require('fast-lib'); } catch { fast = null; }\nfunction parse(s, opts) {\n  return fast.parse(s, opts.strict) + parser.parse(s);\n}\n";
    const run = { failedImports: ['fast-lib', './parser'], program };
    assert.equal(lackedModule("TypeError: Cannot read properties of null (reading 'parse')", mayLack, run), 'fast-lib');
    assert.equal(lackedModule("TypeError: Cannot read properties of undefined (reading 'parse')", mayLack, run), 'fast-lib', 'a catch that left it undefined');
    assert.equal(lackedModule('TypeError: fast is not a function', mayLack, run), 'fast-lib');
    assert.equal(lackedModule("TypeError: Cannot destructure property 'parse' of 'fast' as it is null.", mayLack, run), 'fast-lib');
    assert.equal(lackedModule("TypeError: Cannot read properties of undefined (reading 'strict')", mayLack, run), undefined, 'undefined from elsewhere (an argument) is the code');
    assert.equal(lackedModule("TypeError: Cannot read properties of null (reading 'prase')", mayLack, run), undefined, 'a misspelt property is the code');
    assert.equal(lackedModule('TypeError: fats is not a function', mayLack, run), undefined);
    assert.equal(lackedModule("TypeError: Cannot read properties of null (reading 'parse')", mayLack, { ...run, failedImports: [] }), undefined, 'fast-lib loaded: its null is not the fallback');
    assert.equal(lackedModule("TypeError: Cannot read properties of null (reading 'parse')", new Map([['parser', { module: './parser' }]]), run), undefined, 'a fallback that is not null');
  });

  it('blames the sandbox for a module the function itself failed to load, and only where the run says it did', () => {
    const run = { failedImports: ['numpy', 'asyncio', 'fast-lib'], program: '' };
    assert.equal(lackedModule("ModuleNotFoundError: No module named 'numpy'", new Map(), run), 'numpy');
    assert.equal(lackedModule('ModuleNotFoundError: the sandbox refused importing asyncio (PermissionError: the sandbox does not allow replacing code objects)', new Map(), run), 'asyncio');
    assert.equal(lackedModule("Error MODULE_NOT_FOUND: Cannot find module 'fast-lib'\nRequire stack:\n- /sbx/in/candidate.js", new Map(), run), 'fast-lib');
    assert.equal(lackedModule("ModuleNotFoundError: No module named 'numpy'", new Map(), { ...run, failedImports: [] }), undefined, 'raised by the code, which imported nothing');
    assert.equal(lackedModule("ModuleNotFoundError: No module named 'scipy'", new Map(), run), undefined);
    assert.equal(lackedModule('ImportError: numpy is required', new Map(), run), undefined, "the code's own ImportError, with no import of it at module level");
  });

  it("does not judge a name a top-level import's module lacked (`from json import lods`, a newer Python's name)", () => {
    const mayLack = new Map<string, ImportSource>([
      ['lods', { module: 'json', submodule: 'json.lods', unconditional: true }],
      ['json', { module: 'json.lods', unconditional: true }],
      ['mock', { module: 'unittest', submodule: 'unittest.mock', unconditional: true }],
      ['util', { module: './util', submodule: './util.helper' }],
    ]);
    const run = { failedImports: ['asyncio', 'unittest.mock'], program: '' };
    assert.equal(lackedModule("NameError: name 'lods' is not defined", mayLack, run), 'json.lods', 'json loaded, without lods');
    assert.equal(lackedModule("NameError: name 'json' is not defined", mayLack, run), 'json.lods');
    assert.equal(lackedModule("NameError: name 'mock' is not defined", mayLack, run), 'unittest.mock', 'the sandbox refused it');
    assert.equal(lackedModule("NameError: name 'util' is not defined", mayLack, run), './util', 'an import that never ran');
    assert.equal(lackedModule("NameError: name 'nmupy' is not defined", mayLack, run), undefined);
  });

  it('names the modules, and says which check the sandbox refused and what the function did', () => {
    assert.equal(unavailableDetail(['numpy', 'numpy']), 'numpy is not available in the sandbox');
    assert.equal(unavailableDetail(['numpy', './util', 'scipy']), 'numpy, ./util and scipy are not available in the sandbox');
    assert.match(deniedDetail("PermissionError: [Errno 13] Permission denied: '/etc/shadow'", 'example 2'), /^the function uses files, which the sandbox does not allow \(.* in example 2\)$/);
    assert.match(deniedDetail('Error ERR_ACCESS_DENIED: Access to this API has been restricted', 'example 1'), /^the function uses files or runs programs, /);
    assert.match(deniedDetail('Error ERR_ACCESS_DENIED: Access to this API has been restricted (FileSystemRead: /etc/hostname)', 'example 1'), /^the function uses files, /);
    assert.match(deniedDetail('Error ERR_ACCESS_DENIED: Access to this API has been restricted (ChildProcess)', 'example 1'), /^the function runs programs, which the sandbox does not allow \(/);
    assert.match(deniedDetail('PermissionError: the sandbox does not run other programs (subprocess.Popen)', 'example 1'), /^the function runs programs, /);
    assert.deepEqual(
      [...checkLabels([
        { id: 'example-0', kind: 'example' },
        { id: 'example-1', kind: 'example' },
        { id: 'test-2', kind: 'test' },
        { id: 'differential-0', kind: 'differential' },
      ]).values()],
      ['example 1', 'example 2', 'test call 1', 'a generated input'],
    );
  });
});
