// Runs inside desktop VS Code's extension host, started by @vscode/test-electron's runTests (desktop.e2e.ts).
// Plain CommonJS: the extension host loads it with require(), without tsx.
const assert = require('node:assert/strict');
const vscode = require('vscode');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function within(what, ms, probe) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await sleep(500);
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

exports.run = async function run() {
  const id = process.env.LOCUS_E2E_EXTENSION_ID;
  const extension = vscode.extensions.getExtension(id);
  assert.ok(extension, `${id} is loaded`);
  await extension.activate();
  assert.ok(extension.isActive, `${id} activates`);

  // Every command the manifest contributes is registered: none would answer "command not found".
  const declared = (extension.packageJSON.contributes?.commands ?? []).map((c) => c.command);
  const registered = new Set(await vscode.commands.getCommands(true));
  assert.deepEqual(declared.filter((c) => !registered.has(c)), [], 'every contributed command is registered');

  // An inline completion from the local model, accepted as Tab does (editor.action.inlineSuggest.commit).
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the fixture workspace is open');
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder.uri, 'src', 'main.ts'));
  const editor = await vscode.window.showTextDocument(doc);
  const typed = '\nexport function area(points: Point[]): number ';
  await editor.edit((e) => e.insert(doc.lineAt(doc.lineCount - 1).range.end, typed));
  const end = doc.lineAt(doc.lineCount - 1).range.end;
  editor.selection = new vscode.Selection(end, end);
  const before = doc.getText();
  const inserted = await within('an inline completion to accept', 60_000, async () => {
    await vscode.commands.executeCommand('editor.action.inlineSuggest.trigger');
    await sleep(1_000);
    await vscode.commands.executeCommand('editor.action.inlineSuggest.commit');
    const now = doc.getText();
    return now !== before ? now : undefined;
  });
  assert.ok(inserted.startsWith(before), 'accepting inserts at the cursor and changes nothing before it');
  assert.ok(inserted.length > before.length, 'accepting inserts text');
  await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
};
