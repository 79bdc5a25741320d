// The marketplace page (MARKETPLACE.md, the README inside the .vsix that the Extensions view shows) and README.md
// against the manifest: the page told users for weeks that the embedded model was a random-weight fixture and listed
// two of six commands. Every contributed setting is in each table with the manifest's default, and every command is
// named.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';

const root = path.join(__dirname, '..', '..');
const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  contributes: { commands: { title: string; category?: string }[]; configuration: { properties: Record<string, { default: unknown }> } | { properties: Record<string, { default: unknown }> }[] };
};

for (const file of ['MARKETPLACE.md', 'README.md']) {
  const page = readFileSync(path.join(root, file), 'utf8');
  describe(file, () => {
    it("lists every contributed setting with the manifest's default", () => {
      const sections = ([] as { properties: Record<string, { default: unknown }> }[]).concat(manifest.contributes.configuration);
      for (const [key, setting] of sections.flatMap((section) => Object.entries(section.properties))) {
        const row = page.split('\n').find((line) => line.startsWith(`| \`${key}\` |`));
        assert.ok(row, `${key} has a row`);
        const shown = row.split('|')[2]!.trim().replace(/^`|`$/g, '');
        assert.deepEqual(JSON.parse(shown), setting.default, `${key}'s default`);
      }
    });

    it('names every command', () => {
      for (const command of manifest.contributes.commands) assert.ok(page.includes(`**${command.category ?? 'Locus'}: ${command.title}**`), command.title);
    });
  });
}
