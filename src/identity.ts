import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { ChatError } from './errors';
import { nameKey } from './names';
import type { Presence } from './presence/presence';
import type { ChatStore, UserRecord } from './store/store';

/**
 * Name protection without passwords. The first login of a name creates a user and returns a random token;
 * only the token's holder can log in as that name again while the name is reserved, i.e. while the user is
 * online or was last seen less than `reservationMs` ago. After that the name is free: a new claim retires
 * the old user (whose private messages stay unreadable to the newcomer) and creates a new one.
 * Only a SHA-256 hash of each token is stored.
 */
export interface Claim {
  user: UserRecord;
  token: string;
  /** True when this claim created the user (a first claim, or a new holder of an expired name). */
  created: boolean;
  /** The retired predecessor's id, when the claim replaced one. */
  replaced?: number;
}

export interface ClaimDeps {
  store: ChatStore;
  presence: Presence;
  now: number;
  reservationMs: number;
}

export async function claimName(name: string, token: string | undefined, deps: ClaimDeps): Promise<Claim> {
  const key = nameKey(name);
  const existing = await deps.store.findUser(key);
  let replacing: { id: number; seenBefore: number } | undefined;
  if (existing) {
    if (token !== undefined && tokenMatches(token, existing.tokenHash)) {
      // Conditional in the store: if a newcomer retired this user since findUser, the token opens nothing.
      if (!(await deps.store.touchUser(existing.id, deps.now, true))) throw taken(existing.name);
      return { user: existing, token, created: false };
    }
    const seenBefore = deps.now - deps.reservationMs;
    const reserved = existing.lastSeenAt >= seenBefore || (await deps.presence.isOnline(existing.id));
    if (reserved) throw taken(existing.name);
    // Retired only if still unseen when the store runs it: an owner's login racing this claim wins or loses
    // as a whole, never both (issue 8).
    replacing = { id: existing.id, seenBefore };
  }
  const fresh = randomBytes(24).toString('base64url');
  const user = await deps.store.createUser({ name, key, tokenHash: hashToken(fresh), now: deps.now, provisional: false, replacing });
  if (!user) throw taken(name); // lost a race with a concurrent claim or with the owner's return
  return { user, token: fresh, created: true, replaced: replacing?.id };
}

/** The active user called `name` (any case or width), or `unknown_user`. */
export async function requireUser(store: ChatStore, name: string): Promise<UserRecord> {
  const user = await store.findUser(nameKey(name));
  if (!user) throw new ChatError('unknown_user', `There is no user called "${name}".`);
  return user;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function tokenMatches(token: string, storedHash: string): boolean {
  const a = Buffer.from(hashToken(token), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

function taken(name: string): ChatError {
  return new ChatError('username_taken', `The name "${name}" is taken. Log in with its token or pick another name.`);
}
