import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { ChatError } from './errors';
import { checkName, displacedKey, legacyKey, nameKey } from './names';
import type { Presence } from './presence/presence';
import type { ChatStore, UserRecord } from './store/store';

/**
 * Name protection without passwords. The first login of a name creates a user and returns a random token;
 * only the token's holder can log in as that name again while the name is reserved, i.e. while the user is
 * online or was last seen less than `reservationMs` ago. After that the name is free: a new claim retires
 * the old user (whose private messages stay unreadable to the newcomer) and creates a new one.
 * Only a SHA-256 hash of each token is stored.
 *
 * A name stands for every name that looks like it (names.ts, `nameKey`): a look-alike of a held name is taken.
 * Only claims that create a user must pass `checkName` (no mixed scripts): a user whose name predates that
 * rule still logs in with its token.
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
  const own = token === undefined ? undefined : await openedBy(deps.store, token, name, existing);
  if (own && token !== undefined) {
    // Conditional in the store: if a newcomer retired this user since findUser, the token opens nothing.
    if (!(await deps.store.touchUser(own.id, deps.now, true))) throw taken(name, own.name);
    return { user: own, token, created: false };
  }
  const seenBefore = deps.now - deps.reservationMs;
  const reserved = async (user: UserRecord) => user.lastSeenAt >= seenBefore || (await deps.presence.isOnline(user.id));
  let replacing: { id: number; seenBefore: number } | undefined;
  if (existing) {
    if (await reserved(existing)) throw taken(name, existing.name);
    // Retired only if still unseen when the store runs it: an owner's login racing this claim wins or loses
    // as a whole, never both (issue 8).
    replacing = { id: existing.id, seenBefore };
  }
  // A user displaced from this key by the rekeying (rekey.ts) holds its exact name like any user; once that
  // lapses, the newcomer takes its place (and its key), so one active user at most bears each exact name.
  const twin = await deps.store.findUser(displacedKey(name));
  if (twin) {
    if (await reserved(twin)) throw taken(name, twin.name);
    replacing = { id: twin.id, seenBefore };
  }
  const check = checkName(name);
  if ('problem' in check) throw new ChatError('invalid_username', check.problem);
  const fresh = randomBytes(24).toString('base64url');
  const user = await deps.store.createUser({
    name,
    key: twin ? twin.key : key,
    tokenHash: hashToken(fresh),
    now: deps.now,
    provisional: false,
    replacing,
  });
  if (!user) throw taken(name); // lost a race with a concurrent claim or with the owner's return
  return { user, token: fresh, created: true, replaced: replacing?.id };
}

/**
 * The active user `name` designates: the holder of its key (so any look-alike of a name finds that user), or a
 * user displaced from that key when keys changed (rekey.ts) if it bears exactly this name, up to case and
 * width. Otherwise `unknown_user`.
 */
export async function requireUser(store: ChatStore, name: string): Promise<UserRecord> {
  const holder = await store.findUser(nameKey(name));
  const user = holder && legacyKey(holder.name) === legacyKey(name) ? holder : ((await store.findUser(displacedKey(name))) ?? holder);
  if (!user) throw new ChatError('unknown_user', `There is no user called "${name}".`);
  return user;
}

/** The user whose name `name` is and whose token `token` is: the key's holder, or a user displaced from it. */
async function openedBy(store: ChatStore, token: string, name: string, holder: UserRecord | undefined): Promise<UserRecord | undefined> {
  if (holder && tokenMatches(token, holder.tokenHash)) return holder;
  const displaced = await store.findUser(displacedKey(name));
  return displaced && tokenMatches(token, displaced.tokenHash) ? displaced : undefined;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function tokenMatches(token: string, storedHash: string): boolean {
  const a = Buffer.from(hashToken(token), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** `name` is taken by the user called `holder`: the same name, or one that looks like it. */
function taken(name: string, holder = name): ChatError {
  const which = legacyKey(holder) === legacyKey(name) ? `The name "${holder}" is taken` : `The name "${name}" looks like "${holder}", which is taken`;
  return new ChatError('username_taken', `${which}. Log in with its token or pick another name.`);
}
