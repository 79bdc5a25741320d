// What the status bar item says: its text, its tooltip and whether it shows an error. Free of `vscode`, so it is
// unit-tested. The tooltip is for the user: the model by name, what Locus is doing, the last completion's latency
// and what a click does. How the model was loaded (copies, files, folders) is in the Output channel's load log.
import type { CompletionTimings, ModelStatus, QuantizationSetting } from '../lsp-server/protocol';

export interface StatusBarState {
  status: ModelStatus | undefined;
  timings: CompletionTimings | undefined;
  /** Why the server is not running (crash loop, failed start); undefined while it runs. */
  stoppedReason: string | undefined;
  manualTrigger: boolean;
  generating: boolean;
  /** The active editor's language id when completions are off for it. */
  languageOff: string | undefined;
  /** Why the server makes no completion in the active editor's document. */
  skipped: string | undefined;
  /** Why the enabled efficiency checks do not run, in a sentence that says how to start them. */
  efficiencyOff: string | undefined;
}

export interface StatusBarView {
  text: string;
  tooltip: string;
  error: boolean;
}

const CLICK = 'Click for the Locus Output channel.';

const QUANTIZATION_WORDS: Readonly<Record<Exclude<QuantizationSetting, 'auto'>, string>> = {
  q4: '4-bit',
  int8: '8-bit',
  fp16: '16-bit floats',
  fp32: '32-bit floats',
};

export function statusBarView(state: StatusBarState): StatusBarView {
  const { status } = state;
  if (state.stoppedReason !== undefined) {
    return { text: '$(error) Locus', tooltip: `Locus server stopped: ${state.stoppedReason}\n${CLICK} Run "Locus: Restart Server" to try again.`, error: true };
  }
  if (status === undefined) return { text: '$(loading~spin) Locus', tooltip: `Locus: starting…\n${CLICK}`, error: false };
  if (status.state === 'pending') return { text: `$(clock) Locus: model change in ${seconds(status.inMs)}`, tooltip: pendingTooltip(status), error: false };
  if (status.state === 'loading') return { text: '$(loading~spin) Locus', tooltip: loadingTooltip(status), error: false };
  if (status.state === 'error') return { text: '$(error) Locus', tooltip: `${status.message}\n${status.fix}\n${CLICK}`, error: true };

  const t = state.timings;
  // A rate needs two tokens: a one-token completion has none to show.
  const rate = t !== undefined && t.generatedTokens > 1 ? ` · ${Math.round(t.tokensPerSecond)} tok/s` : '';
  const latency = t === undefined ? '' : ` ${Math.round(t.requestMs)} ms${rate}`;
  const icon = state.generating ? '$(loading~spin)' : state.languageOff !== undefined || state.skipped !== undefined ? '$(circle-slash)' : '$(sparkle)';
  const draft = status.draft === undefined ? '' : ` with draft model ${status.draft}`;
  const lines = [`Locus: ${status.model} (${QUANTIZATION_WORDS[status.quantization]})${draft}`];
  if (state.languageOff !== undefined) lines.push(`No completions in ${state.languageOff} files: locus.completion.languages turns them off.`);
  else if (state.skipped !== undefined) lines.push(state.skipped);
  if (state.generating) lines.push('Generating a completion…');
  if (state.efficiencyOff !== undefined) lines.push(state.efficiencyOff);
  if (state.manualTrigger) lines.push('Suggestions only when asked (Alt+\\); "Locus: Toggle Automatic Completions" shows them while typing.');
  if (t !== undefined) {
    const cut = t.timeLimited ? ', cut at locus.completion.timeLimitMs (Alt+\\ there lets it finish)' : t.tokenLimited ? ', nothing shown: locus.completion.maxNewTokens cut it before a line was finished (raise it)' : '';
    lines.push(`Last completion: ${Math.round(t.requestMs)} ms${rate}${cut}.`);
  }
  lines.push(CLICK, 'Run "Locus: Show Latency" for latency and acceptance over time.');
  return { text: `${icon} Locus${state.manualTrigger ? ' (manual)' : ''}${latency}`, tooltip: lines.join('\n'), error: false };
}

function pendingTooltip(status: Extract<ModelStatus, { state: 'pending' }>): string {
  const model = status.embedded ? 'the built-in model' : `the model in ${status.modelDir}`;
  return `Locus: ${model} loads in ${seconds(status.inMs)}, once the settings stop changing.\n${CLICK}`;
}

function seconds(ms: number): string {
  return `${Math.round(ms / 1000)} s`;
}

function loadingTooltip(status: Extract<ModelStatus, { state: 'loading' }>): string {
  const lines = [status.embedded ? 'Locus: loading the built-in model…' : `Locus: loading the model in ${status.modelDir}…`];
  // The step names files and copies; what the user needs is why this load is slow, and that it is once.
  if (status.step !== undefined) lines.push('Preparing it for this machine: once, later loads are quicker.');
  lines.push(CLICK);
  return lines.join('\n');
}
