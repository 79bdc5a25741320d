// The on-disk copy of a folder's chunks, so reopening a large workspace re-reads only what changed. It holds
// code, so it lives outside the workspace (the client's global storage, else the OS temp folder), readable by
// the user only, and is ignored whenever its format, the chunker or the folder differs.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { CHUNKER_VERSION } from './syntaxChunker';
import type { FileChunks } from './workspaceIndex';

const FORMAT_VERSION = 1;
const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

interface CacheFile {
  format: number;
  chunker: number;
  root: string;
  files: FileChunks[];
}

export function defaultCacheDir(): string {
  return path.join(os.tmpdir(), 'locus-index');
}

export class IndexCache {
  constructor(private readonly cacheDir: string = defaultCacheDir()) {}

  /** The cache file for a workspace folder (one per folder path). */
  fileFor(root: string): string {
    const key = createHash('sha256').update(path.resolve(root)).digest('hex').slice(0, 16);
    return path.join(this.cacheDir, `${key}.json.gz`);
  }

  /** Cached chunks by relative path; empty when there is no usable cache. */
  async load(root: string): Promise<Map<string, FileChunks>> {
    try {
      const data = JSON.parse((await gunzipAsync(await fs.readFile(this.fileFor(root)))).toString('utf8')) as CacheFile;
      if (data.format !== FORMAT_VERSION || data.chunker !== CHUNKER_VERSION || data.root !== path.resolve(root)) return new Map();
      return new Map(data.files.map((f) => [f.path, f]));
    } catch {
      return new Map();
    }
  }

  /** Writes atomically (temporary file, then rename) with owner-only permissions. */
  async save(root: string, files: FileChunks[]): Promise<void> {
    const target = this.fileFor(root);
    await fs.mkdir(this.cacheDir, { recursive: true, mode: 0o700 });
    const data: CacheFile = { format: FORMAT_VERSION, chunker: CHUNKER_VERSION, root: path.resolve(root), files };
    const body = await gzipAsync(Buffer.from(JSON.stringify(data)), { level: 1 });
    const temporary = `${target}.${process.pid}.tmp`;
    await fs.writeFile(temporary, body, { mode: 0o600 });
    await fs.rename(temporary, target);
  }

  async delete(root: string): Promise<void> {
    await fs.rm(this.fileFor(root), { force: true });
  }
}
