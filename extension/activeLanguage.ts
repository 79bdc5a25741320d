// Tells the status bar when completions are off for the active editor's language (\`locus.completion.languages\`):
// otherwise a new plain-text file, off by default, shows no ghost text and nothing says why.
import * as vscode from 'vscode';
import { SECTION, type Config } from './config';
import type { StatusBar } from './statusBar';

export function trackActiveLanguage(config: Config, statusBar: StatusBar): vscode.Disposable[] {
  const update = () => {
    const languageId = vscode.window.activeTextEditor?.document.languageId;
    statusBar.setLanguageOff(languageId !== undefined && !config.completesLanguage(languageId) ? languageId : undefined);
  };
  update();
  return [
    vscode.window.onDidChangeActiveTextEditor(update),
    // A document whose language the user changes is closed and opened again under the new id.
    vscode.workspace.onDidOpenTextDocument(update),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration(`${SECTION}.completion.languages`)) update();
    }),
  ];
}
