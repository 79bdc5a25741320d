import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InlineCompletionTriggerKind } from 'vscode-languageserver';
import { CompletionAsks } from '../../lsp-server/completionTrigger';

const { Automatic, Invoked } = InlineCompletionTriggerKind;
const URI = 'file:///a.ts';
const at = (line: number, character: number) => ({ line, character });

describe('CompletionAsks', () => {
  it('takes every explicit request for the user’s ask where the client does not mark asks, and a missing kind for typing', () => {
    const asks = new CompletionAsks();
    assert.equal(asks.triggerOf(URI, at(1, 2), Invoked), 'asked');
    assert.equal(asks.triggerOf(URI, at(1, 2), Automatic), 'typing');
    assert.equal(asks.triggerOf(URI, at(1, 2), undefined), 'typing');
  });

  it('where the client marks asks, an explicit request is the user’s only right after its mark, at the same place', () => {
    let now = 0;
    const asks = new CompletionAsks(() => now);
    asks.setClientMarks(true);
    // VS Code's request when the mouse rests on ghost text, or for Alt+].
    assert.equal(asks.triggerOf(URI, at(1, 2), Invoked), 'look');
    asks.asked(URI, at(1, 2));
    assert.equal(asks.triggerOf(URI, at(1, 2), Invoked), 'asked');
    assert.equal(asks.triggerOf(URI, at(1, 2), Invoked), 'look', 'a mark is spent by its request');
    asks.asked(URI, at(1, 2));
    assert.equal(asks.triggerOf(URI, at(1, 3), Invoked), 'look', 'elsewhere in the document');
    asks.asked('file:///b.ts', at(1, 2));
    assert.equal(asks.triggerOf(URI, at(1, 2), Invoked), 'look', 'another document');
    // A key pressed just before Alt+\: its request may come between the mark and the explicit one.
    asks.asked(URI, at(1, 2));
    assert.equal(asks.triggerOf(URI, at(1, 2), Automatic), 'typing');
    assert.equal(asks.triggerOf(URI, at(1, 2), Invoked), 'asked');
    // A mark whose request never came: a hover there seconds later is no ask.
    asks.asked(URI, at(1, 2));
    now += 2500;
    assert.equal(asks.triggerOf(URI, at(1, 2), Invoked), 'look');
  });
});
