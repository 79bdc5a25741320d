// Descriptors this process holds without close-on-exec: every program it starts gets them too, bubblewrap and the
// sandboxed interpreter included, and a candidate could read a file, or walk a folder, outside the sandbox through
// one. The server opens none such itself (Node sets close-on-exec), but it inherits what its parent leaks: VS Code
// is known to leak descriptors to child processes (microsoft/vscode#58814, #202558). The harnesses close them before
// a candidate loads (the numbers travel in LOCUS_CLOSE_FDS).
import { readdirSync, readFileSync } from 'node:fs';

const O_CLOEXEC = 0o2000000;
/** 0-2 are the standard streams; 3 the result channel and 4 the seccomp program, which the spawn replaces anyway. */
const FIRST_FOREIGN_FD = 5;

/** Whether a descriptor described by `/proc/<pid>/fdinfo/<fd>` survives exec (its `flags:` lack O_CLOEXEC). */
export function survivesExec(fdinfo: string): boolean {
  const flags = /^flags:\s*([0-7]+)$/m.exec(fdinfo)?.[1];
  return flags !== undefined && (Number.parseInt(flags, 8) & O_CLOEXEC) === 0;
}

/** This process's descriptors from FIRST_FOREIGN_FD up that a spawned program inherits; none off Linux (no sandbox there). */
export function inheritedDescriptors(procSelf = '/proc/self'): number[] {
  try {
    return readdirSync(`${procSelf}/fd`)
      .map(Number)
      .filter((fd) => Number.isInteger(fd) && fd >= FIRST_FOREIGN_FD)
      .filter((fd) => {
        try {
          return survivesExec(readFileSync(`${procSelf}/fdinfo/${fd}`, 'utf8'));
        } catch {
          return false; // closed since the listing (the listing's own descriptor among them)
        }
      })
      .sort((a, b) => a - b);
  } catch {
    return [];
  }
}
