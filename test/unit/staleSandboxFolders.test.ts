// The efficiency checks' temporary folders are tagged with their server's pid, and the next server removes those
// of servers that no longer run (lsp-server/efficiency/staleSandboxFolders.ts).
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
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
      // The parent of this test runs and started before the folder was made.
      const alive = join(root, `locus-eff-${process.ppid}-ghi`);
      const mine = join(root, `${sandboxFolderPrefix('canary')}jkl`);
      const other = join(root, 'locus-eff-old-style');
      for (const dir of [alive, mine, other]) mkdirSync(dir);
      // This process's pid on a folder last written before it started: an earlier server's, after pids repeated.
      const earlier = join(root, `${sandboxFolderPrefix('eff')}mno`);
      mkdirSync(earlier);
      const before = new Date(performance.timeOrigin - 3_600_000);
      utimesSync(earlier, before, before);
      assert.equal(removeStaleSandboxFolders(root), 3);
      assert.equal(existsSync(dead), false);
      assert.equal(existsSync(join(root, 'locus-canary-999999-def')), false);
      assert.equal(existsSync(earlier), false);
      for (const dir of [alive, mine, other]) assert.ok(existsSync(dir), dir);
      assert.equal(removeStaleSandboxFolders(join(root, 'missing')), 0);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
