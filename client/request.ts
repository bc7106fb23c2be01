/**
 * Client→server calls as promises of the server's ack shape, `{ ok: true, ... } | { ok: false, error }`. A call
 * that gets no ack (timeout, or the connection went away) resolves as an error value too, with a code of the
 * library's own beside the server's (src/errors.ts): callers handle one shape, and nothing throws.
 */
import type { Socket } from 'socket.io-client';
import type { ErrorCode } from './wire.js';

/**
 * The server's codes, and the library's: `no_answer` (no ack in time), `not_connected` (not sent: no
 * connection), `discarded` (an unsent message dropped by `discard` or `logout`), `closed` (the client was closed).
 */
export type ClientErrorCode = ErrorCode | 'no_answer' | 'not_connected' | 'discarded' | 'closed';

export interface ClientError {
  code: ClientErrorCode;
  /** Written for people; may change. */
  message: string;
  /** With `rate_limited`: how long to wait before the same action is allowed again. */
  retryAfterMs?: number;
}

export type Result<T extends object = object> = ({ ok: true } & T) | { ok: false; error: ClientError };

/** How long a call waits for its ack. */
export const ACK_TIMEOUT_MS = 10_000;

export function failure(code: ClientErrorCode, message: string): { ok: false; error: ClientError } {
  return { ok: false, error: { code, message } };
}

/**
 * Emits `event` with `payload` and resolves with its ack. Nothing is emitted without a connection: Socket.IO
 * would buffer it and send it on the next one, before that connection has logged in and behind the library's
 * back (the outbox resends on its own, with the same clientId).
 */
export function request<T extends object = object>(socket: Socket, event: string, payload: object, timeoutMs = ACK_TIMEOUT_MS): Promise<Result<T>> {
  if (!socket.connected) return Promise.resolve(failure('not_connected', 'Not connected to the chat server.'));
  return new Promise((resolve) => {
    socket.timeout(timeoutMs).emit(event, payload, (err: Error | null, res: Result<T>) => {
      if (err) resolve(failure('no_answer', 'The server did not answer in time.'));
      else resolve(res);
    });
  });
}
