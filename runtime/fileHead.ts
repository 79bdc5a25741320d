// The first bytes of a file, and the check they allow before a model file is parsed: a Git LFS pointer (a clone
// without `git lfs pull`) would otherwise fail deep in protobuf or JSON with a message that names neither.
import { closeSync, openSync, readSync } from 'node:fs';
import { ModelFileCorruptError } from './errors';

const LFS_POINTER_PREFIX = 'version https://git-lfs';

/** Up to `bytes` bytes from the start of `path`. */
export function readHead(path: string, bytes: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const n = readSync(fd, buf, 0, bytes, 0);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/**
 * Throws ModelFileCorruptError when `path` is a Git LFS pointer rather than the file it stands for; `text`: the
 * file's text where the caller has read it already, so the file is not opened again.
 */
export function assertNotLfsPointer(path: string, text?: string): void {
  const head = text ?? readHead(path, LFS_POINTER_PREFIX.length).toString('latin1');
  if (head.startsWith(LFS_POINTER_PREFIX)) {
    throw new ModelFileCorruptError(`${path} is a Git LFS pointer, not the real file.`);
  }
}
