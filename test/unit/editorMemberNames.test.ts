// Member names from the editor's completion list: where the cursor is on a member access, which entries count as
// members, where a statement may be creating an attribute, and how the list is asked for (once per member while
// its name is typed, again after an edit, within its time limit, never blocking or failing a completion).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EditorMemberNames, memberNamesOf } from '../../lsp-server/context/editorMemberNames';
import { mayCreateMember, memberAccess } from '../../lsp-server/context/memberAccess';
import { MemberNamesRequest, type EditorCompletionEntry, type MemberNamesParams, type MemberNamesResult } from '../../lsp-server/protocol';

const METHOD = 2;
const FIELD = 5;
const PROPERTY = 10;
const TEXT = 1;
const KEYWORD = 14;
const SNIPPET = 15;

describe('memberAccess', () => {
  it('finds the typed part of a member after a name, a call, an index or ?.', () => {
    assert.deepEqual(memberAccess('const x = client.converter.', 'other'), { typed: '' });
    assert.deepEqual(memberAccess('  this.reader.get', 'typescript'), { typed: 'get' });
    assert.deepEqual(memberAccess('make().val', 'other'), { typed: 'val' });
    assert.deepEqual(memberAccess('items[0].', 'other'), { typed: '' });
    assert.deepEqual(memberAccess('config?.sp', 'typescript'), { typed: 'sp' });
    assert.deepEqual(memberAccess('        x = self.', 'python'), { typed: '' });
  });

  it('is not one in numbers, spreads, comments, strings or a Python import', () => {
    assert.equal(memberAccess('const x = 2.', 'other'), undefined);
    assert.equal(memberAccess('const x = [...', 'other'), undefined);
    assert.equal(memberAccess('// see client.', 'other'), undefined);
    assert.equal(memberAccess('log("done.', 'other'), undefined);
    assert.equal(memberAccess('from .', 'python'), undefined);
    assert.equal(memberAccess('import os.', 'python'), undefined);
    assert.equal(memberAccess('x = 1  # see obj.', 'python'), undefined);
  });
});

describe('mayCreateMember', () => {
  it('is true for a statement that starts with the member access in JavaScript and Python', () => {
    assert.equal(mayCreateMember('class A {\n  constructor(x) {\n    if (x) {\n      this.', 'other'), true);
    assert.equal(mayCreateMember('class T:\n    def setUp(self):\n        self.cli', 'python'), true);
    assert.equal(mayCreateMember('module.exports.', 'other'), true);
    assert.equal(mayCreateMember('  options . retr', 'other'), true);
  });

  it('is false in TypeScript, where a type declares its members, and where the member is read', () => {
    assert.equal(mayCreateMember('class A {\n  run() {\n    this.', 'typescript'), false);
    assert.equal(mayCreateMember('    const y = this.', 'other'), false);
    assert.equal(mayCreateMember('        return self.', 'python'), false);
    assert.equal(mayCreateMember('  await client.', 'other'), false);
    assert.equal(mayCreateMember('  make().', 'other'), false);
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

  it('gives nothing for a list of words only (an untyped receiver) or one naming everything in scope', () => {
    assert.equal(memberNamesOf([{ name: 'foo', kind: TEXT }, { name: 'bar', kind: TEXT }]), undefined);
    const everything = Array.from({ length: MemberNamesRequest.maxEntries + 1 }, (_, i) => ({ name: `name${i}`, kind: METHOD }));
    assert.equal(memberNamesOf(everything), undefined);
  });
});

describe('EditorMemberNames', () => {
  const never = new AbortController().signal;
  const entries = [{ name: 'asUri', kind: METHOD }, { name: 'asRange', kind: METHOD }, { name: 'version', kind: FIELD }];
  const at = (character: number) => ({ line: 1, character });
  let clock = 0;
  const names = (ask: (params: MemberNamesParams, signal: AbortSignal) => Promise<MemberNamesResult | undefined>, timeoutMs = 1000) =>
    new EditorMemberNames({ ask, timeoutMs, now: () => clock });

  it('asks at the member start once while its name is typed, and offers the rest of each fitting name', async () => {
    const asked: MemberNamesParams[] = [];
    const members = names(async (params) => (asked.push(params), { entries }));
    assert.deepEqual(await members.wordChoices('file:///a.ts', at(5), 'x = 1;\nconv.', ' // end', 'typescript', never), ['asRange', 'asUri', 'version']);
    assert.deepEqual(await members.wordChoices('file:///a.ts', at(7), 'x = 1;\nconv.as', ' // end', 'typescript', never), ['Range', 'Uri']);
    assert.deepEqual(asked, [{ textDocument: { uri: 'file:///a.ts' }, position: { line: 1, character: 5 } }]);
    // A name the list lacks is left free.
    assert.equal(await members.wordChoices('file:///a.ts', at(7), 'x = 1;\nconv.zz', ' // end', 'typescript', never), undefined);
  });

  it('has no list to wait for where the client does not answer (undefined), unlike one whose editor is starting (null)', async () => {
    assert.equal(await names(async () => undefined).wordChoices('file:///a.ts', at(5), 'x = 1;\nconv.', '', 'typescript', never), undefined);
    assert.equal(await names(async () => null).wordChoices('file:///a.ts', at(5), 'x = 1;\nconv.', '', 'typescript', never), null);
  });

  it('asks again after an edit elsewhere in the file, and after a while', async () => {
    let asked = 0;
    const members = names(async () => (asked++, { entries }));
    await members.wordChoices('file:///a.ts', at(5), 'x = 1;\nconv.', '', 'typescript', never);
    await members.wordChoices('file:///a.ts', at(5), 'x = 2;\nconv.', '', 'typescript', never);
    await members.wordChoices('file:///a.ts', at(5), 'x = 2;\nconv.', '\nmore', 'typescript', never);
    assert.equal(asked, 3);
    clock += 60_000;
    await members.wordChoices('file:///a.ts', at(5), 'x = 2;\nconv.', '\nmore', 'typescript', never);
    assert.equal(asked, 4);
  });

  it('does not keep an answer without members: the editor may still be starting', async () => {
    let asked = 0;
    const members = names(async () => (asked++ === 0 ? null : { entries }));
    assert.equal(await members.wordChoices('file:///a.ts', at(5), 'conv.', '', 'typescript', never), null);
    assert.deepEqual(await members.wordChoices('file:///a.ts', at(5), 'conv.', '', 'typescript', never), ['asRange', 'asUri', 'version']);
  });

  it('goes on without a late list, which then serves the next keystroke', async () => {
    let answer: (result: MemberNamesResult) => void = () => undefined;
    let asked = 0;
    const members = names(() => (asked++, new Promise((resolve) => (answer = resolve))), 20);
    const started = Date.now();
    assert.equal(await members.wordChoices('file:///a.ts', at(5), 'conv.', '', 'typescript', never), null);
    assert.ok(Date.now() - started < 1000);
    answer({ entries });
    assert.deepEqual(await members.wordChoices('file:///a.ts', at(6), 'conv.a', '', 'typescript', never), ['sRange', 'sUri']);
    assert.equal(asked, 1);
  });

  it('never fails a completion: a rejected or throwing request, or a cancelled completion, leave it free', async () => {
    const rejecting = names(() => Promise.reject(new Error('no provider')));
    assert.equal(await rejecting.wordChoices('file:///a.ts', at(5), 'conv.', '', 'typescript', never), undefined);
    const throwing = names(() => {
      throw new Error('connection closed');
    });
    assert.equal(await throwing.wordChoices('file:///a.ts', at(5), 'conv.', '', 'typescript', never), undefined);
    const cancel = new AbortController();
    const pending = names(() => new Promise(() => undefined), 10_000).wordChoices('file:///a.ts', at(5), 'conv.', '', 'typescript', cancel.signal);
    cancel.abort();
    assert.equal(await pending, null);
  });

  it('does not ask off a member access or where a statement may create the member', async () => {
    let asked = 0;
    const members = names(async () => (asked++, { entries }));
    assert.equal(await members.wordChoices('file:///a.ts', at(6), 'const ', '', 'typescript', never), undefined);
    assert.equal(await members.wordChoices('file:///a.js', at(9), 'class A {\n  run() {\n    this.', '', 'other', never), undefined);
    assert.equal(await members.wordChoices('file:///a.js', at(15), 'module.exports.', '', 'other', never), undefined);
    assert.equal(asked, 0);
  });
});
