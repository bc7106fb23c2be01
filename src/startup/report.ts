/**
 * Tells a start-up failure to whoever started the server: plain lines on stderr when stdout is a terminal (a
 * person typing `npm start`), one JSON log line on stdout otherwise (a service manager, a container, a log
 * collector: the same pino format as every other line the server writes).
 */
import type { StartupFailure } from './failures';
import { createLogger } from '../log';

export function reportStartupFailure(failure: StartupFailure, terminal = process.stdout.isTTY === true): void {
  if (terminal) process.stderr.write(plainText(failure));
  else jsonLine(failure);
}

/**
 * `port 3000 is in use: set PORT to a free port…`, or for a configuration, the problems one a line:
 *
 *     the configuration has 2 problems:
 *       PORT: …
 *       LOG_LEVEL: …
 *     set these variables in the environment or in .env (…) and start again
 */
export function plainText({ problem, hint, problems, err }: StartupFailure): string {
  const lines = problems ? [`${problem}:`, ...problems.map((p) => `  ${p}`), hint] : [`${problem}: ${hint}`];
  if (err instanceof Error && err.stack) lines.push('', err.stack);
  return `${lines.join('\n')}\n`;
}

function jsonLine({ problem, hint, problems, err }: StartupFailure): void {
  // Whatever LOG_LEVEL says (it may be the very thing that is wrong), a refusal to start is worth a line.
  createLogger('info').fatal({ hint, ...(problems && { problems }), ...(err !== undefined && { err }) }, problem);
}
