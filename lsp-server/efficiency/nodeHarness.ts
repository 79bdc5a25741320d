// The program that runs inside the sandbox for JavaScript/TypeScript candidates (TypeScript is stripped in the
// parent first). Protocol and threat model: resultChannel.ts. Everything the harness relies on is captured
// before the candidate loads, so later monkeypatching of globals does not reach it.
export const NODE_HARNESS_FILE = 'harness.js';
export const NODE_CANDIDATE_FILE = 'candidate.js';

export const NODE_HARNESS_SOURCE = String.raw`'use strict';
const fs = require('fs');
// Descriptors the server inherited from its parent reach here too: closed before anything else (inheritedDescriptors.ts).
for (const fd of (process.env.LOCUS_CLOSE_FDS || '').split(',')) {
  if (fd !== '') try { fs.closeSync(Number(fd)); } catch (e) { /* not open here */ }
}
delete process.env.LOCUS_CLOSE_FDS;
const crypto = require('crypto');
const hrtime = process.hrtime.bigint;
const writeSync = fs.writeSync;
const readSync = fs.readSync;
const clone = structuredClone;
const stringify = JSON.stringify;
const createHmac = crypto.createHmac;
const NumberCtor = Number;
const BigInt64ArrayCtor = BigInt64Array;
const BigIntCtor = BigInt;
// The signing path, bound now: a candidate that wrapped Buffer.from or the Hmac methods signed forged frames.
const apply = Reflect.apply;
const bufferFrom = Buffer.from.bind(Buffer);
const hmacPrototype = Object.getPrototypeOf(createHmac('sha256', 'x'));
const hmacUpdate = hmacPrototype.update;
const hmacDigest = hmacPrototype.digest;
const isArray = Array.isArray;
const iteratorSymbol = Symbol.iterator;
const asyncIteratorSymbol = Symbol.asyncIterator;
const objectKeys = Object.keys;

function readAllStdin() {
  const chunks = [];
  const buffer = Buffer.alloc(65536);
  for (;;) {
    let n;
    try { n = readSync(0, buffer, 0, buffer.length, null); }
    catch (e) { if (e.code === 'EAGAIN') { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5); continue; } throw e; }
    if (n === 0) break;
    chunks.push(Buffer.from(buffer.subarray(0, n)));
  }
  buffer.fill(0);
  return Buffer.concat(chunks);
}

const raw = readAllStdin();
try { fs.closeSync(0); } catch (e) { /* already closed */ }
const job = JSON.parse(raw.toString('utf8'));
raw.fill(0);
const keyBytes = Buffer.from(job.key, 'hex');
const key = crypto.createSecretKey(keyBytes);
keyBytes.fill(0);
job.key = '';
let seq = 0;

function send(type, body) {
  const json = stringify(body);
  const head = seq + ' ' + type + ' ' + json;
  const hmac = createHmac('sha256', key);
  apply(hmacUpdate, hmac, [head]);
  const mac = apply(hmacDigest, hmac, ['hex']);
  const line = bufferFrom(mac + ' ' + head + '\n');
  let offset = 0;
  while (offset < line.length) {
    try { offset += writeSync(3, line, offset); }
    catch (e) { if (e.code !== 'EAGAIN') throw e; }
  }
  seq++;
}

// Items an iterator or generator is encoded by, across a whole value (the Python harness's _ITEMS), marked when it had
// more; and values encoded in all, since objects shared along many paths branch at every level.
const ITEMS = 1000;
const NODES = 20000;
function encode(value, depth, seen, budget = { items: ITEMS, nodes: NODES }) {
  if (depth > 32) return { $deep: 1 };
  if (--budget.nodes < 0) return { $big: 1 };
  if (value === null) return null;
  switch (typeof value) {
    case 'undefined': return { $u: 1 };
    case 'boolean': case 'string': return value;
    case 'number': return NumberCtor.isFinite(value) ? (Object.is(value, -0) ? 0 : value) : { $n: String(value) };
    case 'bigint': return { $b: String(value) };
    case 'function': return { $f: 1 };
    case 'symbol': return { $sym: String(value.description) };
  }
  if (seen.has(value)) return { $cycle: 1 };
  seen.add(value);
  const inner = (v) => encode(v, depth + 1, seen, budget);
  try {
    if (isArray(value) || ArrayBuffer.isView(value)) return Array.from(value, inner);
    if (value instanceof Map) return { $m: Array.from(value, ([k, v]) => [inner(k), inner(v)]).sort(byJson) };
    if (value instanceof Set) return { $s: Array.from(value, inner).sort(byJson) };
    if (value instanceof Date) return { $d: value.getTime() };
    if (value instanceof Error) return { $e: value.name };
    // A generator or another iterator: what it yields, so that two that yield different values disagree.
    if (typeof value.next === 'function' && typeof value[iteratorSymbol] === 'function') return encodeIterator(value, inner, budget);
    const out = {};
    for (const k of objectKeys(value).sort()) out[k] = inner(value[k]);
    return out;
  } finally { seen.delete(value); }
}
function encodeIterator(iterator, inner, budget) {
  const items = [];
  let more = false;
  for (;;) {
    const step = iterator.next();
    if (step.done) break;
    if (items.length >= budget.items) { more = true; break; }
    items[items.length] = step.value;
  }
  budget.items -= items.length;
  // Plain loops: the candidate may have replaced Array.prototype's methods.
  const encoded = [];
  for (let i = 0; i < items.length; i++) encoded[i] = inner(items[i]);
  const out = { $it: encoded };
  if (more) out.$more = 1;
  return out;
}
function byJson(a, b) { const x = stringify(a), y = stringify(b); return x < y ? -1 : x > y ? 1 : 0; }

function describe(error) {
  if (error && typeof error === 'object') return String(error.name || 'Error') + (error.code ? ' ' + error.code : '') + ': ' + String(error.message).slice(0, 200) + refused(error);
  return 'thrown ' + String(error).slice(0, 200);
}
// The permission model's message names nothing; what it refused is on the error: " (FileSystemRead: /etc/hostname)".
function refused(error) {
  if (error.code !== 'ERR_ACCESS_DENIED' || !error.permission) return '';
  return ' (' + String(error.permission) + (error.resource ? ': ' + String(error.resource).slice(0, 200) : '') + ')';
}

function isThenable(v) { return v !== null && (typeof v === 'object' || typeof v === 'function') && typeof v.then === 'function'; }

// What a call returned, settled as the caller would use it (the Python harness's _settle): a promise awaited, an iterator
// (a generator) or an async iterator (an async generator, each next() awaited) pulled up to the items encode compares,
// inside the timed region: the call's time is producing what it yields, not only creating the generator. What it
// yielded comes back as an iterator over those items. Synchronous unless the value needs awaiting: each await adds
// microtask turns to the timed region, where most candidates take a few microseconds.
function settle(value) {
  if (isThenable(value)) return settleAwaited(value);
  if (value === null || typeof value !== 'object' || typeof value.next !== 'function') return value;
  if (typeof value[asyncIteratorSymbol] === 'function') return pullAsync(value);
  if (typeof value[iteratorSymbol] !== 'function') return value;
  const items = [];
  for (let step; items.length <= ITEMS && !(step = value.next()).done;) items[items.length] = step.value;
  return itemsIterator(items);
}
async function settleAwaited(promise) {
  return settle(await promise);
}
async function pullAsync(iterator) {
  const items = [];
  for (let step; items.length <= ITEMS && !(step = await iterator.next()).done;) items[items.length] = step.value;
  return itemsIterator(items);
}
// No prototype, no Array iterator: the candidate can replace both.
function itemsIterator(items) {
  let i = 0;
  return { __proto__: null, next: () => (i < items.length ? { __proto__: null, done: false, value: items[i++] } : { __proto__: null, done: true }), [iteratorSymbol]() { return this; } };
}

// A typed array and a sort of its own: the candidate can replace Array.prototype's push and sort. \`prepare\` (copying
// the arguments) runs outside the timed region: a structured clone costs ~100 us against the few us most candidates
// need, and its noise swamped the differences the ranking is after. It still counts in totalNs (the CPU the parent
// cross-checks) and in the budget.
async function timeCall(call, prepare, reps) {
  const times = new BigInt64ArrayCtor(reps.max > reps.min ? reps.max : reps.min);
  let count = 0;
  let total = 0n;
  const budget = BigIntCtor(reps.budgetMs) * 1000000n;
  for (let i = 0; i < reps.warmup; i++) { const t0 = hrtime(); const r = settle(call(prepare())); if (isThenable(r)) await r; total += hrtime() - t0; }
  while (count < reps.min || (count < reps.max && total < budget)) {
    const t0 = hrtime();
    const args = prepare();
    const t1 = hrtime();
    const r = settle(call(args));
    if (isThenable(r)) await r;
    const t2 = hrtime();
    total += t2 - t0;
    times[count++] = t2 - t1;
  }
  for (let i = 1; i < count; i++) {
    const value = times[i];
    let j = i - 1;
    for (; j >= 0 && times[j] > value; j--) times[j + 1] = times[j];
    times[j + 1] = value;
  }
  // No prototype: resolving the async function reads \`then\` from what it returns, and a getter on Object.prototype caught it.
  return { __proto__: null, reps: count, medianNs: NumberCtor(times[count >> 1]), totalNs: NumberCtor(total) };
}

// Modules whose require failed, for the done frame: whether a try statement's require fell back to its catch, or a
// function's own require failed for a module the sandbox lacks (checkFailures.ts). Each once; every require of the
// candidate's goes through Module.prototype.require, the harness's own load of it does not.
const Module = require('module');
const moduleRequire = Module.prototype.require;
const failedImports = [];
Module.prototype.require = function require(id) {
  try {
    return apply(moduleRequire, this, [id]);
  } catch (e) {
    let listed = failedImports.length >= 100 || typeof id !== 'string';
    for (let i = 0; !listed && i < failedImports.length; i++) listed = failedImports[i] === id;
    if (!listed) failedImports[failedImports.length] = id;
    throw e;
  }
};

async function main() {
  if (job.mode === 'reference') {
    for (const check of job.checks) {
      // No prototype: a setter the candidate put on Object.prototype cannot catch what is written below.
      const body = { __proto__: null, id: check.id };
      try { body.value = encode(new Function('return (' + check.expectedSource + '\n);')(), 0, new Set()); body.ok = true; }
      catch (e) { body.ok = false; body.error = describe(e); }
      send('check', body);
    }
    send('done', { frames: seq });
    return;
  }
  const t0 = hrtime();
  let target;
  try {
    target = apply(moduleRequire, module, ['./candidate.js']).__locus_target;
    if (typeof target !== 'function') throw new Error('the candidate does not define ' + job.functionName);
  } catch (e) {
    send('load', { ok: false, error: describe(e), loadNs: NumberCtor(hrtime() - t0) });
    for (const check of job.checks) send('check', { id: check.id, ok: false, error: 'not loaded' });
    send('done', { frames: seq, failedImports });
    return;
  }
  send('load', { ok: true, loadNs: NumberCtor(hrtime() - t0) });
  // Every check's value first, in order, as doctest runs a docstring's examples; the timings after: an example that
  // reads what the earlier ones left (a memo's call count) sees their single calls, not their timing repetitions.
  // No prototypes and indexed loops: a setter or an iterator the candidate put on the prototypes cannot reach them.
  const checks = job.checks;
  const measured = { __proto__: null };
  for (let i = 0; i < checks.length; i++) {
    const check = checks[i];
    const body = { __proto__: null, id: check.id };
    measured[i] = { __proto__: null, body, call: undefined, prepare: undefined };
    try {
      let call;
      let prepare = () => undefined;
      if (check.args !== undefined || check.argsSource !== undefined) {
        const args = check.args !== undefined ? check.args : new Function(job.functionName, 'return [' + check.argsSource + '\n];')(target);
        prepare = () => clone(args);
        call = (copy) => target(...copy);
      } else {
        const evaluate = new Function(job.functionName, 'return (' + check.callSource + '\n);');
        call = () => evaluate(target);
      }
      let first = settle(call(prepare()));
      if (isThenable(first)) first = await first;
      body.value = encode(first, 0, new Set());
      body.ok = true;
      measured[i].call = call;
      measured[i].prepare = prepare;
    } catch (e) {
      body.ok = false;
      body.error = describe(e);
    }
  }
  for (let i = 0; i < checks.length; i++) {
    const { body, call, prepare } = measured[i];
    if (call !== undefined) {
      try {
        // Field by field, not through Object.assign, which the candidate can replace (a forged median ranked it first).
        const timing = await timeCall(call, prepare, job.reps);
        body.reps = timing.reps;
        body.medianNs = timing.medianNs;
        body.totalNs = timing.totalNs;
      } catch (e) {
        body.ok = false;
        body.error = describe(e);
      }
    }
    send('check', body);
  }
  send('done', { frames: seq, failedImports });
}

main().then(() => {
  const one = Buffer.alloc(1);
  for (;;) {
    try { if (readSync(3, one, 0, 1, null) === 0) break; }
    catch (e) { if (e.code !== 'EAGAIN') break; Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50); }
  }
}, (e) => { try { writeSync(2, 'harness failure: ' + describe(e) + '\n'); } catch (_) { /* nothing left to report on */ } });
`;
