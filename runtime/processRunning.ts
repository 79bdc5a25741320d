// Whether a process still runs, for cleanups that must not take what a live process holds (a model copy's lock, an
// efficiency check's temp folder).

export function isProcessRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
