import { randomBytes } from 'node:crypto';
import type { UserRecord } from './users';

/**
 * The sessions part of the ChatStore contract (store.ts): a user's signed-in devices, each with a token of its
 * own, and the short-lived sign-in codes that open new ones (issue 21).
 *
 * Guarantees every implementation gives (tests/sessions.test.ts checks them against each one):
 * - Tokens: only a hash of a session's token or of a sign-in code is ever stored. A token opens its session
 *   only while the session exists and its user is active (not retired).
 * - Ending: once `endSessions` has resolved, the ended sessions' tokens open nothing, on any node, and
 *   `useSession` of an ended session resolves false. (The caller then closes the sessions' connections.)
 * - Single use: a sign-in code is consumed by the first `redeemSignInCode` that presents it, also when several
 *   race, on one node or many; the session it opens is created in the same transaction, so a code is never
 *   consumed without its session nor redeemed twice. An expired code opens nothing (it is consumed all the
 *   same). A user has at most MAX_LIVE_CODES codes; adding one beyond drops the oldest.
 * - Atomicity: each call is one transaction; a failed call leaves nothing behind.
 */
export interface SessionRecord {
  /** Random, unguessable (32 hex digits); what clients name a session by. */
  id: string;
  userId: number;
  createdAt: number;
  /** When the session last logged in, or was last seen connected (refreshed while it is). */
  lastSeenAt: number;
  /** Where it was last used from: the client address (as the rate limits see it) and a user-agent summary. */
  address: string;
  agent: string;
}

/** Where a session is being used from. */
export interface Device {
  address: string;
  /** A short summary such as "Firefox 128 on Linux" (realtime/device.ts); '' when unknown. */
  agent: string;
}

/** A session to open: its id (newSessionId), the hash of its token, and where it comes from. */
export interface NewSession {
  id: string;
  tokenHash: string;
  device: Device;
}

export interface NewSignInCode {
  /** SHA-256 (hex) of the normalised code; the code itself is never stored. */
  hash: string;
  userId: number;
  now: number;
  expiresAt: number;
}

/** At most this many codes of one user are live at once; adding one more drops the oldest. */
export const MAX_LIVE_CODES = 5;

export type SessionSelection = { id: string } | { except?: string };

export interface SessionStore {
  /** The session whose token hashes to `tokenHash`, with its user, if the user is active. */
  findSession(tokenHash: string): Promise<{ session: SessionRecord; user: UserRecord } | undefined>;
  /** Records a login of the session: last seen `now`, from `device`. False (nothing written) when it has ended. */
  useSession(id: string, now: number, device: Device): Promise<boolean>;
  /** Records that these sessions had live connections until `now` (a connection closed, or a periodic refresh). */
  seenSessions(ids: string[], now: number): Promise<void>;
  /** The user's sessions, most recently used first. */
  listSessions(userId: number): Promise<SessionRecord[]>;
  /**
   * Ends sessions of `userId`: the one with `id` (if it is the user's), or every one but `except` (every one
   * when `except` is undefined). Resolves with the ids of the sessions it ended.
   */
  endSessions(userId: number, which: SessionSelection): Promise<string[]>;
  /** Stores a sign-in code of an active user (dropping expired codes, and the user's oldest beyond the limit). False when the user is retired. */
  addSignInCode(code: NewSignInCode): Promise<boolean>;
  /**
   * Consumes the code whose hash is `hash`: if it has not expired at `now` and its user is active, opens
   * `session` for that user in the same transaction and resolves with both; otherwise undefined.
   */
  redeemSignInCode(hash: string, now: number, session: NewSession): Promise<{ session: SessionRecord; user: UserRecord } | undefined>;
}

/** A new session id: 16 random bytes in hex (the form the migrations give existing tokens' sessions too). */
export function newSessionId(): string {
  return randomBytes(16).toString('hex');
}
