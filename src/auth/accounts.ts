import { ChatError } from '../errors';
import type { Claim } from '../identity';
import { displacedKey, legacyKey, nameKey } from '../names';
import type { ChatStore, HostAccount, UserRecord } from '../store/store';

/** What a verified host token says about its user (jwt.ts, VerifiedToken). */
export interface Vouched {
  account: HostAccount;
  username: string;
  displayName: string;
  issuedAt: number;
  expiresAt: number;
}

/**
 * JWT mode (issue 21): the user is the host account, the token's `iss` and `sub`; the handle and the display
 * name are whatever the host's claims say now. So:
 * - a bound account opens its user, whatever its names; if the token carries other names, they are a rename
 *   of that same user (same id: history, conversations and sessions kept), unless a token issued later set the
 *   names already (`namesAt`: a device still holding an older token does not rename the user back);
 * - an account seen for the first time takes over an active user of exactly its handle (up to case and width)
 *   that is no host account yet: a user from before issue 21, or from the open mode. That is how existing JWT
 *   users are migrated, at their first login;
 * - otherwise it creates a new user.
 *
 * A handle held by another user is never taken: a new account whose handle is someone else's (or looks like
 * it: `rnary` for `mary`) is refused `username_taken`, and a rename onto such a handle is not made (the user
 * logs in under its current handle, with the new display name, and the log says why). The host should hand
 * out handles that are unique in that sense.
 */
export async function claimVouched(vouched: Vouched, deps: { store: ChatStore; now: number }): Promise<Claim & { refusedHandle?: boolean }> {
  const { store, now } = deps;
  const { expiresAt } = vouched;
  // Each pass ends in a claim, or a write that lost a race (a concurrent first login of the account or of
  // the handle), after which the next pass reads again.
  for (let attempt = 0; attempt < 3; attempt++) {
    const bound = await store.findUserByAccount(vouched.account);
    if (bound) {
      const { user, renamed, refusedHandle } = await applyNames(store, bound, vouched);
      if (!(await store.touchUser(user.id, now, true))) continue;
      const secured = user.provisional; // a tutorial name the host's token now vouches for (issue 16)
      return { user: { ...user, provisional: false }, created: false, expiresAt, secured, ...(renamed && { renamed }), ...(refusedHandle && { refusedHandle }) };
    }
    const key = nameKey(vouched.username);
    const holder = await holderOf(store, vouched.username, key);
    if (holder) {
      if (holder.account) throw takenBy(vouched.username, holder);
      await store.bindAccount(holder.id, vouched.account); // the next pass opens it (or meets who won the race)
      continue;
    }
    const user = await store.createUser({
      name: vouched.username,
      key,
      displayName: vouched.displayName,
      tokenHash: '',
      now,
      provisional: false,
      account: vouched.account,
      namesAt: vouched.issuedAt,
    });
    if (user) return { user, created: true, expiresAt };
  }
  throw new ChatError('internal_error', 'Could not open this account; try again.');
}

/** The user after taking the token's names, when they differ and the token is not older than the names. */
async function applyNames(
  store: ChatStore,
  user: UserRecord,
  vouched: Vouched,
): Promise<{ user: UserRecord; renamed?: { formerName?: string }; refusedHandle?: boolean }> {
  if (user.name === vouched.username && user.displayName === vouched.displayName) return { user };
  if (vouched.issuedAt < user.namesAt) return { user }; // an older token: the names it carries were replaced
  const sameHandle = legacyKey(user.name) === legacyKey(vouched.username);
  // A change of case or width keeps the key (a displaced user's too); a new handle takes its own key, if free.
  const key = sameHandle ? user.key : nameKey(vouched.username);
  const holder = sameHandle ? undefined : await store.findUser(key);
  const handleFree = !holder || holder.id === user.id;
  const names = handleFree
    ? { name: vouched.username, key, displayName: vouched.displayName, namesAt: vouched.issuedAt }
    : { name: user.name, key: user.key, displayName: vouched.displayName, namesAt: vouched.issuedAt };
  if (!handleFree && user.displayName === vouched.displayName) return { user, refusedHandle: true };
  const result = await store.renameUser(user.id, names);
  if (!result.ok) return { user, refusedHandle: result.reason === 'taken' || !handleFree };
  const formerName = result.user.name !== user.name ? user.name : undefined;
  return { user: result.user, renamed: formerName === undefined ? {} : { formerName }, refusedHandle: !handleFree };
}

/**
 * The active user a new account's handle meets: the key's holder if its name is the handle up to case and
 * width, else a user displaced from the key bearing that name (rekey.ts); undefined when the key is free.
 * Throws `username_taken` when the key is held by a user whose name only looks like the handle.
 */
async function holderOf(store: ChatStore, name: string, key: string): Promise<UserRecord | undefined> {
  const holder = await store.findUser(key);
  if (!holder || legacyKey(holder.name) === legacyKey(name)) return holder;
  const displaced = await store.findUser(displacedKey(name));
  if (displaced) return displaced;
  throw takenBy(name, holder);
}

function takenBy(name: string, holder: UserRecord): ChatError {
  const what = legacyKey(holder.name) === legacyKey(name) ? `"${name}" is the chat name of another account` : `"${name}" looks too much like "${holder.name}", another user of this chat`;
  return new ChatError('username_taken', `${what}; the host application must give this user another one.`);
}
