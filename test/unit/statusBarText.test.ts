// extension/statusBarText.ts: the status bar item's words, for a user rather than for Locus's developers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CompletionTimings, ModelStatus } from '../../lsp-server/protocol';
import { statusBarView, type StatusBarState } from '../../extension/statusBarText';

/** The embedded pair as the server reports it after a first load (what a first-time user hovered over). */
const READY: ModelStatus = {
  state: 'ready',
  model: 'locus-target',
  modelDir: '/home/me/.vscode/extensions/locus-dev.locus-0.1.0/models/default/target',
  quantization: 'q4',
  onnxFile: 'onnx/model_q4.onnx',
  prefillFile: 'int8-prefill-85c94f36cc932d44/model_int8.onnx',
  prefillCopy:
    'Long prompts prefill on an 8-bit copy of onnx/model_q4.onnx (29 MB in int8-prefill-85c94f36cc932d44). Draft: Long prompts prefill on an 8-bit copy of onnx/model_q4.onnx (7 MB in int8-prefill-0e1f).',
  keptCopies: '/home/me/.config/Code/User/globalStorage/locus-dev.locus/models',
  prepared: 'Wrote onnx/model_q4.onnx as Locus runs it.',
  autoChoice: 'it reads 4 MB of weights per token',
  draft: 'locus-draft',
};

const TIMINGS: CompletionTimings = {
  uri: 'file:///w/a.ts',
  promptTokens: 400,
  generatedTokens: 12,
  firstTokenMs: 20.4,
  totalMs: 61,
  requestMs: 87.6,
  tokensPerSecond: 322.8,
  shownChars: 30,
  speculation: { mode: 'auto', drafted: 8, accepted: 6, acceptanceRate: 0.75 },
};

function state(overrides: Partial<StatusBarState>): StatusBarState {
  return { status: READY, timings: undefined, stoppedReason: undefined, manualTrigger: false, generating: false, languageOff: undefined, skipped: undefined, efficiencyOff: undefined, ...overrides };
}

describe('status bar text', () => {
  it('names the ready model, its quantization and its draft once, and what a click does; no files or folders', () => {
    const view = statusBarView(state({}));
    assert.equal(view.text, '$(sparkle) Locus');
    assert.equal(
      view.tooltip,
      [
        'Locus: locus-target (4-bit) with draft model locus-draft',
        'Click for the Locus Output channel.',
        'Run "Locus: Show Latency" for latency and acceptance over time.',
      ].join('\n'),
    );
    assert.equal(view.error, false);
    assert.doesNotMatch(view.tooltip, /onnx|\/|Kept copies|prefill/i);
  });

  it('adds the last completion latency it shows, and says when it was cut at the time limit', () => {
    const view = statusBarView(state({ timings: TIMINGS }));
    assert.equal(view.text, '$(sparkle) Locus 88 ms · 323 tok/s');
    assert.match(view.tooltip, /^Last completion: 88 ms · 323 tok\/s\.$/m);
    const one = statusBarView(state({ timings: { ...TIMINGS, generatedTokens: 1, timeLimited: true } }));
    assert.equal(one.text, '$(sparkle) Locus 88 ms');
    assert.match(one.tooltip, /^Last completion: 88 ms, cut at locus\.completion\.timeLimitMs \(Alt\+\\ there lets it finish\)\.$/m);
    const capped = statusBarView(state({ timings: { ...TIMINGS, generatedTokens: 1, shownChars: 0, tokenLimited: true } }));
    assert.match(capped.tooltip, /^Last completion: 88 ms, nothing shown: locus\.completion\.maxNewTokens cut it before a line was finished \(raise it\)\.$/m);
  });

  it('names a model without a draft, in words for its quantization', () => {
    const { draft: _, ...noDraft } = READY as Extract<ModelStatus, { state: 'ready' }>;
    assert.match(statusBarView(state({ status: { ...noDraft, model: 'qwen2.5-coder', quantization: 'int8' } })).tooltip, /^Locus: qwen2\.5-coder \(8-bit\)$/m);
  });

  it('says it is loading the built-in model, not where it is installed; a model the user set, by its folder', () => {
    const loading = statusBarView(state({ status: { state: 'loading', modelDir: READY.modelDir, embedded: true } }));
    assert.equal(loading.text, '$(loading~spin) Locus');
    assert.equal(loading.tooltip, 'Locus: loading the built-in model…\nClick for the Locus Output channel.');
    const step = 'Building an 8-bit copy of onnx/model_q4.onnx for long prompts (29 MB, once: later loads reuse it).';
    const building = statusBarView(state({ status: { state: 'loading', modelDir: READY.modelDir, embedded: true, step } }));
    assert.equal(building.tooltip, 'Locus: loading the built-in model…\nPreparing it for this machine: once, later loads are quicker.\nClick for the Locus Output channel.');
    const mine = statusBarView(state({ status: { state: 'loading', modelDir: '/models/mine', embedded: false } }));
    assert.match(mine.tooltip, /^Locus: loading the model in \/models\/mine…$/m);
  });

  it('says that a changed model setting loads its model in a few seconds, naming the new folder', () => {
    const mine = statusBarView(state({ status: { state: 'pending', modelDir: '/models/mine', embedded: false, inMs: 3000 }, timings: TIMINGS }));
    assert.equal(mine.text, '$(clock) Locus: model change in 3 s');
    assert.equal(mine.tooltip, 'Locus: the model in /models/mine loads in 3 s, once the settings stop changing.\nClick for the Locus Output channel.');
    assert.equal(mine.error, false);
    const embedded = statusBarView(state({ status: { state: 'pending', modelDir: READY.modelDir, embedded: true, inMs: 3000 } }));
    assert.match(embedded.tooltip, /^Locus: the built-in model loads in 3 s/);
  });

  it('shows why completions are off here, generation, efficiency checks that do not run and manual mode', () => {
    const efficiencyOff = 'Efficiency checks are off in Restricted Mode: trust the workspace to run them.';
    const off = statusBarView(state({ languageOff: 'plaintext', manualTrigger: true, generating: true, efficiencyOff }));
    assert.equal(off.text, '$(loading~spin) Locus (manual)');
    assert.match(off.tooltip, /^No completions in plaintext files: locus\.completion\.languages turns them off\.$/m);
    assert.match(off.tooltip, /^Generating a completion…$/m);
    assert.ok(off.tooltip.split('\n').includes(efficiencyOff));
    assert.match(off.tooltip, /^Suggestions only when asked/m);
    assert.equal(statusBarView(state({ skipped: 'Locus makes no prompt of this file: it is a secret file.' })).text, '$(circle-slash) Locus');
  });

  it('shows errors and a stopped server as errors, with what to do', () => {
    const error = statusBarView(state({ status: { state: 'error', code: 'E_MODEL_NOT_FOUND', message: 'No model in /m.', fix: 'Set locus.model.path.' } }));
    assert.deepEqual(error, { text: '$(error) Locus', tooltip: 'No model in /m.\nSet locus.model.path.\nClick for the Locus Output channel.', error: true });
    const stopped = statusBarView(state({ stoppedReason: 'it crashed 5 times in the last 3 minutes.' }));
    assert.equal(stopped.error, true);
    assert.match(stopped.tooltip, /^Locus server stopped: it crashed 5 times in the last 3 minutes\.\nClick for the Locus Output channel\. Run "Locus: Restart Server" to try again\.$/);
    assert.equal(statusBarView(state({ status: undefined })).tooltip, 'Locus: starting…\nClick for the Locus Output channel.');
  });
});
