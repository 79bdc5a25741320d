// Telling a check the code failed from one the sandbox failed (a module it lacks, a file it refuses), and saying
// which in words the user can act on.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkLabels, deniedDetail, lackedModules, unavailableDetail } from '../../lsp-server/efficiency/checkFailures';
import type { ImportSource } from '../../lsp-server/efficiency/importedModules';

const MAY_LACK = new Map<string, ImportSource[]>([['np', [{ module: 'numpy' }]], ['clamp', [{ module: './mathUtil' }]], ['$q', [{ module: 'jquery' }]]]);

describe('check failures', () => {
  it('blames the sandbox only for an undefined name an import it could not load was to bind', () => {
    assert.deepEqual(lackedModules("NameError: name 'np' is not defined", MAY_LACK), ['numpy']);
    assert.deepEqual(lackedModules('ReferenceError: clamp is not defined', MAY_LACK), ['./mathUtil']);
    assert.deepEqual(lackedModules('ReferenceError: $q is not defined', MAY_LACK), ['jquery']);
    assert.deepEqual(lackedModules("NameError: name 'nmupy' is not defined", MAY_LACK), [], 'a typo the model made stays a failure');
    assert.deepEqual(lackedModules('ReferenceError: clmap is not defined', MAY_LACK), []);
    assert.deepEqual(lackedModules("UnboundLocalError: cannot access local variable 'np' where it is not associated with a value", MAY_LACK), []);
    assert.deepEqual(lackedModules("AttributeError: module 'np' has no attribute 'x'", MAY_LACK), []);
    assert.deepEqual(lackedModules(undefined, MAY_LACK), [], 'a wrong value');
  });

  it('names the submodule the run failed to load, not the package it is imported from', () => {
    const mayLack = new Map<string, ImportSource[]>([
      ['mock', [{ module: 'unittest', submodule: 'unittest.mock' }]],
      ['mean', [{ module: 'numpy', submodule: 'numpy.mean' }]],
      ['la', [{ module: 'numpy.linalg' }]],
    ]);
    const run = { failedImports: ['asyncio', 'unittest.mock', 'numpy', 'numpy.linalg'], program: '' };
    assert.deepEqual(lackedModules("NameError: name 'mock' is not defined", mayLack, run), ['unittest.mock']);
    assert.deepEqual(lackedModules("NameError: name 'mean' is not defined", mayLack, run), ['numpy'], 'mean is a name numpy defines: numpy failed');
    assert.deepEqual(lackedModules("NameError: name 'la' is not defined", mayLack, run), ['numpy']);
    assert.deepEqual(lackedModules("NameError: name 'mock' is not defined", mayLack), ['unittest'], 'a run that says nothing');
  });

  it("blames the sandbox for None a try statement's fallback bound where the run failed to load the module, and only then", () => {
    const mayLack = new Map<string, ImportSource[]>([
      ['np', [{ module: 'numpy', noneWhenMissing: true }]],
      ['mean', [{ module: 'statistics', submodule: 'statistics.mean', noneWhenMissing: true }]],
      ['json', [{ module: 'ujson' }]],
    ]);
    const program = 'try:\n    import numpy as np\nexcept ImportError:\n    np = None\n\ndef total(xs):\n    m = re.match("x", "y")\n    return np.sum(xs) + mean(xs) + m.end()\n';
    const run = { failedImports: ['numpy', 'ujson'], program };
    assert.deepEqual(lackedModules("AttributeError: 'NoneType' object has no attribute 'sum'", mayLack, run), ['numpy']);
    assert.deepEqual(lackedModules("AttributeError: 'NoneType' object has no attribute 'end'", mayLack, run), [], 'None from elsewhere (a failed match) is the code');
    assert.deepEqual(lackedModules("AttributeError: 'NoneType' object has no attribute 'summ'", mayLack, run), [], 'a misspelt attribute is the code');
    assert.deepEqual(lackedModules("AttributeError: 'NoneType' object has no attribute 'sum'", mayLack, { ...run, failedImports: [] }), [], 'numpy loaded: its None is not the fallback');
    assert.deepEqual(lackedModules("TypeError: 'NoneType' object is not callable", mayLack, run), [], 'statistics loaded: mean is not None');
    assert.deepEqual(lackedModules("TypeError: 'NoneType' object is not callable", mayLack, { ...run, failedImports: ['statistics'] }), ['statistics']);
    assert.deepEqual(lackedModules('ImportError: NumPy is required for total()', mayLack, run), ['numpy'], "the function's own `if np is None: raise ImportError(...)`");
    assert.deepEqual(lackedModules("ModuleNotFoundError: No module named 'ujson'", mayLack, run), ['ujson'], 'the function imports it again');
    assert.deepEqual(lackedModules('ImportError: cannot import name "x"', mayLack, run), [], 'an ImportError of something else');
    assert.deepEqual(lackedModules('ValueError: numpy is required', mayLack, run), []);
    assert.deepEqual(lackedModules("AttributeError: 'NoneType' object has no attribute 'loads'", new Map([['json', [{ module: 'ujson' }]]]), { ...run, program: 'json.loads(s)' }), [], 'a fallback that is not None');
  });

  it("blames the sandbox for the null a script's catch bound where the run failed to require the module, and only then", () => {
    const mayLack = new Map<string, ImportSource[]>([['fast', [{ module: 'fast-lib', noneWhenMissing: true }]], ['parser', [{ module: './parser' }]]]);
    const program = "let fast;\ntry { fast = require('fast-lib'); } catch { fast = null; }\nfunction parse(s, opts) {\n  return fast.parse(s, opts.strict) + parser.parse(s);\n}\n";
    const run = { failedImports: ['fast-lib', './parser'], program };
    assert.deepEqual(lackedModules("TypeError: Cannot read properties of null (reading 'parse')", mayLack, run), ['fast-lib']);
    assert.deepEqual(lackedModules("TypeError: Cannot read properties of undefined (reading 'parse')", mayLack, run), ['fast-lib'], 'a catch that left it undefined');
    assert.deepEqual(lackedModules('TypeError: fast is not a function', mayLack, run), ['fast-lib']);
    assert.deepEqual(lackedModules("TypeError: Cannot destructure property 'parse' of 'fast' as it is null.", mayLack, run), ['fast-lib']);
    assert.deepEqual(lackedModules("TypeError: Cannot read properties of undefined (reading 'strict')", mayLack, run), [], 'undefined from elsewhere (an argument) is the code');
    assert.deepEqual(lackedModules("TypeError: Cannot read properties of null (reading 'prase')", mayLack, run), [], 'a misspelt property is the code');
    assert.deepEqual(lackedModules('TypeError: fats is not a function', mayLack, run), []);
    assert.deepEqual(lackedModules("TypeError: Cannot read properties of null (reading 'parse')", mayLack, { ...run, failedImports: [] }), [], 'fast-lib loaded: its null is not the fallback');
    assert.deepEqual(lackedModules("TypeError: Cannot read properties of null (reading 'parse')", new Map([['parser', [{ module: './parser' }]]]), run), [], 'a fallback that is not null');
  });

  it("blames the sandbox for a script's Error naming a package whose require failed, as for Python's ImportError, and only then", () => {
    const mayLack = new Map<string, ImportSource[]>([['fast', [{ module: 'fast-lib', noneWhenMissing: true }]]]);
    const program = "let fast;\ntry { fast = require('fast-lib'); } catch { fast = null; }\nfunction total(xs) {\n  if (!fast) throw new Error('fast-lib is required');\n  return fast.sum(xs);\n}\n";
    const run = { failedImports: ['fast-lib'], program };
    assert.deepEqual(lackedModules('Error: fast-lib is required', mayLack, run), ['fast-lib'], "the function's own `if (!fast) throw new Error(...)`");
    // A plain Error is what validation throws: one naming only the binding, or the package with no word of its absence, is the code's.
    assert.deepEqual(lackedModules('Error: fast is required', mayLack, run), [], 'naming only the name it binds');
    assert.deepEqual(lackedModules('Error: invalid fast-lib input: v2', mayLack, run), [], 'naming the package, not its absence');
    assert.deepEqual(lackedModules('Error: fast-lib is not installed', mayLack, run), ['fast-lib']);
    assert.deepEqual(lackedModules('Error: fast-lib is required', mayLack, { ...run, failedImports: [] }), [], 'fast-lib loaded: the code threw');
    assert.deepEqual(lackedModules('Error: expected a list', mayLack, run), [], 'an Error about something else');
    assert.deepEqual(lackedModules('TypeError: fast-lib is required', mayLack, run), [], 'not a plain Error');
    assert.deepEqual(lackedModules('RangeError: fast-lib is required', new Map(), run), []);
  });

  it("blames the sandbox for an error naming a module the function's own import failed to load, where the program imports it", () => {
    const script = "function total(xs) {\n  let fast;\n  try { fast = require('fast-lib'); } catch (e) { throw new Error('fast-lib is required'); }\n  return fast.sum(xs);\n}\n";
    assert.deepEqual(lackedModules('Error: fast-lib is required', new Map(), { failedImports: ['fast-lib'], program: script }), ['fast-lib']);
    assert.deepEqual(lackedModules('Error: fast-lib is required', new Map(), { failedImports: ['fast-lib', './util'], program: script }), ['fast-lib'], 'a relative module names no package');
    assert.deepEqual(lackedModules('Error: fast-lib is required', new Map(), { failedImports: [], program: script }), [], 'nothing failed to load');
    assert.deepEqual(lackedModules('Error: fast-lib is required', new Map(), { failedImports: ['fast-lib'], program: 'function total(xs) {}' }), [], 'a load the program did not ask for');
    const python = 'def mean(xs):\n    try:\n        import numpy as np\n    except ImportError:\n        raise ImportError("numpy is required")\n    return np.mean(xs)\n';
    assert.deepEqual(lackedModules('ImportError: numpy is required', new Map(), { failedImports: ['numpy'], program: python }), ['numpy']);
    assert.deepEqual(lackedModules('ValueError: numpy is required', new Map(), { failedImports: ['numpy'], program: python }), []);
    // Python code raises other errors on a module's absence too, naming it and its absence.
    assert.deepEqual(lackedModules('RuntimeError: numpy is required', new Map(), { failedImports: ['numpy'], program: python }), ['numpy']);
    assert.deepEqual(lackedModules('RuntimeError: numpy gave a wrong shape', new Map(), { failedImports: ['numpy'], program: python }), []);
  });

  it('names the import of a name bound in two branches that the run failed to load, or both where it failed to load none', () => {
    const mayLack = new Map<string, ImportSource[]>([['toml', [{ module: 'tomllib' }, { module: 'tomli' }]], ['json', [{ module: 'simplejson' }, { module: 'ujson' }]]]);
    assert.deepEqual(lackedModules("NameError: name 'toml' is not defined", mayLack, { failedImports: ['tomllib'], program: '' }), ['tomllib'], 'the branch that ran');
    assert.deepEqual(lackedModules("NameError: name 'toml' is not defined", mayLack, { failedImports: ['tomli'], program: '' }), ['tomli']);
    assert.deepEqual(lackedModules("NameError: name 'json' is not defined", mayLack, { failedImports: ['simplejson', 'ujson'], program: '' }), ['simplejson', 'ujson'], 'both failed');
    assert.deepEqual(lackedModules("NameError: name 'toml' is not defined", mayLack), ['tomllib', 'tomli'], 'a run that says nothing');
    const fallback = new Map<string, ImportSource[]>([['np', [{ module: 'numpy', noneWhenMissing: true }, { module: 'cupy', noneWhenMissing: true }]]]);
    const run = { failedImports: ['cupy'], program: 'def f(xs):\n    return np.sum(xs)\n' };
    assert.deepEqual(lackedModules("AttributeError: 'NoneType' object has no attribute 'sum'", fallback, run), ['cupy']);
  });

  it("blames the sandbox's Python for a standard-library module newer than it, and says so", () => {
    assert.deepEqual(lackedModules("ModuleNotFoundError: No module named 'dbm.sqlite3'", new Map()), ['dbm.sqlite3'], 'a package that loaded, without the submodule');
    assert.deepEqual(lackedModules("ImportError: cannot import name 'templatelib' from 'string' (/usr/lib/python3.11/string.py)", new Map()), ['string.templatelib']);
    assert.deepEqual(lackedModules("ModuleNotFoundError: No module named 'tomllib'", new Map(), { failedImports: ['tomllib'], program: '' }), ['tomllib']);
    assert.deepEqual(lackedModules("ImportError: cannot import name 'lods' from 'json' (/usr/lib/python3.11/json/__init__.py)", new Map()), [], "a name no Python's json has: the code's mistake");
    assert.deepEqual(lackedModules("ModuleNotFoundError: No module named 'dbm.sqlite4'", new Map()), []);
    assert.equal(unavailableDetail(['tomllib'], 'python'), "the sandbox's Python lacks tomllib (new in Python 3.11)");
    assert.equal(unavailableDetail(['numpy', 'dbm.sqlite3', 'tomllib'], 'python'), "numpy is not available in the sandbox; the sandbox's Python lacks dbm.sqlite3 (new in Python 3.13) and tomllib (new in Python 3.11)");
    assert.equal(unavailableDetail(['compression'], 'javascript'), 'compression is not available in the sandbox', 'an npm package of that name');
  });

  it('blames the sandbox for a module the function itself failed to load, and only where the run says it did', () => {
    const run = { failedImports: ['numpy', 'asyncio', 'fast-lib'], program: '' };
    assert.deepEqual(lackedModules("ModuleNotFoundError: No module named 'numpy'", new Map(), run), ['numpy']);
    assert.deepEqual(lackedModules('ModuleNotFoundError: the sandbox refused importing asyncio (PermissionError: the sandbox does not allow replacing code objects)', new Map(), run), ['asyncio']);
    assert.deepEqual(lackedModules("Error MODULE_NOT_FOUND: Cannot find module 'fast-lib'\nRequire stack:\n- /sbx/in/candidate.js", new Map(), run), ['fast-lib']);
    assert.deepEqual(lackedModules("ModuleNotFoundError: No module named 'numpy'", new Map(), { ...run, failedImports: [] }), [], 'raised by the code, which imported nothing');
    assert.deepEqual(lackedModules("ModuleNotFoundError: No module named 'scipy'", new Map(), run), []);
    assert.deepEqual(lackedModules('ImportError: numpy is required', new Map(), run), [], "the code's own ImportError, with no import of it at module level");
  });

  it("does not judge a name a top-level import's module lacked (`from json import lods`, a newer Python's name)", () => {
    const mayLack = new Map<string, ImportSource[]>([
      ['lods', [{ module: 'json', submodule: 'json.lods', unconditional: true }]],
      ['json', [{ module: 'json.lods', unconditional: true }]],
      ['mock', [{ module: 'unittest', submodule: 'unittest.mock', unconditional: true }]],
      ['util', [{ module: './util', submodule: './util.helper' }]],
    ]);
    const run = { failedImports: ['asyncio', 'unittest.mock'], program: '' };
    assert.deepEqual(lackedModules("NameError: name 'lods' is not defined", mayLack, run), ['json.lods'], 'json loaded, without lods');
    assert.deepEqual(lackedModules("NameError: name 'json' is not defined", mayLack, run), ['json.lods']);
    assert.deepEqual(lackedModules("NameError: name 'mock' is not defined", mayLack, run), ['unittest.mock'], 'the sandbox refused it');
    assert.deepEqual(lackedModules("NameError: name 'util' is not defined", mayLack, run), ['./util'], 'an import that never ran');
    assert.deepEqual(lackedModules("NameError: name 'nmupy' is not defined", mayLack, run), []);
  });

  it('names the modules, and says which check the sandbox refused and what the function did', () => {
    assert.equal(unavailableDetail(['numpy', 'numpy'], 'python'), 'numpy is not available in the sandbox');
    assert.equal(unavailableDetail(['numpy', './util', 'scipy'], 'python'), 'numpy, ./util and scipy are not available in the sandbox');
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
