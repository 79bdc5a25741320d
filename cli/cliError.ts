/** A failure the command line reports as its one sentence, with exit code 1 (a usage error is args.ts's UsageError). */
export class CliError extends Error {}
