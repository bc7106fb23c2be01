/**
 * What to do when the server refuses a handshake (`connect_error` with `err.data = { code, message }`):
 * Socket.IO does not try a refused handshake again by itself. A failure without a code is the network's, and
 * Socket.IO's own back-off retries it.
 */
import type { ClientError } from './request.js';
import type { Presented } from './session.js';

export type Refusal =
  /** Try again in `ms` with the same credentials: a rate limit (after its `retryAfterMs`), or trouble on the server. */
  | { action: 'retry'; ms: number }
  /** The kept session opens nothing any more: forget it, and connect anonymously. */
  | { action: 'signOut' }
  /** The credentials the application gave were refused: `connect` answers with the error; the application decides. */
  | { action: 'answer' };

/** How long a refused handshake waits before it is tried again, unless the server said (`rate_limited`). */
const RETRY_MS = 3_000;
/** Added to the server's retryAfterMs, so that the retry does not land a hair before the limit's window ends. */
const MARGIN_MS = 250;
const SIGNED_OUT = new Set(['unauthorized', 'username_taken', 'invalid_username']);

export function refusal(error: ClientError, presented: Presented): Refusal {
  if (error.code === 'rate_limited') return { action: 'retry', ms: (error.retryAfterMs ?? RETRY_MS) + MARGIN_MS };
  if (presented === 'given') return { action: 'answer' };
  if (presented === 'kept' && SIGNED_OUT.has(error.code)) return { action: 'signOut' };
  // JWT mode (the host's token was refused: expired meanwhile, or a user the chat does not accept), or the server.
  return { action: 'retry', ms: RETRY_MS };
}

/** The refusal carried by a `connect_error`, if the server refused (rather than the network failing). */
export function refusalOf(err: unknown): ClientError | undefined {
  const data = (err as { data?: Partial<ClientError> } | null)?.data;
  if (typeof data?.code !== 'string') return undefined;
  return { code: data.code, message: data.message ?? 'The server refused the connection.', ...(typeof data.retryAfterMs === 'number' && { retryAfterMs: data.retryAfterMs }) };
}
