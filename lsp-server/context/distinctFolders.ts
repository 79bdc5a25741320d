// Which workspace folders are one folder on disk: the same path listed twice, or a link to another listed folder.
// Such a folder is indexed once, under the path listed first: indexed twice, every snippet of it went into prompts
// twice, and the current file's copy on disk (under the other path) came back into its own prompt, stale.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/** A listed folder left out of the index, and the listed folder it is the same as. */
export interface DuplicateFolder {
  path: string;
  sameAs: string;
}

export interface DistinctFolders {
  /** One path per folder on disk, the first listed, in listing order. */
  distinct: string[];
  duplicates: DuplicateFolder[];
}

/** `folders` (absolute paths, in the client's order) without the later paths of a folder already listed. */
export async function distinctFolders(folders: readonly string[], realPathOf: (folder: string) => Promise<string> = realFolderPath): Promise<DistinctFolders> {
  const firstByReal = new Map<string, string>();
  const result: DistinctFolders = { distinct: [], duplicates: [] };
  for (const folder of folders) {
    const real = await realPathOf(folder);
    const first = firstByReal.get(real);
    if (first === undefined) {
      firstByReal.set(real, folder);
      result.distinct.push(folder);
    } else {
      result.duplicates.push({ path: folder, sameAs: first });
    }
  }
  return result;
}

/**
 * The folder's path with links resolved; a folder that cannot be resolved (missing) stands for itself, and its
 * indexing says why it is empty.
 */
async function realFolderPath(folder: string): Promise<string> {
  return fs.realpath(folder).catch(() => path.resolve(folder));
}
