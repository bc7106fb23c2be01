/**
 * The validation rules of docs/protocol.md, written out on their own rather than taken from src/schemas.ts,
 * so that the fuzz suite checks the server against the documentation: a payload the rules refuse must be
 * refused with one of the codes its problems map to, and a payload they accept must never be refused for its
 * shape (only for the state of things: not logged in, unknown user, name taken…).
 */
import { MAX_CLIENT_ID_LENGTH, MAX_NAME_LENGTH, MAX_RECEIPTS, MAX_TEXT_LENGTH, type ClientEvent } from '../../src/protocol';

export const VALIDATION_CODES = ['invalid_payload', 'invalid_username', 'invalid_message'] as const;
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
const clientId = payload((v) => typeof v === 'string' && new RegExp(`^[A-Za-z0-9_-]{1,${MAX_CLIENT_ID_LENGTH}}$`).test(v));

interface Shape {
  fields: Record<string, Rule>;
  required?: string[];
  /** Exactly one of these two fields, or the code. */
  oneOf?: [string, string, ValidationCode];
}

const SHAPES: Record<ClientEvent, Shape> = {
  login: { fields: { username: name, id: name, token }, oneOf: ['username', 'id', 'invalid_username'] },
  sendMsg: { fields: { text, newAccount: text, clientId }, oneOf: ['text', 'newAccount', 'invalid_message'] },
  privateMsg: { fields: { to: name, text, clientId }, required: ['to', 'text'] },
  history: { fields: { with: name, before: messageId, limit } },
  // `after` is a name (the last of the previous page), refused as a malformed field, not as a name.
  users: { fields: { after: payload(name.valid), limit } },
  typing: { fields: { to: name } },
  sync: { fields: { after: messageId, limit }, required: ['after'] },
  logout: { fields: { release: payload((v) => typeof v === 'boolean') } },
  received: {
    fields: { ids: payload((v) => Array.isArray(v) && v.length >= 1 && v.length <= MAX_RECEIPTS && v.every(isMessageId)) },
    required: ['ids'],
  },
};

/**
 * The codes `input` (the payload as the server received it, after JSON) may be refused with; empty when the
 * documentation accepts it. No payload at all counts as `{}`.
 */
export function refusals(event: ClientEvent, input: unknown): Set<ValidationCode> {
  const codes = new Set<ValidationCode>();
  const value = input === undefined ? {} : input;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return codes.add('invalid_payload');
  const shape = SHAPES[event];
  const fields = value as Record<string, unknown>;
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
