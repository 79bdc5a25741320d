import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { settingWrite } from '../../extension/settingWrite';

describe('settingWrite (Toggle Automatic Completions)', () => {
  it("removes the user's key when the value switched to is the default, and writes any other value", () => {
    assert.deepEqual(settingWrite('automatic', { defaultValue: 'automatic', globalValue: 'manual' }), { target: 'user', value: undefined });
    assert.deepEqual(settingWrite('manual', { defaultValue: 'automatic' }), { target: 'user', value: 'manual' });
  });

  it("writes to the workspace where it sets the value, removing its key only where the user's value or the default then holds", () => {
    assert.deepEqual(settingWrite('automatic', { defaultValue: 'automatic', workspaceValue: 'manual' }), { target: 'workspace', value: undefined });
    // The user's own manual would take over once the workspace's key went: the workspace keeps saying automatic.
    assert.deepEqual(settingWrite('automatic', { defaultValue: 'automatic', globalValue: 'manual', workspaceValue: 'manual' }), { target: 'workspace', value: 'automatic' });
    assert.deepEqual(settingWrite('manual', { defaultValue: 'automatic', globalValue: 'manual', workspaceValue: 'automatic' }), { target: 'workspace', value: undefined });
  });
});
