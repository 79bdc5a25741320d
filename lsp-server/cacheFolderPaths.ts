// The load's notes name every kept copy by its full path (prefillCopyCache.ts), and the embedded pair alone keeps
// eight: the log and the status bar tooltip name the cache folder once instead, and each copy by its folder in it.
import { sep } from 'node:path';

/** `text` with `cacheFolder`'s path taken off the paths in it. */
export function withinCacheFolder(text: string, cacheFolder: string): string {
  return text.split(cacheFolder.endsWith(sep) ? cacheFolder : cacheFolder + sep).join('');
}

/** Whether `text` names something in `cacheFolder`. */
export function namesCacheFolder(text: string | undefined, cacheFolder: string): boolean {
  return text !== undefined && text.includes(cacheFolder.endsWith(sep) ? cacheFolder : cacheFolder + sep);
}
