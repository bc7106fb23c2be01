/**
 * Runtime parsers for every client→server payload. A handler only ever sees what these return.
 * Objects are strict (unknown keys are rejected, so typos surface instead of being ignored).
 */
import { z } from 'zod';
import { ChatError, type ErrorCode } from './errors';
import { checkDisplayName, DISPLAY_NAME_RULES } from './display-names';
import { NAME_RULES, normalizeName } from './names';
import { MAX_TOKEN_LENGTH as MAX_JWT_LENGTH } from './auth/jwt';
import {
  DEFAULT_HISTORY_PAGE,
  DEFAULT_USERS_PAGE,
  MAX_CLIENT_ID_LENGTH,
  MAX_CONVERSATIONS_PAGE,
  MAX_HISTORY_PAGE,
  MAX_LIST_PAGE,
  MAX_REASON_LENGTH,
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

/** A sign-in code as typed (sign-in-codes.ts reads it): checked only for its type and a sane length here. */
const codeLength = lengthWithin(1, 32);
const code = z.string().refine(codeLength.check, codeLength.message);

const loginWithName = z
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

/** `login { code }` (issue 21): a sign-in code alone, never beside a name or a token. */
const loginWithCode = z.strictObject({ code }).transform((p) => ({ code: p.code }));

/** Whether a payload is a code login: an object with an own `code` key (so `{ code, username }` is refused). */
const hasCode = (input: unknown) => typeof input === 'object' && input !== null && Object.hasOwn(input, 'code');

export const loginSchema = z.unknown().transform((input, ctx) => {
  // Read on the payload as received, as jwtLoginSchema does (an own `__proto__` key survives only there).
  const parsed = (hasCode(input) ? loginWithCode : loginWithName).safeParse(input);
  if (parsed.success) return parsed.data;
  // The tutorial's `id` is a name; endSession's `id` is not (FIELD_CODES), so login says so itself.
  for (const issue of parsed.error.issues.slice(0, 1)) forward(issue, input, ctx, issue.path[0] === 'id' ? 'invalid_username' : undefined);
  return z.NEVER;
});

/**
 * `io(url, { auth })` in the open mode: `{ username, token? }` claims or opens a name during the handshake,
 * `{ token }` alone opens the name that token belongs to, `{ code }` redeems a sign-in code, `{}` (or no auth)
 * connects anonymously.
 */
export const handshakeAuthSchema = z
  .strictObject({ username: name.optional(), token: token.optional(), code: code.optional() })
  .refine((p) => p.code === undefined || (p.username === undefined && p.token === undefined), {
    message: 'a sign-in code comes alone',
    path: ['code'],
  })
  .transform((p) => ({ name: p.username, token: p.token, code: p.code }));

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
  forward(parsed.error.issues[0], input, ctx); // parsePayload reports the first problem
  return z.NEVER;
});

/**
 * Reports an issue found by an inner schema as this one's, so that parsePayload maps its field as usual, or to
 * `code` when given.
 */
function forward(issue: z.core.$ZodIssue, input: unknown, ctx: z.RefinementCtx, code?: ErrorCode): void {
  if (issue.code === 'unrecognized_keys') ctx.addIssue({ code: 'unrecognized_keys', keys: issue.keys, input: input as Record<string, unknown> });
  else if (issue.code === 'invalid_type' && issue.path.length === 0) ctx.addIssue({ code: 'custom', message: issue.message });
  else ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path, ...(code && { params: { code } }) });
}

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
    room: name.optional(),
    before: messageId.optional(),
    limit: z.number().int().positive().optional(),
  })
  .refine((p) => p.with === undefined || p.room === undefined, { message: 'Give "with" or "room", not both.' })
  .transform((p) => ({
    with: p.with,
    room: p.room,
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

export const signInCodeSchema = z.strictObject({});

export const sessionsSchema = z.strictObject({});

const sessionIdLength = lengthWithin(1, 64);
const endOne = z.strictObject({ id: z.string().refine(sessionIdLength.check, sessionIdLength.message) });
const endOthers = z.strictObject({ others: z.literal(true) });
/** `endSession { id }` or `{ others: true }`, one of them alone. */
export const endSessionSchema = z.unknown().transform((input, ctx) => {
  const one = typeof input === 'object' && input !== null && Object.hasOwn(input, 'id');
  const parsed = (one ? endOne : endOthers).safeParse(input);
  if (parsed.success) return parsed.data;
  forward(parsed.error.issues[0], input, ctx);
  return z.NEVER;
});

/** A display name (display-names.ts): refused `invalid_display_name` with the rule it breaks. */
const displayName = z.string().transform((raw, ctx) => {
  const checked = checkDisplayName(raw);
  if ('problem' in checked) {
    ctx.addIssue({ code: 'custom', message: checked.problem });
    return z.NEVER;
  }
  return checked.displayName;
});
export const profileSchema = z.strictObject({ displayName });

const receiptCount = lengthWithin(1, MAX_RECEIPTS);
export const receivedSchema = z.strictObject({ ids: z.array(messageId).refine(receiptCount.check, receiptCount.message) });

export const syncSchema = z
  .strictObject({ after: messageId, limit: z.number().int().positive().optional() })
  .transform((p) => ({ after: p.after, limit: Math.min(p.limit ?? MAX_SYNC_PAGE, MAX_SYNC_PAGE) }));

// ---- rooms and read state (issue 17) ----------------------------------------------------------------

/** Codes of fields whose name means something else in one schema (createRoom's `name` is a room's). */
const SCHEMA_FIELD_CODES = new WeakMap<z.ZodType, Record<string, ErrorCode>>();

function withFieldCodes<S extends z.ZodType>(schema: S, codes: Record<string, ErrorCode>): S {
  SCHEMA_FIELD_CODES.set(schema, codes);
  return schema;
}

const pageLimit = z.number().int().positive().optional();

/** A room name to create: the user name rules; the stricter ones for new names are checked by the handler. */
export const createRoomSchema = withFieldCodes(
  z.strictObject({ name, private: z.boolean().optional() }).transform((p) => ({ name: p.name, private: p.private ?? false })),
  { name: 'invalid_room' },
);

export const roomSchema = z.strictObject({ room: name });

export const roomUserSchema = z.strictObject({ room: name, user: name });

export const roomMsgSchema = z.strictObject({ room: name, text, clientId: clientId.optional() });

export const roomsSchema = z
  .strictObject({ mine: z.boolean().optional(), after: name.optional(), limit: pageLimit })
  .transform((p) => ({ mine: p.mine ?? false, after: p.after, limit: Math.min(p.limit ?? MAX_LIST_PAGE, MAX_LIST_PAGE) }));

export const membersSchema = z
  .strictObject({ room: name, after: name.optional(), limit: pageLimit })
  .transform((p) => ({ room: p.room, after: p.after, limit: Math.min(p.limit ?? MAX_LIST_PAGE, MAX_LIST_PAGE) }));

export const readSchema = z
  .strictObject({ upTo: messageId, room: name.optional(), with: name.optional() })
  .refine((p) => p.with === undefined || p.room === undefined, { message: 'Give "with" or "room", not both.' });

export const conversationsSchema = z
  .strictObject({ before: messageId.optional(), limit: pageLimit })
  .transform((p) => ({ before: p.before, limit: Math.min(p.limit ?? MAX_CONVERSATIONS_PAGE, MAX_CONVERSATIONS_PAGE) }));

// ---- editing, deleting, blocking, reporting (issue 19) ------------------------------------------------

/** `id` is a message's here, not the tutorial's login name. */
const messageIdCodes: Record<string, ErrorCode> = { id: 'invalid_payload' };

export const editMsgSchema = withFieldCodes(z.strictObject({ id: messageId, text }), messageIdCodes);

export const deleteMsgSchema = withFieldCodes(z.strictObject({ id: messageId }), messageIdCodes);

export const userSchema = z.strictObject({ user: name });

/** 1–500 characters after trimming, well-formed. */
const reason = z.string().transform((raw, ctx) => {
  const trimmed = raw.trim();
  const length = [...trimmed].length;
  if (!trimmed.isWellFormed() || length < 1 || length > MAX_REASON_LENGTH) {
    ctx.addIssue({ code: 'custom', message: `between 1 and ${MAX_REASON_LENGTH} characters after trimming` });
    return z.NEVER;
  }
  return trimmed;
});
export const reportSchema = withFieldCodes(z.strictObject({ id: messageId, reason: reason.optional() }), messageIdCodes);

/** Which error code a failure on a given field maps to; anything else is `invalid_payload`. */
const FIELD_CODES: Record<string, ErrorCode> = {
  username: 'invalid_username',
  to: 'invalid_username',
  with: 'invalid_username',
  user: 'invalid_username',
  room: 'invalid_room',
  text: 'invalid_message',
  newAccount: 'invalid_message',
  name: 'unauthorized',
  displayName: 'invalid_display_name',
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
  const named = issue.code === 'custom' ? (issue.params?.code as ErrorCode | undefined) : undefined;
  const codes = SCHEMA_FIELD_CODES.get(schema) ?? FIELD_CODES;
  const code = named ?? ((typeof field === 'string' && (codes[field] ?? FIELD_CODES[field])) || 'invalid_payload');
  throw new ChatError(code, describe(code, issue, field));
}

function describe(code: ErrorCode, issue: z.core.$ZodIssue, field: PropertyKey | undefined): string {
  if (code === 'invalid_username' || code === 'invalid_room') {
    return `${code === 'invalid_room' ? 'Room names follow the name rules: ' : ''}${NAME_RULES} (field "${String(field)}").`;
  }
  if (code === 'unauthorized') return 'This chat signs you in with a token from its host application, not with a name.';
  if (code === 'invalid_display_name') return issue.code === 'custom' ? issue.message : `${DISPLAY_NAME_RULES}.`;
  if (code === 'invalid_message') {
    return `Message text must be 1-${MAX_TEXT_LENGTH} characters after trimming, without NUL or lone surrogates.`;
  }
  if (issue.code === 'unrecognized_keys') {
    return `Unknown field(s): ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}.`;
  }
  if (field !== undefined) return `Invalid field "${String(field)}": ${issue.message}.`;
  if (issue.code === 'custom') return issue.message; // a rule about the whole payload (e.g. "with" or "room")
  return 'The payload must be an object.';
}
