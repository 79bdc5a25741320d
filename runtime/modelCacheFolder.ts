// Where kept model copies go when the caller names no folder (the CLI, a client that sends none): apart from the
// copies' code (prefillCopyCache.ts), so that the language server can name the folder without bundling it.
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The user's cache folder for model copies, as each OS has it. */
export function defaultModelCacheFolder(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home = homedir()): string {
  const base =
    platform === 'win32'
      ? (env.LOCALAPPDATA ?? join(home, 'AppData', 'Local'))
      : platform === 'darwin'
        ? join(home, 'Library', 'Caches')
        : (env.XDG_CACHE_HOME || join(home, '.cache'));
  return join(base, 'locus', 'models');
}
