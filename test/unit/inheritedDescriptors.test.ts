import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { inheritedDescriptors, survivesExec } from '../../lsp-server/efficiency/inheritedDescriptors';

describe('descriptors a spawned sandbox inherits', () => {
  it('reads close-on-exec from fdinfo flags', () => {
    assert.equal(survivesExec('pos:\t0\nflags:\t02100000\nmnt_id:\t25\n'), false, 'O_CLOEXEC set');
    assert.equal(survivesExec('pos:\t0\nflags:\t0100000\nmnt_id:\t25\n'), true);
    assert.equal(survivesExec('pos:\t0\n'), false, 'no flags line: not judged inherited');
  });

  it('lists the descriptors from 5 up without close-on-exec', () => {
    const proc = mkdtempSync(join(tmpdir(), 'locus-proc-'));
    try {
      mkdirSync(join(proc, 'fd'));
      mkdirSync(join(proc, 'fdinfo'));
      const flags: Record<number, string> = { 0: '02', 3: '0100000', 4: '0100000', 7: '02100000', 30: '0100000', 100: '0200000' };
      for (const [fd, value] of Object.entries(flags)) {
        writeFileSync(join(proc, 'fd', fd), '');
        writeFileSync(join(proc, 'fdinfo', fd), `pos:\t0\nflags:\t${value}\n`);
      }
      writeFileSync(join(proc, 'fd', '9'), ''); // closed before its fdinfo was read
      assert.deepEqual(inheritedDescriptors(proc), [30, 100]);
      assert.deepEqual(inheritedDescriptors(join(proc, 'missing')), []);
    } finally {
      rmSync(proc, { recursive: true, force: true });
    }
  });
});
