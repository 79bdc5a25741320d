// "Locus: Toggle Automatic Completions": switches `locus.completion.trigger` between automatic and manual where
// the user set it (removing the key where the default then holds), and keeps the status bar saying which one is on.
import * as vscode from 'vscode';
import { SECTION, type Config } from './config';
import { settingWrite } from './settingWrite';
import type { StatusBar } from './statusBar';

export const TOGGLE_AUTOMATIC_COMPLETIONS = 'locus.toggleAutomaticCompletions';
const SETTING = 'completion.trigger';

export function registerAutomaticCompletions(config: Config, statusBar: StatusBar): vscode.Disposable[] {
  statusBar.setManualTrigger(config.manualTrigger);
  return [
    vscode.commands.registerCommand(TOGGLE_AUTOMATIC_COMPLETIONS, async () => {
      const next = config.manualTrigger ? 'automatic' : 'manual';
      const settings = vscode.workspace.getConfiguration(SECTION);
      const write = settingWrite(next, settings.inspect<string>(SETTING));
      await settings.update(SETTING, write.value, write.target === 'workspace' ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global);
      const message = next === 'manual' ? 'Locus: suggestions only when asked (Alt+\\).' : 'Locus: suggestions while typing.';
      vscode.window.setStatusBarMessage(message, 5_000);
    }),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration(`${SECTION}.${SETTING}`)) statusBar.setManualTrigger(config.manualTrigger);
    }),
  ];
}
