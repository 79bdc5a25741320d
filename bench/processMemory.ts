// A process's resident memory as Linux reports it, for benches that tell private memory from mapped model files.
import { readFileSync } from 'node:fs';

/**
 * In MiB: private resident memory (RssAnon), the part of it in transparent huge pages (AnonHugePages), resident pages
 * of mapped files (RssFile), the proportional set size, and the peak resident set size (VmHWM).
 */
export interface ProcessMemory {
  anon: number;
  anonHuge: number;
  file: number;
  pss: number;
  peak: number;
}

/** The memory of this process (or of the process `pid`) now; throws off Linux (no /proc). */
export function processMemoryMiB(pid: number | 'self' = 'self'): ProcessMemory {
  const kib = (text: string, field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN) / 1024;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  return { anon: kib(status, 'RssAnon'), anonHuge: kib(rollup, 'AnonHugePages'), file: kib(status, 'RssFile'), pss: kib(rollup, 'Pss'), peak: kib(status, 'VmHWM') };
}
