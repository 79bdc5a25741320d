// Member names from the editor's completion list: where the cursor is on a member access, which entries count as
// members, when a constructor may be creating an attribute, and how the list is asked for (once per member, within
// its time limit, never blocking a completion).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EditorMemberNames, mayCreateAttribute, memberAccess, memberNamesOf } from '../../lsp-server/context/editorMemberNames';
import type { EditorCompletionEntry, MemberNamesParams } from '../../lsp-server/protocol';

const METHOD = 2;
const FIELD = 5;
const PROPERTY = 10;
const TEXT = 1;
const KEYWORD = 14;
const SNIPPET = 15;

describe('memberAccess', () => {
  it('finds the typed part of a member after a name, a call, an index or ?.', () => {
    assert.deepEqual(memberAccess('const x = client.converter.', false), { typed: '' });
    assert.deepEqual(memberAccess('  this.reader.get', false), { typed: 'get' });
    assert.deepEqual(memberAccess('make().val', false), { typed: 'val' });
    assert.deepEqual(memberAccess('items[0].', false), { typed: '' });
    assert.deepEqual(memberAccess('config?.sp', false), { typed: 'sp' });
    assert.deepEqual(memberAccess('        self.', true), { typed: '' });
  });

  it('is not one in numbers, spreads, comments, strings or a Python relative import', () => {
    assert.equal(memberAccess('const x = 2.', false), undefined);
    assert.equal(memberAccess('const x = [...', false), undefined);
    assert.equal(memberAccess('// see client.', false), undefined);
    assert.equal(memberAccess('log("done.', false), undefined);
    assert.equal(memberAccess('from .', true), undefined);
    assert.equal(memberAccess('import os.', true), undefined);
    assert.equal(memberAccess('x = 1  # see obj.', true), undefined);
  });
});

describe('mayCreateAttribute', () => {
  it('is true for a statement starting with this. or self. in a constructor or __init__', () => {
    assert.equal(mayCreateAttribute('class A {\n  constructor(x) {\n    this.'), true);
    assert.equal(mayCreateAttribute('class A:\n    def __init__(self, x):\n        self.val'), true);
  });

  it('is false in other methods and where the access is read, not assigned', () => {
    assert.equal(mayCreateAttribute('class A {\n  run(x) {\n    this.'), false);
    assert.equal(mayCreateAttribute('class A {\n  constructor(x) {\n    const y = this.'), false);
    assert.equal(mayCreateAttribute('class A:\n    def run(self):\n        self.'), false);
    assert.equal(mayCreateAttribute('client.'), false);
  });
});

describe('memberNamesOf', () => {
  it('keeps identifiers of member kinds, drops words, keywords and snippets', () => {
    const entries: EditorCompletionEntry[] = [
      { name: 'asUri', kind: METHOD },
      { name: 'version', kind: FIELD },
      { name: 'label?', kind: PROPERTY },
      { name: 'somethingInTheFile', kind: TEXT },
      { name: 'await', kind: KEYWORD },
      { name: 'for', kind: SNIPPET },
      { name: '["odd key"]', kind: PROPERTY },
      { name: 'unknownKind' },
    ];
    assert.deepEqual(memberNamesOf(entries), ['asUri', 'label', 'version']);
  });

  it('gives nothing for a list of words only (an untyped receiver)', () => {
    assert.equal(memberNamesOf([{ name: 'foo', kind: TEXT }, { name: 'bar', kind: TEXT }]), undefined);
  });
});

describe('EditorMemberNames', () => {
  const never = new AbortController().signal;
  const entries = [{ name: 'asUri', kind: METHOD }, { name: 'asRange', kind: METHOD }, { name: 'version', kind: FIELD }];

  it('asks at the member start once while its name is typed, and offers the rest of each fitting name', async () => {
    const asked: MemberNamesParams[] = [];
    const names = new EditorMemberNames({ ask: async (params) => (asked.push(params), { entries }), timeoutMs: 1000 });
    assert.deepEqual(await names.wordChoices('file:///a.ts', { line: 3, character: 14 }, 'x\ny\nz\n  conv.', false, never), ['asRange', 'asUri', 'version']);
    assert.deepEqual(await names.wordChoices('file:///a.ts', { line: 3, character: 16 }, 'x\ny\nz\n  conv.as', false, never), ['Range', 'Uri']);
    assert.deepEqual(asked, [{ textDocument: { uri: 'file:///a.ts' }, position: { line: 3, character: 14 } }]);
    // A name the list lacks is left free.
    assert.equal(await names.wordChoices('file:///a.ts', { line: 3, character: 16 }, 'x\ny\nz\n  conv.zz', false, never), undefined);
  });

  it('goes on without the list when the editor is slow, fails or has none', async () => {
    const slow = new EditorMemberNames({ ask: () => new Promise(() => undefined), timeoutMs: 20 });
    const started = Date.now();
    assert.equal(await slow.wordChoices('file:///a.ts', { line: 0, character: 5 }, 'conv.', false, never), undefined);
    assert.ok(Date.now() - started < 1000);
    const failing = new EditorMemberNames({ ask: () => Promise.reject(new Error('no provider')), timeoutMs: 1000 });
    assert.equal(await failing.wordChoices('file:///a.ts', { line: 0, character: 5 }, 'conv.', false, never), undefined);
    const none = new EditorMemberNames({ ask: async () => null, timeoutMs: 1000 });
    assert.equal(await none.wordChoices('file:///a.ts', { line: 0, character: 5 }, 'conv.', false, never), undefined);
  });

  it('stops waiting when the completion is cancelled, and tells the client', async () => {
    let clientSignal: AbortSignal | undefined;
    const names = new EditorMemberNames({ ask: (_params, signal) => ((clientSignal = signal), new Promise(() => undefined)), timeoutMs: 10_000 });
    const cancel = new AbortController();
    const pending = names.wordChoices('file:///a.ts', { line: 0, character: 5 }, 'conv.', false, cancel.signal);
    cancel.abort();
    assert.equal(await pending, undefined);
    assert.equal(clientSignal?.aborted, true);
  });

  it('does not ask off a member access or where a constructor may be creating the attribute', async () => {
    let asked = 0;
    const names = new EditorMemberNames({ ask: async () => (asked++, { entries }), timeoutMs: 1000 });
    assert.equal(await names.wordChoices('file:///a.ts', { line: 0, character: 6 }, 'const ', false, never), undefined);
    assert.equal(await names.wordChoices('file:///a.js', { line: 2, character: 9 }, 'class A {\n  constructor() {\n    this.', false, never), undefined);
    assert.equal(asked, 0);
  });
});
