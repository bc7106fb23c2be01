import pino, { type Logger } from 'pino';
import type { LogLevel } from './config';

/**
 * Structured JSON logs on stdout. Callers log ids, names, codes and timings, never message bodies or
 * tokens; the redaction below is a second line of defence for fields that must never appear.
 */
export function createLogger(level: LogLevel): Logger {
  return pino({
    level,
    base: { service: 'chat' },
    redact: { paths: ['token', '*.token', 'text', '*.text', 'authorization', '*.authorization'], censor: '[redacted]' },
  });
}
