// A process's resident memory and CPU time as Linux reports them, for benches that tell private memory from mapped
// model files and that measure what a server process spends.
import { readFileSync } from 'node:fs';

/**
 * In MiB: private resident memory (RssAnon), the part of it in transparent huge pages (AnonHugePages), resident pages
 * of mapped files (RssFile), the proportional set size, the resident set size (VmRSS) and its peak (VmHWM).
 */
export interface ProcessMemory {
  anon: number;
  anonHuge: number;
  file: number;
  pss: number;
  resident: number;
  peak: number;
}

/** The memory of this process (or of the process `pid`) now; throws off Linux (no /proc). */
export function processMemoryMiB(pid: number | 'self' = 'self'): ProcessMemory {
  const kib = (text: string, field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN) / 1024;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  return { anon: kib(status, 'RssAnon'), anonHuge: kib(rollup, 'AnonHugePages'), file: kib(status, 'RssFile'), pss: kib(rollup, 'Pss'), resident: kib(status, 'VmRSS'), peak: kib(status, 'VmHWM') };
}

/** CPU time (user + system, all threads) the process `pid` has used, in ms; /proc counts it in 10 ms ticks. */
export function processCpuMs(pid: number): number {
  // The command name in parentheses may hold spaces: the fields are counted after it.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const tickMs = 10;
  return (Number(fields[11]) + Number(fields[12])) * tickMs;
}
