/**
 * The validation rules of docs/protocol.md, written out on their own rather than taken from src/schemas.ts,
 * so that the fuzz suite checks the server against the documentation: a payload the rules refuse must be
 * refused with one of the codes its problems map to, and a payload they accept must never be refused for its
 * shape (only for the state of things: not logged in, unknown user, name taken…).
 */
import { MAX_CLIENT_ID_LENGTH, MAX_DISPLAY_NAME_LENGTH, MAX_NAME_LENGTH, MAX_REASON_LENGTH, MAX_RECEIPTS, MAX_TEXT_LENGTH, type ClientEvent } from '../../src/protocol';

export const VALIDATION_CODES = ['invalid_payload', 'invalid_username', 'invalid_message', 'invalid_display_name', 'invalid_room'] as const;
export type ValidationCode = (typeof VALIDATION_CODES)[number];

type Rule = { code: ValidationCode; valid: (value: unknown) => boolean };

const codePoints = (s: string) => [...s].length;

/** 1–32 letters or digits of any script (with the combining marks many scripts need) or `_ - .`, after trimming and NFC. */
const name: Rule = {
  code: 'invalid_username',
  valid: (v) => {
    if (typeof v !== 'string' || !v.isWellFormed()) return false;
    const n = v.trim().normalize('NFC');
    return codePoints(n) >= 1 && codePoints(n) <= MAX_NAME_LENGTH && /^[\p{L}\p{M}\p{N}_.-]+$/u.test(n);
  },
};
/** Room names follow the name rules (docs/protocol.md, "Rooms"), refused as `invalid_room`. */
const room: Rule = { code: 'invalid_room', valid: name.valid };
/** A name where a page starts (`rooms`, `members`, `users`): the name rules, refused as `invalid_payload`. */
const after: Rule = { code: 'invalid_payload', valid: name.valid };
/** 1–4000 characters after trimming, well-formed Unicode, no NUL (which a database cannot hold). */
const text: Rule = {
  code: 'invalid_message',
  valid: (v) =>
    typeof v === 'string' && v.isWellFormed() && !v.includes('\u0000') && codePoints(v.trim()) >= 1 && codePoints(v.trim()) <= MAX_TEXT_LENGTH,
};
const payload = (valid: (v: unknown) => boolean): Rule => ({ code: 'invalid_payload', valid });
const isMessageId = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
const messageId = payload(isMessageId);
const limit = payload((v) => Number.isSafeInteger(v) && (v as number) > 0);
/** Not in the protocol document: src/schemas.ts bounds it to 256 characters. */
const token = payload((v) => typeof v === 'string' && codePoints(v) >= 1 && codePoints(v) <= 256);
/** A report's reason: 1–500 characters after trimming, well-formed. */
const reason = payload((v) => typeof v === 'string' && v.isWellFormed() && codePoints(v.trim()) >= 1 && codePoints(v.trim()) <= MAX_REASON_LENGTH);
const clientId = payload((v) => typeof v === 'string' && new RegExp(`^[A-Za-z0-9_-]{1,${MAX_CLIENT_ID_LENGTH}}$`).test(v));
/** A sign-in code's shape is only a string of 1-32 characters: which strings are codes is not a question of shape. */
const code = payload((v) => typeof v === 'string' && codePoints(v) >= 1 && codePoints(v) <= 32);
const sessionId = payload((v) => typeof v === 'string' && codePoints(v) >= 1 && codePoints(v) <= 64);
/**
 * 1–64 characters once trimmed, NFC and each run of spaces made one; no control, format, private-use,
 * unassigned or other invisible characters (but the joiners and selectors inside an emoji sequence), no line or
 * paragraph separators, at most 6 combining marks in a row.
 */
const displayName: Rule = {
  code: 'invalid_display_name',
  valid: (v) => {
    if (typeof v !== 'string' || !v.isWellFormed()) return false;
    const n = v.normalize('NFC').replace(/\p{Zs}+/gu, ' ').trim();
    if (codePoints(n) < 1 || codePoints(n) > MAX_DISPLAY_NAME_LENGTH || /\p{M}{7}/u.test(n)) return false;
    const pictures = n.replace(/\p{Extended_Pictographic}\uFE0F?\p{Emoji_Modifier}?(\u200D\p{Extended_Pictographic}\uFE0F?\p{Emoji_Modifier}?)*/gu, '*');
    return !/[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]/u.test(pictures);
  },
};

interface Shape {
  fields: Record<string, Rule>;
  required?: string[];
  /** Exactly one of these two fields, or the code. */
  oneOf?: [string, string, ValidationCode];
  /** At most one of these two fields (`invalid_payload` otherwise). */
  exclusive?: [string, string];
}

/** Events whose shape depends on which keys are there: a `login` with a `code` is that code alone. */
const VARIANTS: Partial<Record<ClientEvent, (fields: Record<string, unknown>) => Shape>> = {
  login: (fields) => (Object.hasOwn(fields, 'code') ? { fields: { code }, required: ['code'] } : SHAPES.login),
  endSession: (fields): Shape =>
    Object.hasOwn(fields, 'id')
      ? { fields: { id: sessionId }, required: ['id'] }
      : { fields: { others: payload((v) => v === true) }, required: ['others'] },
};

const SHAPES: Record<ClientEvent, Shape> = {
  login: { fields: { username: name, id: name, token }, oneOf: ['username', 'id', 'invalid_username'] },
  sendMsg: { fields: { text, newAccount: text, clientId }, oneOf: ['text', 'newAccount', 'invalid_message'] },
  privateMsg: { fields: { to: name, text, clientId }, required: ['to', 'text'] },
  history: { fields: { with: name, room, before: messageId, limit }, exclusive: ['with', 'room'] },
  users: { fields: { after, limit } },
  typing: { fields: { to: name } },
  sync: { fields: { after: messageId, limit }, required: ['after'] },
  logout: { fields: { release: payload((v) => typeof v === 'boolean') } },
  received: {
    fields: { ids: payload((v) => Array.isArray(v) && v.length >= 1 && v.length <= MAX_RECEIPTS && v.every(isMessageId)) },
    required: ['ids'],
  },
  signInCode: { fields: {} },
  sessions: { fields: {} },
  endSession: { fields: {} }, // see VARIANTS
  profile: { fields: { displayName }, required: ['displayName'] },
  createRoom: { fields: { name: room, private: payload((v) => typeof v === 'boolean') }, required: ['name'] },
  joinRoom: { fields: { room }, required: ['room'] },
  leaveRoom: { fields: { room }, required: ['room'] },
  invite: { fields: { room, user: name }, required: ['room', 'user'] },
  removeMember: { fields: { room, user: name }, required: ['room', 'user'] },
  roomMsg: { fields: { room, text, clientId }, required: ['room', 'text'] },
  rooms: { fields: { mine: payload((v) => typeof v === 'boolean'), after, limit } },
  members: { fields: { room, after, limit }, required: ['room'] },
  read: { fields: { upTo: messageId, room, with: name }, required: ['upTo'], exclusive: ['room', 'with'] },
  conversations: { fields: { before: messageId, limit } },
  editMsg: { fields: { id: messageId, text }, required: ['id', 'text'] },
  deleteMsg: { fields: { id: messageId }, required: ['id'] },
  block: { fields: { user: name }, required: ['user'] },
  unblock: { fields: { user: name }, required: ['user'] },
  report: { fields: { id: messageId, reason }, required: ['id'] },
};

/**
 * The codes `input` (the payload as the server received it, after JSON) may be refused with; empty when the
 * documentation accepts it. No payload at all counts as `{}`.
 */
export function refusals(event: ClientEvent, input: unknown): Set<ValidationCode> {
  const codes = new Set<ValidationCode>();
  const value = input === undefined ? {} : input;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return codes.add('invalid_payload');
  const fields = value as Record<string, unknown>;
  const shape = VARIANTS[event]?.(fields) ?? SHAPES[event];
  for (const key of Object.keys(fields)) {
    const rule = Object.hasOwn(shape.fields, key) ? shape.fields[key] : undefined;
    if (rule === undefined) codes.add('invalid_payload');
    else if (!rule.valid(fields[key])) codes.add(rule.code);
  }
  for (const key of shape.required ?? []) if (!Object.hasOwn(fields, key)) codes.add(shape.fields[key].code);
  if (shape.oneOf) {
    const [a, b, code] = shape.oneOf;
    if (Object.hasOwn(fields, a) === Object.hasOwn(fields, b)) codes.add(code);
  }
  if (shape.exclusive && shape.exclusive.every((key) => Object.hasOwn(fields, key))) codes.add('invalid_payload');
  return codes;
}

/**
 * JWT mode's `login` (docs/auth.md): exactly `{ token }`, a string of 1–8192 characters (code points, as every
 * length in the protocol; the verifier then refuses more than 8192 UTF-16 units as unauthorized); a name (`username`
 * or `id`) is refused `unauthorized`, since names come only from the host; anything else is
 * `invalid_payload`. Which tokens log in is not a question of shape (unauthorized when refused).
 */
export function jwtLoginRefusals(input: unknown): Set<string> {
  const value = input === undefined ? {} : input;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return new Set(['invalid_payload']);
  if (Object.hasOwn(value, 'username') || Object.hasOwn(value, 'id')) return new Set(['unauthorized']);
  const { token, ...rest } = value as Record<string, unknown>;
  const good = Object.keys(rest).length === 0 && typeof token === 'string' && codePoints(token) >= 1 && codePoints(token) <= 8192;
  return good ? new Set() : new Set(['invalid_payload']);
}
