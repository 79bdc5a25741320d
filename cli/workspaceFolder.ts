// The workspace folder the CLI's server indexes for retrieval, as an editor opened on it would. Pure.
import * as path from 'node:path';

/**
 * The current directory when it holds `file` (a command run from a project's root sees the whole project), else the
 * file's own folder. Both paths are absolute.
 */
export function workspaceFolderFor(file: string, cwd: string): string {
  const relative = path.relative(cwd, file);
  const inside = relative !== '' && relative.split(path.sep)[0] !== '..' && !path.isAbsolute(relative);
  return inside ? cwd : path.dirname(file);
}
