// Operating-system accounting for a sandboxed process tree, read from the host's /proc: which processes
// descend from the sandbox launcher, their resident memory, their high-water mark and their CPU time.
// The candidate cannot influence these numbers, so they are what the ranking and the watchdog trust.
import { readFileSync, readdirSync } from 'node:fs';

const PAGE_BYTES = 4096;
/** USER_HZ is 100 on every Linux ABI Node supports. */
const TICK_MS = 10;

export interface ProcessSample {
  pid: number;
  /** Resident set size now (bytes). */
  rssBytes: number;
  /** Peak resident set size (VmHWM, bytes). */
  peakRssBytes: number;
  /** User + system CPU time of all threads (ms, 10 ms resolution). */
  cpuMs: number;
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** Parses /proc/<pid>/stat; the command name may contain spaces and parentheses, so split after the last ')'. */
function statFields(pid: number): string[] | null {
  const text = readText(`/proc/${pid}/stat`);
  if (text === null) return null;
  const close = text.lastIndexOf(')');
  return close < 0 ? null : text.slice(close + 2).split(' ');
}

/**
 * Start time in clock ticks since boot (with the pid, it identifies a process uniquely); null once the process
 * is gone or a zombie, which holds no resources and only waits for its parent to collect it.
 */
export function startTimeOf(pid: number): string | null {
  const fields = statFields(pid);
  return fields && fields[0] !== 'Z' && fields[0] !== 'X' ? fields[19] : null;
}

export function parentOf(pid: number): number | null {
  const fields = statFields(pid);
  return fields ? Number(fields[1]) : null;
}

/** All live descendants of `root` (not including it), found by scanning /proc once. */
export function descendantsOf(root: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const ppid = parentOf(pid);
    if (ppid === null) continue;
    const list = children.get(ppid);
    if (list) list.push(pid);
    else children.set(ppid, [pid]);
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const next = children.get(queue.shift()!) ?? [];
    found.push(...next);
    queue.push(...next);
  }
  return found;
}

export function sampleProcess(pid: number): ProcessSample | null {
  const fields = statFields(pid);
  const status = readText(`/proc/${pid}/status`);
  if (!fields || status === null) return null;
  const kb = (key: string): number => {
    const match = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
    return match ? Number(match[1]) * 1024 : 0;
  };
  const cpuTicks = Number(fields[11]) + Number(fields[12]);
  const statm = readText(`/proc/${pid}/statm`);
  const rssPages = statm ? Number(statm.split(' ')[1]) : 0;
  return { pid, rssBytes: rssPages * PAGE_BYTES, peakRssBytes: kb('VmHWM'), cpuMs: cpuTicks * TICK_MS };
}
