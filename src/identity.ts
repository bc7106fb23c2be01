import { createHash, randomBytes } from 'node:crypto';
import { ChatError } from './errors';
import { checkName, displacedKey, legacyKey, nameKey } from './names';
import type { Presence } from './presence/presence';
import { newSessionId, type SessionRecord } from './store/sessions';
import type { ChatStore, Device, UserRecord } from './store/store';

/**
 * Name protection without passwords (docs/protocol.md, "Names and tokens").
 *
 * The first login of a name creates a user and its first session (sessions.ts: one per device), and returns
 * the session's random token; only a SHA-256 hash of it is stored. Other devices get sessions of their own
 * through sign-in codes (sign-in-codes.ts).
 * A name is *held* while its user is online or was seen recently, and nobody without the token can take a
 * held name. How long "recently" lasts depends on how the name was claimed:
 * - reserved (claimed with `username`, or proven by presenting its token once): NAME_RESERVATION_DAYS;
 * - provisional (claimed by the tutorial's `login {id}` without a token, never proven): a short grace period
 *   (LEGACY_NAME_GRACE_SECONDS). Tutorial clients never keep the token, so every token-less `{id}` login of a
 *   held provisional name joins that same user: this is how such a client gets its name back after a
 *   reconnect, a reload or in a second tab. It also means anyone can be that user while the name is held: the
 *   tutorial's own model, documented as such; LEGACY_LOGIN=off turns it off.
 * A name that is no longer held is free: a new claim retires the old user (whose private messages stay
 * unreadable to the newcomer) and creates a new one.
 *
 * A name stands for every name that looks like it (names.ts, `nameKey`): a look-alike of a held name is taken.
 * Only claims that create a user must pass `checkName` (no mixed scripts): a user whose name predates that
 * rule still logs in with its token. A user displaced from its key when keys changed (rekey.ts) keeps its exact
 * name, token and messages.
 */
export interface Claim {
  user: UserRecord;
  /** The token to keep; absent when the login joined a provisional name without it (its token is unknown). */
  token?: string;
  /** The session the token belongs to (absent with `token`, and in JWT mode). */
  sessionId?: string;
  /** True when this claim created the user (a first claim, or a new holder of a free name). */
  created: boolean;
  /** The retired predecessor's id, when the claim replaced one. */
  replaced?: number;
  /** When the session this claim opens must end (a JWT's expiry); absent: never. */
  expiresAt?: number;
  /** JWT mode: the host changed the user's names with this token; `formerName` when the handle changed. */
  renamed?: { formerName?: string };
  /**
   * This claim proved a provisional name (its token, or the host's JWT, was presented): the name is reserved
   * from now on, and the connections that joined it without the token must end (issue 16).
   */
  secured?: boolean;
}

/** `username`: a client that keeps its token. `legacy`: the tutorial's `{id}`, which never does. */
export type ClaimForm = 'username' | 'legacy';

export interface ClaimDeps {
  store: ChatStore;
  presence: Presence;
  now: number;
  /** Where the login comes from, recorded on the session it opens or uses. */
  device: Device;
  reservationMs: number;
  /** Whether the `legacy` form claims provisionally (LEGACY_LOGIN); off, it is the same as `username`. */
  legacyLogin: boolean;
  legacyGraceMs: number;
}

export async function claimName(name: string, token: string | undefined, form: ClaimForm, deps: ClaimDeps): Promise<Claim> {
  // A claim that would create the user can lose to a concurrent one (two tabs of a tutorial client logging in
  // at the same moment). The loser reads again, once: it then meets the winner as the holder, joined by a
  // provisional claim when the winner is provisional too, refused otherwise.
  for (let attempt = 0; attempt < 2; attempt++) {
    const claim = await tryClaim(name, token, form, deps);
    if (claim) return claim;
  }
  throw taken(name); // lost twice: the name changed hands twice meanwhile
}

/** One attempt of `claimName`; undefined when creating the user lost a race (nothing was written). */
async function tryClaim(name: string, token: string | undefined, form: ClaimForm, deps: ClaimDeps): Promise<Claim | undefined> {
  const key = nameKey(name);
  const provisional = form === 'legacy' && deps.legacyLogin && token === undefined;
  const existing = await deps.store.findUser(key);
  const own = token === undefined ? undefined : await openedBy(deps.store, token, name, existing);
  if (own && token !== undefined) {
    // Conditional in the store: if a newcomer retired this user since findUser, the token opens nothing.
    if (!(await deps.store.touchUser(own.user.id, deps.now, true))) throw taken(name, own.user.name);
    return { user: { ...own.user, provisional: false }, token, sessionId: own.session.id, created: false, secured: own.user.provisional };
  }
  const seenBefore = (user: UserRecord) => deps.now - (user.provisional ? deps.legacyGraceMs : deps.reservationMs);
  // A banned user holds its name until unbanned, however long ago it was seen (issue 19).
  const held = async (user: UserRecord) =>
    user.lastSeenAt >= seenBefore(user) || (await deps.presence.isOnline(user.id)) || (await deps.store.banOf(user.id)) !== undefined;
  let replacing: { id: number; seenBefore: number } | undefined;
  // The key's holder, then a user displaced from this key bearing exactly this name (rekey.ts): while held,
  // a provisional one is joined by a tutorial login, anyone else is refused; once lapsed, it is replaced.
  for (const holder of [existing, await deps.store.findUser(displacedKey(name))]) {
    if (!holder) continue;
    if (await held(holder)) {
      if (!(provisional && holder.provisional)) throw taken(name, holder.name);
      if (!(await deps.store.touchUser(holder.id, deps.now, false))) throw taken(name, holder.name);
      return { user: holder, created: false };
    }
    // Retired only if still unseen when the store runs it: an owner's login racing this claim wins or loses
    // as a whole, never both (issue 8).
    replacing = { id: holder.id, seenBefore: seenBefore(holder) };
  }
  const check = checkName(name);
  if ('problem' in check) throw new ChatError('invalid_username', check.problem);
  const fresh = newToken();
  const sessionId = newSessionId();
  const twin = replacing !== undefined && replacing.id !== existing?.id;
  const user = await deps.store.createUser({
    name,
    // One active user at most bears each exact name: the newcomer takes a displaced user's place and key.
    key: twin ? displacedKey(name) : key,
    tokenHash: hashToken(fresh),
    session: { id: sessionId, device: deps.device },
    now: deps.now,
    provisional,
    replacing,
  });
  if (!user) return undefined; // lost a race with a concurrent claim or with the owner's return
  return { user, token: fresh, sessionId, created: true, replaced: replacing?.id };
}

/** A login by token alone (`auth: { token }`): the active user whose session holds that token. */
export async function claimByToken(token: string, deps: Pick<ClaimDeps, 'store' | 'now'>): Promise<Claim> {
  const found = await deps.store.findSession(hashToken(token));
  if (!found || !(await deps.store.touchUser(found.user.id, deps.now, true))) {
    throw new ChatError('unauthorized', 'This token opens no name (its session was ended, the name was given up, or it never existed).');
  }
  return { user: { ...found.user, provisional: false }, token, sessionId: found.session.id, created: false, secured: found.user.provisional };
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

/**
 * The user whose name `name` is and a session of whom holds `token`: the key's holder, or a user displaced from
 * it. Tokens are looked up by their hash (192 random bits each: nothing to learn from the time a lookup takes).
 */
async function openedBy(
  store: ChatStore,
  token: string,
  name: string,
  holder: UserRecord | undefined,
): Promise<{ user: UserRecord; session: SessionRecord } | undefined> {
  const found = await store.findSession(hashToken(token));
  if (!found) return undefined;
  if (holder && found.user.id === holder.id) return found;
  const displaced = await store.findUser(displacedKey(name));
  return displaced && found.user.id === displaced.id ? found : undefined;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** A session token: 24 random bytes, base64url. */
export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

/** `name` is taken by the user called `holder`: the same name, or one that looks like it. */
function taken(name: string, holder = name): ChatError {
  const which = legacyKey(holder) === legacyKey(name) ? `The name "${holder}" is taken` : `The name "${name}" looks like "${holder}", which is taken`;
  return new ChatError('username_taken', `${which}. Log in with its token or pick another name.`);
}
