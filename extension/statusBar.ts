// The status bar item: model state and the last completion's latency. A click opens the Output channel,
// where an error's message and fix are logged.
import * as vscode from 'vscode';
import type { CompletionTimings, ModelStatus } from '../lsp-server/protocol';

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('locus.status', vscode.StatusBarAlignment.Right, 100);
  private status: ModelStatus | undefined;
  private timings: CompletionTimings | undefined;
  private stoppedReason: string | undefined;
  private manualTrigger = false;
  private generating = false;
  /** The active editor's language id when completions are off for it. */
  private languageOff: string | undefined;
  /** Why the server makes no completion in the active editor's document (extension/skippedDocuments.ts). */
  private skipped: string | undefined;
  /** Why the enabled efficiency checks do not run, in a sentence that says how to start them. */
  private efficiencyOff: string | undefined;

  constructor(showOutputCommand: string) {
    this.item.name = 'Locus';
    this.item.command = showOutputCommand;
    this.render();
    this.item.show();
  }

  setStatus(status: ModelStatus): void {
    this.status = status;
    this.stoppedReason = undefined;
    // A new model (or a restarted server): the last completion's figures were another model's.
    if (status.state === 'loading') this.timings = undefined;
    this.render();
  }

  setTimings(timings: CompletionTimings): void {
    // A request that generated nothing (e.g. the one VS Code sends right after a suggestion is accepted) says
    // nothing about speed; keep showing the last real completion.
    if (timings.generatedTokens === 0) return;
    this.timings = timings;
    this.render();
  }

  /** Completions are off for the active editor's language (undefined: they are on, or no editor). */
  setLanguageOff(languageId: string | undefined): void {
    this.languageOff = languageId;
    this.render();
  }

  /** The server skips the active editor's document, with its sentence saying why (undefined: it does not, or no editor). */
  setSkipped(reason: string | undefined): void {
    this.skipped = reason;
    this.render();
  }

  /** The efficiency checks are enabled but do not run (undefined: they run, or are not enabled). */
  setEfficiencyOff(reason: string | undefined): void {
    this.efficiencyOff = reason;
    this.render();
  }

  /** A completion has been generating for a while (extension/delayedBusy.ts). */
  setGenerating(generating: boolean): void {
    this.generating = generating;
    this.render();
  }

  /** `locus.completion.trigger` is manual: suggestions only when asked. */
  setManualTrigger(manual: boolean): void {
    this.manualTrigger = manual;
    this.render();
  }

  /** The server is not running (crash loop or failed start). */
  setStopped(reason: string): void {
    this.stoppedReason = reason;
    this.render();
  }

  /** The client stopped without saying why here: keeps a reason already given (the crash loop's, say). */
  setNotRunning(): void {
    this.stoppedReason ??= 'it exited.';
    this.render();
  }

  dispose(): void {
    this.item.dispose();
  }

  private render(): void {
    const item = this.item;
    item.backgroundColor = undefined;
    if (this.stoppedReason !== undefined) {
      item.text = '$(error) Locus';
      item.tooltip = `Locus server stopped: ${this.stoppedReason}\nClick for the Output channel; run "Locus: Restart Server" to try again.`;
      item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
      return;
    }
    const status = this.status;
    if (status === undefined || status.state === 'loading') {
      item.text = '$(loading~spin) Locus';
      item.tooltip = status === undefined ? 'Locus: starting' : `Locus: loading ${status.modelDir}${status.step === undefined ? '' : `\n${status.step}`}`;
      return;
    }
    if (status.state === 'error') {
      item.text = '$(error) Locus';
      item.tooltip = `${status.message}\n${status.fix}\nClick for the Output channel.`;
      item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
      return;
    }
    // A rate needs two tokens: a one-token completion has none to show.
    const rate = this.timings !== undefined && this.timings.generatedTokens > 1 ? ` · ${Math.round(this.timings.tokensPerSecond)} tok/s` : '';
    const latency = this.timings === undefined ? '' : ` ${Math.round(this.timings.requestMs)} ms${rate}`;
    const icon = this.generating ? '$(loading~spin)' : this.languageOff !== undefined || this.skipped !== undefined ? '$(circle-slash)' : '$(sparkle)';
    item.text = `${icon} Locus${this.manualTrigger ? ' (manual)' : ''}${latency}`;
    const lines = [`Locus: ${status.model} (${status.quantization}, ${status.onnxFile})`];
    if (this.languageOff !== undefined) lines.push(`No completions in ${this.languageOff} files: locus.completion.languages turns them off.`);
    else if (this.skipped !== undefined) lines.push(this.skipped);
    if (this.generating) lines.push('Generating a completion…');
    if (this.efficiencyOff !== undefined) lines.push(this.efficiencyOff);
    if (this.manualTrigger) lines.push('Suggestions only when asked (Alt+\\); "Locus: Toggle Automatic Completions" shows them while typing.');
    // The copy's sentence says where it is and why there is one (or why not); the folder's own file needs only its name.
    if (status.prefillCopy !== undefined) lines.push(status.prefillCopy);
    else if (status.prefillFile !== undefined) lines.push(`Long prompts prefill on ${status.prefillFile}`);
    if (status.keptCopies !== undefined) lines.push(`Kept copies are in ${status.keptCopies}.`);
    if (status.autoChoice !== undefined) lines.push(`Quantization auto took ${status.onnxFile}: ${status.autoChoice}`);
    if (status.draft !== undefined) lines.push(`Draft: ${status.draft}`);
    if (this.timings !== undefined) {
      const t = this.timings;
      lines.push(
        `Last completion: first token ${Math.round(t.firstTokenMs)} ms, generation ${Math.round(t.totalMs)} ms, ` +
          `${t.generatedTokens > 1 ? `${t.tokensPerSecond.toFixed(1)} tokens/s` : '1 token'}, request ${Math.round(t.requestMs)} ms` +
          (t.timeLimited ? ' (cut at locus.completion.timeLimitMs; Alt+\\ there lets it finish)' : ''),
      );
    }
    lines.push('Run "Locus: Show Latency" for percentiles, phases and acceptance over time.');
    item.tooltip = lines.join('\n');
  }
}
