/**
 * The closed set of error codes a client can see, in an ack (`{ ok: false, error }`), in a `msg1` error
 * notice, or in an HTTP error body. Adding a code is a protocol change: document it in docs/protocol.md.
 */
export const ERROR_CODES = [
  'invalid_payload',
  'invalid_username',
  'invalid_message',
  'username_taken',
  'already_logged_in',
  'not_logged_in',
  'unknown_user',
  'rate_limited',
  'unknown_event',
  'unauthorized',
  'session_expired',
  'session_ended',
  'invalid_display_name',
  'forbidden',
  'not_found',
  'method_not_allowed',
  'internal_error',
  // Rooms (issue 17).
  'invalid_room',
  'room_taken',
  'unknown_room',
  'not_member',
  'forbidden',
  'limit_reached',
  // Editing, deleting, blocking, reporting, banning (issue 19).
  'unknown_message',
  'banned',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  /** With `rate_limited`: how long to wait before the same action is allowed again. */
  retryAfterMs?: number;
}

/**
 * An expected failure caused by the caller (bad input, wrong state). Its message is written for the client
 * and is always safe to show. Anything else thrown inside a handler is a bug and is reported as
 * `internal_error` without details.
 */
export class ChatError extends Error {
  readonly code: ErrorCode;
  /** HTTP status to use when the error reaches an HTTP client. */
  readonly status: number;
  readonly retryAfterMs: number | undefined;

  constructor(code: ErrorCode, message: string, status = statusFor(code), details: { retryAfterMs?: number } = {}) {
    super(message);
    this.name = 'ChatError';
    this.code = code;
    this.status = status;
    this.retryAfterMs = details.retryAfterMs;
  }

  toBody(): ErrorBody {
    const body: ErrorBody = { code: this.code, message: this.message };
    if (this.retryAfterMs !== undefined) body.retryAfterMs = this.retryAfterMs;
    return body;
  }
}

function statusFor(code: ErrorCode): number {
  switch (code) {
    case 'unauthorized':
    case 'session_expired':
      return 401;
    case 'forbidden':
      return 403;
    case 'not_found':
    case 'unknown_user':
    case 'unknown_room':
    case 'unknown_message':
      return 404;
    case 'forbidden':
    case 'not_member':
    case 'banned':
      return 403;
    case 'method_not_allowed':
      return 405;
    case 'username_taken':
    case 'already_logged_in':
    case 'room_taken':
      return 409;
    case 'rate_limited':
      return 429;
    case 'internal_error':
      return 500;
    default:
      return 400;
  }
}

export const INTERNAL_ERROR: ErrorBody = { code: 'internal_error', message: 'Something went wrong on the server.' };

/** The client-safe body for any thrown value: a ChatError's own, or a generic internal error. */
export function errorBody(err: unknown): ErrorBody {
  return err instanceof ChatError ? err.toBody() : INTERNAL_ERROR;
}
