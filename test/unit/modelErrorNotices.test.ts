import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { modelErrorButtons, ModelErrorNotices, settingsEditorCommand, type ModelError } from '../../extension/modelErrorNotices';
import type { ModelStatus } from '../../lsp-server/protocol';

const notFound = (dir: string): ModelError => ({
  state: 'error',
  code: 'MODEL_NOT_FOUND',
  message: `The model directory ${dir} does not exist.`,
  fix: 'Use a model folder that contains config.json, tokenizer.json and onnx/model*.onnx. The folder is set by locus.model.path; clear it to use the embedded model.',
  setting: 'locus.model.path',
});
const signature: ModelError = { state: 'error', code: 'MODEL_SIGNATURE_MISMATCH', message: 'Bad inputs.', fix: 'Use another export.', setting: 'locus.model.path' };
const ready: ModelStatus = { state: 'ready', model: 'm', modelDir: '/m', quantization: 'q4', onnxFile: 'onnx/model_q4.onnx' };
const loading: ModelStatus = { state: 'loading', modelDir: '/m', embedded: false };

describe('model error pop-ups (extension/modelErrorNotices.ts)', () => {
  it('shows one pop-up for failures of one code whatever their text, until a model loads', () => {
    const notices = new ModelErrorNotices();
    assert.equal(notices.shouldShow(notFound('/opt/models')), true);
    notices.closed();
    assert.equal(notices.shouldShow(loading), false);
    assert.equal(notices.shouldShow(notFound('/opt/models/qwen')), false, 'the same failure for the next value is not news');
    assert.equal(notices.shouldShow(ready), false);
    assert.equal(notices.shouldShow(notFound('/opt/models/qwen')), true, 'after a model loaded it is news again');
  });

  it('shows no second pop-up while one is open, and a failure of another code once it closed', () => {
    const notices = new ModelErrorNotices();
    assert.equal(notices.shouldShow(notFound('/a')), true);
    assert.equal(notices.shouldShow(signature), false, 'one pop-up at a time');
    notices.closed();
    assert.equal(notices.shouldShow(signature), true);
  });

  it('shows a pop-up for a failure after a model loaded, though the last one timed out into the notification centre unclosed', () => {
    const notices = new ModelErrorNotices();
    assert.equal(notices.shouldShow(notFound('/a')), true);
    // Never closed: VS Code settles a notification's promise only when it is dismissed.
    assert.equal(notices.shouldShow(ready), false);
    assert.equal(notices.shouldShow(signature), true);
  });

  it("offers Open Settings for a setting's failure, Restart Server for others, and Show Output for both", () => {
    assert.deepEqual(modelErrorButtons(notFound('/a')), ['Open Settings', 'Show Output']);
    const { setting: _, ...embedded } = notFound('/ext/models/default/target');
    assert.deepEqual(modelErrorButtons(embedded), ['Restart Server', 'Show Output']);
  });

  it("opens a remote window's Remote settings, where its machine-scoped model settings are", () => {
    assert.equal(settingsEditorCommand(undefined), 'workbench.action.openSettings');
    assert.equal(settingsEditorCommand('ssh-remote'), 'workbench.action.openRemoteSettings');
  });
});
