// Server logging: every line goes to the connection's console, which the client shows in its Output channel.

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** The part of `connection.console` the logger needs. */
export interface LogSink {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export function taggedLogger(sink: LogSink, tag: string): Logger {
  return {
    info: (message) => sink.info(`[${tag}] ${message}`),
    warn: (message) => sink.warn(`[${tag}] ${message}`),
    error: (message) => sink.error(`[${tag}] ${message}`),
  };
}

/** A readable one-liner for anything thrown, following `cause`. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause === undefined ? '' : ` (cause: ${describeError(error.cause)})`;
  return `${error.name}: ${error.message}${cause}`;
}
