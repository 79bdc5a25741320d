// The load's notes name every kept copy by its full path (prefillCopyCache.ts), and the embedded pair alone keeps
// eight: the log and the status bar tooltip name the cache folder once instead, and each copy by its folder in it.
import { sep } from 'node:path';

/** `text` with `cacheFolder`'s path taken off the paths in it: unchanged where it names nothing in the folder. */
export function withinCacheFolder(text: string, cacheFolder: string): string {
  return text.split(cacheFolder.endsWith(sep) ? cacheFolder : cacheFolder + sep).join('');
}
