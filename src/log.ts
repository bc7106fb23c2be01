import pino, { type Logger } from 'pino';
import type { LogLevel } from './config';

/**
 * Structured JSON logs on stdout. Callers log ids, names, codes and timings, never message bodies or
 * tokens; the redaction below is a second line of defence for fields that must never appear.
 *
 * Written synchronously: pino's default asynchronous destination flushes itself with `flushSync` when the
 * process exits, and that retries a write to a closed pipe forever (sonic-boom 4's flushSync sleeps and
 * retries on every error but EAGAIN), so a server whose log reader went away first (`npm start | pino-pretty`
 * stopped with Ctrl+C) never finished its shutdown. A synchronous write sees EPIPE at once, and pino then
 * stops logging. At the default level only a few lines a minute are written (request lines are debug).
 */
export function createLogger(level: LogLevel): Logger {
  return pino(
    {
      level,
      base: { service: 'chat' },
      redact: { paths: ['token', '*.token', 'text', '*.text', 'authorization', '*.authorization'], censor: '[redacted]' },
    },
    pino.destination({ dest: 1, sync: true }),
  );
}
