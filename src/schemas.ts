/**
 * Runtime parsers for every client→server payload. A handler only ever sees what these return.
 * Objects are strict (unknown keys are rejected, so typos surface instead of being ignored).
 */
import { z } from 'zod';
import { ChatError, type ErrorCode } from './errors';
import { NAME_RULES, normalizeName } from './names';
import { MAX_TOKEN_LENGTH as MAX_JWT_LENGTH } from './auth/jwt';
import {
  DEFAULT_HISTORY_PAGE,
  DEFAULT_USERS_PAGE,
  MAX_CLIENT_ID_LENGTH,
  MAX_HISTORY_PAGE,
  MAX_RECEIPTS,
  MAX_SYNC_PAGE,
  MAX_TEXT_LENGTH,
  MAX_USERS_PAGE,
} from './protocol';

/**
 * A name to log in to or to look up. The stricter rules for a new name (names.ts, `checkName`: no mixed
 * scripts, nothing invisible) apply when a login creates a user (identity.ts), after the look-alike check: a
 * look-alike of a taken name is `username_taken`, and a name older than those rules still opens with its token.
 */
const name = z.string().transform((raw, ctx) => {
  const normalized = normalizeName(raw);
  if (normalized === undefined) {
    ctx.addIssue({ code: 'custom', message: 'not a valid name' });
    return z.NEVER;
  }
  return normalized;
});

/**
 * Whether `text` can be stored by every store as it is: well-formed Unicode (no lone surrogate) and no NUL,
 * which PostgreSQL's text cannot hold (it failed such a send as internal_error while SQLite stored it; issue 16).
 */
export function storable(text: string): boolean {
  return text.isWellFormed() && !text.includes('\u0000');
}

const text = z.string().transform((raw, ctx) => {
  const trimmed = raw.trim();
  const length = [...trimmed].length;
  if (!storable(trimmed) || length < 1 || length > MAX_TEXT_LENGTH) {
    ctx.addIssue({ code: 'custom', message: 'not a valid message text' });
    return z.NEVER;
  }
  return trimmed;
});

/**
 * `min ≤ length ≤ max` (characters, or items), checked only once the value passed its type check. zod's own
 * `.min()`/`.max()` also run on a value of the wrong type that has a `length`, and throw (TypeError, so
 * `internal_error`) when that `length` is an object with no primitive value, as in
 * `{"ids": {"length": {"toString": ""}}}`. Found by tests/fuzz (issue 11).
 */
export function lengthWithin(min: number, max: number) {
  return {
    check: (value: string | unknown[]) => {
      const length = typeof value === 'string' ? [...value].length : value.length;
      return length >= min && length <= max;
    },
    message: `between ${min} and ${max} long`,
  };
}

const tokenLength = lengthWithin(1, 256);
const token = z.string().refine(tokenLength.check, tokenLength.message);

const clientId = z
  .string()
  .regex(new RegExp(`^[A-Za-z0-9_-]{1,${MAX_CLIENT_ID_LENGTH}}$`), 'letters, digits, "_" or "-", 1-64 of them');

const messageId = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

export const loginSchema = z
  .strictObject({ id: name.optional(), username: name.optional(), token: token.optional() })
  .refine((p) => (p.id === undefined) !== (p.username === undefined), {
    message: 'give exactly one of "username" or "id"',
    path: ['username'],
  })
  .transform((p) => ({
    name: (p.username ?? p.id) as string,
    token: p.token,
    form: p.username !== undefined ? ('username' as const) : ('legacy' as const),
  }));

/**
 * `io(url, { auth })` in the open mode: `{ username, token? }` claims or opens a name during the handshake,
 * `{ token }` alone opens the name that token belongs to, `{}` (or no auth) connects anonymously.
 */
export const handshakeAuthSchema = z
  .strictObject({ username: name.optional(), token: token.optional() })
  .transform((p) => ({ name: p.username, token: p.token }));

/**
 * JWT mode (`AUTH_MODE=jwt`): `login { token }` and handshake `auth: { token }` carry the host's JWT. A name
 * (`username`, `id`) is refused as `unauthorized`: in this mode names come only from the host's tokens.
 */
const jwtLength = lengthWithin(1, MAX_JWT_LENGTH);
const jwtToken = z.strictObject({ token: z.string().refine(jwtLength.check, jwtLength.message) });
export const jwtLoginSchema = z.unknown().transform((input, ctx) => {
  // Read on the payload as received: a copy made by a schema first would have lost an own `__proto__` key.
  // Found by tests/fuzz/jwt-login.test.ts, with unknown keys and over-long tokens let through beside a name's
  // looser shape, and zod's length check throwing on a `length` trap (see lengthWithin).
  const named = typeof input === 'object' && input !== null && (Object.hasOwn(input, 'username') || Object.hasOwn(input, 'id'));
  if (named) {
    ctx.addIssue({ code: 'custom', message: 'names come from the host application here', path: ['name'] });
    return z.NEVER;
  }
  const parsed = jwtToken.safeParse(input);
  if (parsed.success) return parsed.data;
  const [issue] = parsed.error.issues; // parsePayload reports the first problem
  if (issue.code === 'unrecognized_keys') ctx.addIssue({ code: 'unrecognized_keys', keys: issue.keys, input: input as Record<string, unknown> });
  else ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
  return z.NEVER;
});

export const sendMsgSchema = z
  .strictObject({ text: text.optional(), newAccount: text.optional(), clientId: clientId.optional() })
  .refine((p) => (p.text === undefined) !== (p.newAccount === undefined), {
    message: 'give exactly one of "text" or "newAccount"',
    path: ['text'],
  })
  .transform((p) => ({ text: (p.text ?? p.newAccount) as string, clientId: p.clientId }));

export const privateMsgSchema = z.strictObject({ to: name, text, clientId: clientId.optional() });

export const historySchema = z
  .strictObject({
    with: name.optional(),
    before: messageId.optional(),
    limit: z.number().int().positive().optional(),
  })
  .transform((p) => ({
    with: p.with,
    before: p.before,
    limit: Math.min(p.limit ?? DEFAULT_HISTORY_PAGE, MAX_HISTORY_PAGE),
  }));

export const usersSchema = z
  .strictObject({ after: name.optional(), limit: z.number().int().positive().optional() })
  .transform((p) => ({ after: p.after, limit: Math.min(p.limit ?? DEFAULT_USERS_PAGE, MAX_USERS_PAGE) }));

export const typingSchema = z.strictObject({ to: name.optional() });

export const logoutSchema = z
  .strictObject({ release: z.boolean().optional() })
  .transform((p) => ({ release: p.release ?? false }));

const receiptCount = lengthWithin(1, MAX_RECEIPTS);
export const receivedSchema = z.strictObject({ ids: z.array(messageId).refine(receiptCount.check, receiptCount.message) });

export const syncSchema = z
  .strictObject({ after: messageId, limit: z.number().int().positive().optional() })
  .transform((p) => ({ after: p.after, limit: Math.min(p.limit ?? MAX_SYNC_PAGE, MAX_SYNC_PAGE) }));

/** Which error code a failure on a given field maps to; anything else is `invalid_payload`. */
const FIELD_CODES: Record<string, ErrorCode> = {
  id: 'invalid_username',
  username: 'invalid_username',
  to: 'invalid_username',
  with: 'invalid_username',
  text: 'invalid_message',
  newAccount: 'invalid_message',
  name: 'unauthorized',
};

/**
 * Parses `input` with `schema`, or throws a ChatError naming the first problem. `undefined` (an event sent
 * with no payload) is read as `{}` so that events without arguments, like `users`, need none.
 */
export function parsePayload<T>(schema: z.ZodType<T>, input: unknown): T {
  const result = schema.safeParse(input === undefined ? {} : input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue.code === 'unrecognized_keys' ? undefined : issue.path[0];
  const code = (typeof field === 'string' && FIELD_CODES[field]) || 'invalid_payload';
  throw new ChatError(code, describe(code, issue, field));
}

function describe(code: ErrorCode, issue: z.core.$ZodIssue, field: PropertyKey | undefined): string {
  if (code === 'invalid_username') {
    return `${NAME_RULES} (field "${String(field)}").`;
  }
  if (code === 'unauthorized') return 'This chat signs you in with a token from its host application, not with a name.';
  if (code === 'invalid_message') {
    return `Message text must be 1-${MAX_TEXT_LENGTH} characters after trimming, without NUL or lone surrogates.`;
  }
  if (issue.code === 'unrecognized_keys') {
    return `Unknown field(s): ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}.`;
  }
  if (field !== undefined) return `Invalid field "${String(field)}": ${issue.message}.`;
  return 'The payload must be an object.';
}
