// Telling a check the code failed from one the sandbox failed (a module it lacks, a file it refuses), and saying
// which in words the user can act on.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkLabels, deniedDetail, lackedModule, unavailableDetail } from '../../lsp-server/efficiency/checkFailures';

const MAY_LACK = new Map([['np', 'numpy'], ['clamp', './mathUtil'], ['$q', 'jquery']]);

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

  it('names the modules, and says which check the sandbox refused and what the function did', () => {
    assert.equal(unavailableDetail(['numpy', 'numpy']), 'numpy is not available in the sandbox');
    assert.equal(unavailableDetail(['numpy', './util', 'scipy']), 'numpy, ./util and scipy are not available in the sandbox');
    assert.match(deniedDetail("PermissionError: [Errno 13] Permission denied: '/etc/shadow'", 'example 2'), /^the function uses files, which the sandbox does not allow \(.* in example 2\)$/);
    assert.match(deniedDetail('Error ERR_ACCESS_DENIED: Access to this API has been restricted', 'example 1'), /^the function uses files or runs programs, /);
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
