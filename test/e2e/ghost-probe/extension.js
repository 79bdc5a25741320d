// Test-only extension for the Locus e2e suite: in files named ghost-probe.txt, offers one known inline completion
// (probe.json) so the suite can check that it reads ghost text from the DOM as VS Code renders it, and that Tab
// inserts it. Locus itself does not complete plain text, so the two never compete.
const vscode = require('vscode');
const { text } = require('./probe.json');

exports.activate = (context) => {
  context.subscriptions.push(
    vscode.languages.registerInlineCompletionItemProvider(
      { pattern: '**/ghost-probe.txt' },
      {
        provideInlineCompletionItems(_document, position) {
          return [new vscode.InlineCompletionItem(text, new vscode.Range(position, position))];
        },
      },
    ),
  );
};
