// `locus.model.threads` above the machine's cores: onnxruntime's threads then wait on each other, and a code-server
// probe on a 2-core machine measured a completion at 1,165 ms with 64 threads against 82-136 ms with 0, 1 or 2.

/** The warning for `threads` on a machine with `cores` logical cores; undefined where the setting fits. */
export function threadsWarning(threads: number, cores: number): string | undefined {
  if (threads <= cores) return undefined;
  return `locus.model.threads is ${threads}, more than this machine's ${cores} cores: the extra threads wait on each other and make completions slower; set it to ${cores} or less, or 0, which picks for the machine.`;
}
