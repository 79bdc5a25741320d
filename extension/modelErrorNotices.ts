// Which model failures get a pop-up, and which buttons it has. Pure (no vscode), unit-tested.
import type { ModelStatus } from '../lsp-server/protocol';

export type ModelError = Extract<ModelStatus, { state: 'error' }>;

export const OPEN_SETTINGS = 'Open Settings';
export const RESTART_SERVER = 'Restart Server';
export const SHOW_OUTPUT = 'Show Output';

/**
 * A setting's failure is fixed in the Settings editor (a restart loads the same value again, and any change of the
 * setting reloads); other failures are fixed outside (a download, a reinstall), after which a restart loads again.
 */
export function modelErrorButtons(error: ModelError): string[] {
  return error.setting === undefined ? [RESTART_SERVER, SHOW_OUTPUT] : [OPEN_SETTINGS, SHOW_OUTPUT];
}

/**
 * The Settings editor's command for a model setting. They are machine-scoped, and a remote window (SSH, WSL,
 * code-server) shows those only in its Remote tab: its User tab said "No Settings Found".
 */
export function settingsEditorCommand(remoteName: string | undefined): string {
  return remoteName === undefined ? 'workbench.action.openSettings' : 'workbench.action.openRemoteSettings';
}

/**
 * One pop-up at a time, and one per kind of failure (its code, not its text): the same failure for the next value of
 * a setting, or after a restart, is not news; the status bar and the Output channel say what failed last. A model
 * that loads makes any failure news again.
 */
export class ModelErrorNotices {
  private showing = false;
  private shownCode: string | undefined;

  /** Whether this status gets a pop-up; if so, call `closed` once the pop-up has gone. */
  shouldShow(status: ModelStatus): boolean {
    // A pop-up that timed out into the notification centre is never closed (VS Code settles it only when dismissed):
    // a load puts it behind, so the next failure still gets one.
    if (status.state === 'ready') {
      this.shownCode = undefined;
      this.showing = false;
    }
    if (status.state !== 'error' || this.showing || status.code === this.shownCode) return false;
    this.showing = true;
    this.shownCode = status.code;
    return true;
  }

  closed(): void {
    this.showing = false;
  }
}
