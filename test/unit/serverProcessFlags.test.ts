// The language server's process environment: onnxruntime's telemetry off, glibc's tunables for transparent huge pages
// and a fixed mmap threshold added, anything else the user set kept.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { serverProcessEnv } from '../../lsp-server/serverProcessFlags';

describe('serverProcessEnv', () => {
  it('asks glibc for huge pages and a fixed mmap threshold and keeps the rest of the environment', () => {
    const env = serverProcessEnv({ PATH: '/usr/bin', HOME: '/home/u' });
    assert.deepEqual(env, { PATH: '/usr/bin', HOME: '/home/u', ORT_DISABLE_TELEMETRY: '1', GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=1048576' });
  });

  it("turns onnxruntime's telemetry off, whatever the environment says", () => {
    assert.equal(serverProcessEnv({ ORT_DISABLE_TELEMETRY: '0' }).ORT_DISABLE_TELEMETRY, '1');
    assert.equal(serverProcessEnv({ GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' }).ORT_DISABLE_TELEMETRY, '1');
  });

  it("appends to the user's other tunables", () => {
    assert.equal(serverProcessEnv({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' }).GLIBC_TUNABLES, 'glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=1048576');
  });

  it("keeps the user's own value for each (hugetlb=0 turns huge pages off)", () => {
    assert.equal(serverProcessEnv({ GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' }).GLIBC_TUNABLES, 'glibc.malloc.hugetlb=0:glibc.malloc.mmap_threshold=1048576');
    assert.equal(serverProcessEnv({ GLIBC_TUNABLES: 'glibc.malloc.mmap_threshold=65536:glibc.malloc.hugetlb=2' }).GLIBC_TUNABLES, 'glibc.malloc.mmap_threshold=65536:glibc.malloc.hugetlb=2');
  });

  it('does not change the environment it is given', () => {
    const given = { GLIBC_TUNABLES: '' };
    serverProcessEnv(given);
    assert.deepEqual(given, { GLIBC_TUNABLES: '' });
  });
});
