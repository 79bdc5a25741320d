// Whether a process still runs, for cleanups that must not take what a live process holds (a model copy's lock, an
// efficiency check's temp folder).
import { readFileSync } from 'node:fs';

export function isProcessRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Clock ticks per second in /proc's times: USER_HZ, 100 on every Linux ABI. */
const USER_HZ = 100;
/** btime is whole seconds and the tick count rounds: a writer started up to this long after its file's time still counts. */
const START_SLACK_MS = 5_000;

let bootTimeMs: number | null | undefined;

/**
 * Whether the process that left a file tagged with `pid` (last written at `writtenAtMs`) may still run. A pid that runs
 * now but started after the file was written is another process that was given the same pid: after a container's
 * restart pids repeat, and a lock left by a killed build named the new server itself, so its copy was never built again.
 * Where the start time cannot be read (not Linux), a running pid counts as the writer.
 */
export function isWriterRunning(pid: number, writtenAtMs: number): boolean {
  if (!isProcessRunning(pid)) return false;
  const started = processStartMs(pid);
  return started === undefined || started <= writtenAtMs + START_SLACK_MS;
}

/** When a process started, in epoch milliseconds, from /proc; undefined where that cannot be read. */
export function processStartMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The name field is in parentheses and may hold spaces: fields are counted after its closing one (field 3 on).
    const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[22 - 3]);
    const boot = bootTime();
    return boot === null || !Number.isFinite(ticks) ? undefined : boot + (ticks / USER_HZ) * 1000;
  } catch {
    return undefined;
  }
}

function bootTime(): number | null {
  if (bootTimeMs === undefined) {
    try {
      const seconds = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]);
      bootTimeMs = Number.isFinite(seconds) ? seconds * 1000 : null;
    } catch {
      bootTimeMs = null;
    }
  }
  return bootTimeMs;
}
