// The efficiency checks' temporary folders (canaries of the isolation self-test, candidates' files) carry the pid of
// the server that made them, so the next server can remove those of a server that was killed before it cleaned up
// (a crash loop left one pair per kill in the temp folder).
import { chmodSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isWriterRunning } from '../../runtime/processRunning';

const STALE = /^locus-(?:canary|eff)-(\d+)-/;

/** The mkdtemp prefix for this process's folders of `kind`. */
export function sandboxFolderPrefix(kind: 'canary' | 'eff'): string {
  return `locus-${kind}-${process.pid}-`;
}

/**
 * Removes the folders in `tempRoot` left by servers that no longer run, this process's pid included where an earlier
 * process had it (isWriterRunning); returns how many. Never throws.
 */
export function removeStaleSandboxFolders(tempRoot: string, running: (pid: number, writtenAtMs: number) => boolean = isWriterRunning): number {
  let removed = 0;
  let names: string[];
  try {
    names = readdirSync(tempRoot);
  } catch {
    return 0;
  }
  for (const name of names) {
    const pid = Number(STALE.exec(name)?.[1]);
    if (!Number.isInteger(pid)) continue;
    const dir = join(tempRoot, name);
    try {
      if (running(pid, statSync(dir).mtimeMs)) continue;
      chmodSync(dir, 0o700); // a candidate's folder is left read-only
      rmSync(dir, { recursive: true, force: true });
      removed++;
    } catch {
      // Another user's, or gone meanwhile.
    }
  }
  return removed;
}
