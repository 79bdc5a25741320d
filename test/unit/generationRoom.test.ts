// How a model's context is shared between a completion's prompt and its generation (lsp-server/generationRoom.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newTokensFor, promptBudgetFor } from '../../lsp-server/generationRoom';

describe('generationRoom', () => {
  it('leaves the settings as they are where both fit', () => {
    assert.equal(newTokensFor(1024, 512, 96), 96);
    assert.equal(promptBudgetFor(1024, 512, 96), 512);
    assert.equal(promptBudgetFor(32768, 512, 1024), 512);
  });

  it('cuts the generation so that the prompt keeps half the context, or its whole budget where smaller', () => {
    assert.equal(newTokensFor(1024, 512, 1024), 509);
    assert.equal(promptBudgetFor(1024, 512, 1024), 512);
    assert.equal(newTokensFor(1024, 200, 1024), 821);
    assert.equal(promptBudgetFor(1024, 200, 1024), 200);
    assert.equal(newTokensFor(1024, 4096, 600), 509);
    assert.equal(promptBudgetFor(1024, 4096, 600), 512);
  });

  it('always allows one new token, even in a tiny context', () => {
    assert.equal(newTokensFor(4, 512, 96), 1);
    assert.equal(promptBudgetFor(4, 512, 96), 0);
  });
});
