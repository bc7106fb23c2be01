import { randomInt } from 'node:crypto';
import { ChatError } from './errors';
import { hashToken, newToken, type Claim } from './identity';
import { newSessionId } from './store/sessions';
import type { ChatStore, Device, UserRecord } from './store/store';

/**
 * Sign-in codes (issue 21): how a person signs in on another device, or gets back in after losing every one.
 *
 * A code is made for one user, by one of their signed-in sessions (`signInCode`) or by an operator
 * (`POST /api/users/:name/sign-in-code`), and opens one new session of that user, once, within
 * SIGN_IN_CODE_MINUTES. Only its SHA-256 is stored (store/sessions.ts). It is 10 characters of Crockford's
 * base32 (digits and capitals without I, L, O, U), 50 random bits, shown as `XXXXX-XXXXX` and typed in any
 * case, with or without the dash or spaces; `O` is read as `0` and `I`/`L` as `1`. Wrong codes count against
 * the wrong-token limit of their address, so a guesser gets RATE_LIMIT_BAD_TOKENS_PER_ADDRESS tries per
 * window from each address against 2^50 codes.
 */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const CODE_LENGTH = 10;
const CODE_PATTERN = new RegExp(`^[${ALPHABET}]{${CODE_LENGTH}}$`);

/** A new code, formatted for people (`XXXXX-XXXXX`). */
export function newCode(): string {
  let code = '';
  for (let i = 0; i < CODE_LENGTH; i++) code += ALPHABET[randomInt(ALPHABET.length)];
  return `${code.slice(0, 5)}-${code.slice(5)}`;
}

/** The code as stored (its hash is taken of this), or undefined when `typed` cannot be a code at all. */
export function normalizeCode(typed: string): string | undefined {
  const code = typed.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  return CODE_PATTERN.test(code) ? code : undefined;
}

export function hashCode(normalized: string): string {
  return hashToken(`sign-in-code:${normalized}`);
}

/** Makes a code for `user`, valid for `ttlMs`; refused when the user no longer exists. */
export async function createSignInCode(store: ChatStore, user: UserRecord | { id: number }, now: number, ttlMs: number): Promise<{ code: string; expiresAt: number }> {
  const code = newCode();
  const expiresAt = now + ttlMs;
  if (!(await store.addSignInCode({ hash: hashCode(normalizeCode(code)!), userId: user.id, now, expiresAt }))) {
    throw new ChatError('unknown_user', 'That user no longer exists.');
  }
  return { code, expiresAt };
}

/** Redeems a typed code: a claim on a new session of its user, or `unauthorized` (wrong, expired or used). */
export async function claimByCode(typed: string, deps: { store: ChatStore; now: number; device: Device }): Promise<Claim> {
  const normalized = normalizeCode(typed);
  const token = newToken();
  const opened =
    normalized === undefined
      ? undefined
      : await deps.store.redeemSignInCode(hashCode(normalized), deps.now, { id: newSessionId(), tokenHash: hashToken(token), device: deps.device });
  // A login: the name is held from now on (and a release is undone), as with the token.
  if (!opened || !(await deps.store.touchUser(opened.user.id, deps.now, true))) {
    throw new ChatError('unauthorized', 'This sign-in code is wrong, expired or already used. Ask for a new one.');
  }
  return { user: { ...opened.user, provisional: false }, token, sessionId: opened.session.id, created: false };
}
