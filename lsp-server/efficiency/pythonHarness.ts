// The program that runs inside the sandbox for Python candidates: same protocol as nodeHarness.ts
// (resultChannel.ts explains it). Python hides nothing from in-process code (gc, frames), which is why the parent
// never trusts a verdict from here, only values and the operating system's numbers.
export const PYTHON_HARNESS_FILE = 'harness.py';
export const PYTHON_CANDIDATE_FILE = 'candidate.py';
/** A check's error when its coroutine waits on something only an event loop resumes (see _drive below). */
export const NEEDS_EVENT_LOOP = /^NeedsEventLoop:/;

export const PYTHON_HARNESS_SOURCE = String.raw`import sys, os, json, hmac, hashlib, time, copy, math, itertools, collections.abc, _frozen_importlib

# Descriptors the server inherited from its parent reach here too: closed before anything else (inheritedDescriptors.ts).
for _fd in os.environ.pop('LOCUS_CLOSE_FDS', '').split(','):
    if _fd:
        try:
            os.close(int(_fd))
        except OSError:
            pass

# A seat belt, not a boundary: /sbx/tmp cannot be noexec, so refuse replacing this process with a program the candidate
# wrote there (forks already fail on RLIMIT_NPROC). Constants only, no globals a candidate could rebind; replacing
# the hook's code is refused too, and Python cannot remove a hook (a rebound PermissionError still makes it raise).
def _refuse_exec(event, args):
    if event in ('os.exec', 'os.posix_spawn', 'os.fork', 'os.forkpty', 'os.system', 'subprocess.Popen', 'ctypes.dlopen'):
        raise PermissionError('the sandbox does not run other programs (%s)' % event)
    if event == 'object.__setattr__' and args[1] == '__code__':
        raise PermissionError('the sandbox does not allow replacing code objects')

sys.addaudithook(_refuse_exec)
del _refuse_exec

_perf = time.perf_counter_ns
_write = os.write
_read = os.read
_deepcopy = copy.deepcopy
_dumps = json.dumps
_hmac_new = hmac.new
_sha256 = hashlib.sha256
_isfinite = math.isfinite
_islice = itertools.islice
_Iterator = collections.abc.Iterator
_Awaitable = collections.abc.Awaitable
_AsyncIterator = collections.abc.AsyncIterator

def _read_stdin():
    chunks = []
    while True:
        chunk = _read(0, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    return b''.join(chunks)

_raw = _read_stdin()
os.close(0)
_job = json.loads(_raw)
del _raw
_key = bytes.fromhex(_job['key'])
_job['key'] = ''
_state = {'seq': 0}

def _send(kind, body):
    text = _dumps(body, separators=(',', ':'), allow_nan=False)
    head = '%d %s %s' % (_state['seq'], kind, text)
    mac = _hmac_new(_key, head.encode('utf-8'), _sha256).hexdigest()
    line = (mac + ' ' + head + '\n').encode('utf-8')
    while line:
        line = line[_write(3, line):]
    _state['seq'] += 1

def _sort_key(item):
    return _dumps(item, sort_keys=True)

# Items of returned iterators (generators, map, zip, ...) that are compared, over the whole value: an iterator is
# encoded as its first items, marked when there were more, so that generators that yield different values disagree.
_ITEMS = 1000
# Values encoded in all: objects that point back at each other (a doubly linked list's prev and next) branch at every
# level, and 4 nodes took over 90 s to depth 32; an object met again on its own path is a cycle.
_NODES = 20000

def _encode(value, depth=0, budget=None, path=None):
    if budget is None:
        budget = [_ITEMS, _NODES]
        path = set()
    if depth > 32:
        return {'$deep': 1}
    budget[1] -= 1
    if budget[1] < 0:
        return {'$big': 1}
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if abs(value) < 2 ** 53 else {'$b': str(value)}
    if isinstance(value, float):
        if _isfinite(value):
            return 0 if value == 0 else value
        return {'$n': 'NaN' if value != value else ('Infinity' if value > 0 else '-Infinity')}
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return [_encode(v, depth + 1, budget, path) for v in value]
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value):
            return {k: _encode(value[k], depth + 1, budget, path) for k in sorted(value)}
        return {'$m': sorted(([_encode(k, depth + 1, budget, path), _encode(v, depth + 1, budget, path)] for k, v in value.items()), key=_sort_key)}
    if isinstance(value, (set, frozenset)):
        return {'$s': sorted((_encode(v, depth + 1, budget, path) for v in value), key=_sort_key)}
    if isinstance(value, BaseException):
        return {'$e': type(value).__name__}
    if isinstance(value, _Iterator):
        items = list(_islice(value, budget[0] + 1))
        more = len(items) > budget[0]
        items = items[:budget[0]]
        budget[0] -= len(items)
        encoded = {'$it': [_encode(v, depth + 1, budget, path) for v in items]}
        if more:
            encoded['$more'] = 1
        return encoded
    attributes = getattr(value, '__dict__', None)
    if isinstance(attributes, dict):
        if id(value) in path:
            return {'$cycle': type(value).__name__}
        path.add(id(value))
        encoded = {'$o': type(value).__name__, 'attrs': {k: _encode(attributes[k], depth + 1, budget, path) for k in sorted(k for k in attributes if isinstance(k, str))}}
        path.discard(id(value))
        return encoded
    return {'$o': type(value).__name__}

class NeedsEventLoop(Exception):
    pass

# A coroutine is run here without asyncio (whose import the audit hook refuses): one that never suspends, or suspends
# only with a bare yield (asyncio.sleep(0)), runs to the end exactly as under an event loop; one that waits on a
# future cannot, and is not checkable here.
def _drive(awaitable, _StopIteration=StopIteration):
    step = awaitable.__await__()
    try:
        while True:
            if step.send(None) is not None:
                step.close()
                raise NeedsEventLoop('it waits on something only an event loop resumes')
    except _StopIteration as stop:
        return stop.value

# Whether a call's value is a coroutine or an iterator, which _settle runs or pulls. Decided once per check, from its
# value: the ABC checks cost ~0.5 us, more than a fast candidate's whole call, so plain values are timed without them.
def _needs_settling(value, _isinstance=isinstance, _kinds=(_Awaitable, _AsyncIterator, _Iterator)):
    return _isinstance(value, _kinds)

# What a call returned, settled as the caller would use it: a coroutine run to its value, an iterator (a generator,
# an async generator) pulled, up to the items _encode compares, so that producing them is part of the call's time.
# Helpers bound as defaults, like _time_call's, where a candidate cannot replace them.
def _settle(value, _drive=_drive, _islice=_islice, _list=list, _iter=iter, _len=len, _isinstance=isinstance, _StopAsyncIteration=StopAsyncIteration,
            _Awaitable=_Awaitable, _AsyncIterator=_AsyncIterator, _Iterator=_Iterator, _ITEMS=_ITEMS):
    if _isinstance(value, _Awaitable):
        value = _drive(value)
    if _isinstance(value, _AsyncIterator):
        items = []
        try:
            while _len(items) <= _ITEMS:
                items.append(_drive(value.__anext__()))
        except _StopAsyncIteration:
            pass
        return _iter(items)
    if _isinstance(value, _Iterator):
        return _iter(_list(_islice(value, _ITEMS + 1)))
    return value

def _describe(error):
    return (type(error).__name__ + ': ' + str(error))[:200]

# Modules whose load failed, for the done frame: which of an import's modules the sandbox lacked (unittest.mock, not
# unittest, for 'from unittest import mock'), whether a try statement's import fell back, and whether a function's own
# import failed for a module the sandbox lacks (checkFailures.ts). Each once, as a check's calls import it again.
_failed_imports = []

def _refusal(error, _PermissionError=PermissionError):
    while error is not None and not isinstance(error, _PermissionError):
        error = error.__cause__
    return error

# A module a package that loaded does not have ('from json import lods' looks for json.lods): the code's mistake, not
# a module the sandbox lacks, so not listed. A namespace package (no __file__) may lie in folders the sandbox lacks.
def _absent_from_package(name, error, _modules=sys.modules, _isinstance=isinstance, _getattr=getattr,
                         _ModuleNotFoundError=ModuleNotFoundError):
    parent = name.rpartition('.')[0]
    return (_isinstance(error, _ModuleNotFoundError) and error.name == name and parent != ''
            and _getattr(_modules.get(parent), '__file__', None) is not None)

# A module whose load the sandbox refuses (asyncio's sets a function's __code__, which the audit hook forbids) fails
# as a missing one does, with ModuleNotFoundError: 'try: import asyncio' / 'except ImportError: asyncio = None' runs
# its fallback, as where the module is not installed. The hook still refuses; only the error's type changes. Wrapped
# here, where importlib loads a module not yet in sys.modules (statements, import_module, a from-list's submodules):
# importing a loaded module never reaches it, so the calls the checks time cost nothing more. Any error listed: a
# module that raises as it loads (a file it reads) is one the sandbox cannot load either.
def _find_and_load(name, *rest, _load=_frozen_importlib._find_and_load, _failed=_failed_imports, _refusal=_refusal,
                   _absent_from_package=_absent_from_package, _describe=_describe, _len=len, _isinstance=isinstance,
                   _ImportError=ImportError, _ModuleNotFoundError=ModuleNotFoundError, _PermissionError=PermissionError):
    try:
        return _load(name, *rest)
    except Exception as error:
        if _len(_failed) < 100 and name not in _failed and not _absent_from_package(name, error):
            _failed.append(name)
        refusal = _refusal(error) if _isinstance(error, (_ImportError, _PermissionError)) else None
        if refusal is None:
            raise
        # No name= on it: importlib drops a from-list submodule's error that names it, for "cannot import name 'mock'".
        raise _ModuleNotFoundError('the sandbox refused importing %s (%s)' % (name, _describe(refusal))) from error

_frozen_importlib._find_and_load = _find_and_load

# The clock and the helpers are bound as defaults, not looked up as globals at call time, where a candidate replaced
# them (a frozen clock passed with time 0). In-process Python can still reach them: the parent's CPU cross-check stays.
# prepare (copying the arguments) runs outside the timed region: a deep copy costs ~100 us against the few us most
# candidates need, and its noise swamped the differences the ranking is after. It still counts in totalNs, the
# CPU the parent cross-checks, and in the budget.
def _time_call(call, prepare, reps, _perf=_perf, _len=len):
    times = []
    total = 0
    budget = reps['budgetMs'] * 1000000
    for _ in range(reps['warmup']):
        t0 = _perf()
        call(prepare())
        total += _perf() - t0
    while _len(times) < reps['min'] or (_len(times) < reps['max'] and total < budget):
        t0 = _perf()
        a = prepare()
        t1 = _perf()
        call(a)
        t2 = _perf()
        total += t2 - t0
        times.append(t2 - t1)
    times.sort()
    return {'reps': _len(times), 'medianNs': times[_len(times) // 2], 'totalNs': total}

_pack = '(lambda *a, **k: (a, k))('

def _send_each(jobs, _send=_send, _describe=_describe):
    # One check frame per (id, job): the job's value, or the error it raised; then the end.
    for ident, job in jobs:
        body = {'id': ident}
        try:
            body['value'] = job()
            body['ok'] = True
        except BaseException as e:
            body['ok'] = False
            body['error'] = _describe(e)
        _send('check', body)
    _send('done', {'frames': _state['seq']})

def _main(_time_call=_time_call, _send=_send, _encode=_encode, _describe=_describe, _send_each=_send_each, _settle=_settle, _needs_settling=_needs_settling):
    if _job['mode'] == 'compile':
        # Only compiled, never run: a candidate whose function does not compile is left out (functionTarget.ts
        # parses TypeScript and JavaScript in the parent for the same purpose).
        return _send_each((str(index), lambda source=source: compile(source, 'candidate.py', 'exec') and None) for index, source in enumerate(_job['sources']))
    if _job['mode'] == 'reference':
        return _send_each((check['id'], lambda check=check: _encode(eval(check['expectedSource'], {}))) for check in _job['checks'])
    name = _job['functionName']
    t0 = _perf()
    namespace = {'__name__': 'candidate'}
    try:
        with open('/sbx/in/candidate.py', encoding='utf-8') as f:
            source = f.read()
        exec(compile(source, 'candidate.py', 'exec'), namespace)
        target = namespace.get(name)
        if not callable(target):
            raise NameError('the candidate does not define ' + name)
    except BaseException as e:
        _send('load', {'ok': False, 'error': _describe(e), 'loadNs': _perf() - t0})
        for check in _job['checks']:
            _send('check', {'id': check['id'], 'ok': False, 'error': 'not loaded'})
        _send('done', {'frames': _state['seq'], 'failedImports': _failed_imports})
        return
    _send('load', {'ok': True, 'loadNs': _perf() - t0})
    # Every check's value first, in order, as doctest runs a docstring's examples; the timings after: an example that
    # reads what the earlier ones left (a cache's hit count) sees their single calls, not their timing repetitions.
    measured = []
    for check in _job['checks']:
        body = {'id': check['id']}
        measured.append((body, None, None))
        try:
            if 'args' in check:
                args, kwargs = tuple(check['args']), {}
            elif 'argsSource' in check:
                args, kwargs = eval(_pack + check['argsSource'] + '\n)', namespace)
            else:
                args = None
            # Bound as defaults: the timings run after this loop has moved on to other checks.
            if args is not None:
                prepare = lambda args=args, kwargs=kwargs: (_deepcopy(args), _deepcopy(kwargs))
                call = lambda a: target(*a[0], **a[1])
            else:
                code = compile(check['callSource'], 'example', 'eval')
                prepare = lambda: None
                call = lambda a, code=code: eval(code, namespace)
            value = call(prepare())
            if _needs_settling(value):
                call = lambda a, call=call: _settle(call(a))
            body['value'] = _encode(_settle(value))
            body['ok'] = True
            measured[-1] = (body, call, prepare)
        except BaseException as e:
            body['ok'] = False
            body['error'] = _describe(e)
    for body, call, prepare in measured:
        if call is not None:
            try:
                body.update(_time_call(call, prepare, _job['reps']))
            except BaseException as e:
                body['ok'] = False
                body['error'] = _describe(e)
        _send('check', body)
    _send('done', {'frames': _state['seq'], 'failedImports': _failed_imports})

try:
    _main()
except BaseException as e:
    os.write(2, ('harness failure: ' + _describe(e) + '\n').encode())
else:
    while True:
        try:
            if not _read(3, 1):
                break
        except BaseException:
            break
`;
