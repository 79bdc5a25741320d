// The status bar item: model state and the last completion's latency (its words: statusBarText.ts). A click opens
// the Output channel, where an error's message and fix are logged.
import * as vscode from 'vscode';
import type { CompletionTimings, ModelStatus } from '../lsp-server/protocol';
import { statusBarView } from './statusBarText';

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
    const view = statusBarView({
      status: this.status,
      timings: this.timings,
      stoppedReason: this.stoppedReason,
      manualTrigger: this.manualTrigger,
      generating: this.generating,
      languageOff: this.languageOff,
      skipped: this.skipped,
      efficiencyOff: this.efficiencyOff,
    });
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.backgroundColor = view.error ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
  }
}
