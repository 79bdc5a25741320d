// Test-only extension for the Locus e2e suite: in files named ghost-probe.txt, on a line reading `trigger`, offers one
// known inline completion
// (probe.json), so the suite can check that it reads ghost text from the DOM as VS Code renders it, and that Tab
// inserts it. Locus itself does not complete plain text, so the two never compete.
const vscode = require('vscode');
const { trigger, text } = require('./probe.json');

exports.activate = (context) => {
  context.subscriptions.push(
    vscode.languages.registerInlineCompletionItemProvider(
      { pattern: '**/ghost-probe.txt' },
      {
        provideInlineCompletionItems(document, position) {
          // Only on a line that reads exactly `trigger`, so the accepted text is not offered again after Tab.
          if (document.lineAt(position.line).text !== trigger) return [];
          return [new vscode.InlineCompletionItem(text, new vscode.Range(position, position))];
        },
      },
    ),
  );
};
