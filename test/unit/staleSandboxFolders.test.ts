// The efficiency checks' temporary folders are tagged with their server's pid, and the next server removes those
// of servers that no longer run (lsp-server/efficiency/staleSandboxFolders.ts).
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { removeStaleSandboxFolders, sandboxFolderPrefix } from '../../lsp-server/efficiency/staleSandboxFolders';

describe('stale sandbox folders', () => {
  it("removes a dead server's canary and candidate folders (read-only ones too), and nothing else", () => {
    const root = mkdtempSync(join(tmpdir(), 'locus-stale-test-'));
    try {
      const dead = join(root, 'locus-eff-999999-abc');
      mkdirSync(dead);
      writeFileSync(join(dead, 'main.js'), 'x', { mode: 0o400 });
      chmodSync(dead, 0o500);
      mkdirSync(join(root, 'locus-canary-999999-def', 'home'), { recursive: true });
      const alive = join(root, 'locus-eff-4242-ghi');
      const mine = join(root, `${sandboxFolderPrefix('canary')}jkl`);
      const other = join(root, 'locus-eff-old-style');
      for (const dir of [alive, mine, other]) mkdirSync(dir);
      assert.equal(removeStaleSandboxFolders(root, (pid) => pid === 4242), 2);
      assert.equal(existsSync(dead), false);
      assert.equal(existsSync(join(root, 'locus-canary-999999-def')), false);
      for (const dir of [alive, mine, other]) assert.ok(existsSync(dir), dir);
      assert.equal(removeStaleSandboxFolders(join(root, 'missing')), 0);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
