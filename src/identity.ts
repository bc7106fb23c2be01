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
  let replacing: number | undefined;
  if (existing) {
    if (token !== undefined && tokenMatches(token, existing.tokenHash)) {
      await deps.store.touchUser(existing.id, deps.now);
      return { user: existing, token };
    }
    const reserved = existing.lastSeenAt + deps.reservationMs > deps.now || (await deps.presence.isOnline(key));
    if (reserved) throw taken(existing.name);
    replacing = existing.id;
  }
  const fresh = randomBytes(24).toString('base64url');
  const user = await deps.store.createUser({ name, key, tokenHash: hashToken(fresh), now: deps.now, replacing });
  if (!user) throw taken(name); // lost a race with a concurrent first login of the same name
  return { user, token: fresh };
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
