/**
 * New name keys for the users already stored, for the store migrations that follow a change of `nameKey`
 * (issue 11: keys became confusable skeletons). Pure: it reads what it is given and decides, the migration
 * writes. Nothing is lost:
 *
 * - A user whose new key no other active user shares simply gets it.
 * - Active users whose names now share a key (two people whose names look alike, e.g. `alice` and Cyrillic
 *   `аlice`): the one seen most recently keeps the key (ties: the one created first, then the lower id).
 *   Each other one gets `displacedKey(name)`, i.e. `<key>#<former key>`, unique because former keys were.
 *   A displaced user stays active with its id, token and messages; it logs in with its name and token as
 *   before, and a lookup by its exact name (up to case and width) still finds it (identity.ts). Any other
 *   look-alike spelling finds the user who kept the key; nobody new can claim a name that looks like either
 *   of them while that user holds its name, and a newcomer with exactly its name takes its place once it lapses.
 * - Retired users get `nameKey(name)`: keys are unique among active users only.
 *
 * Order: the result lists displaced users first. Applied in that order, one UPDATE per user, no step breaks
 * the uniqueness of active keys: a user's new key can equal another active user's former key only when the
 * two collide (the former key is that user's name case-folded, whose key is the same as its name's), and
 * then one of them is displaced; a displaced key contains `#`, which no former key does.
 */
import { displacedKey, nameKey } from './names';

export interface StoredUser {
  id: number;
  name: string;
  /** The key stored today. */
  key: string;
  createdAt: number;
  lastSeenAt: number;
  /** Retired users hold no name; they never collide. */
  retired?: boolean;
}

export interface NewKey {
  id: number;
  key: string;
  /** True when the user lost its key to a look-alike and got `displacedKey(name)`. */
  displaced: boolean;
  /** False when `key` is what the user has already. */
  changed: boolean;
}

export function rekeyUsers(users: readonly StoredUser[]): NewKey[] {
  const byKey = new Map<string, StoredUser[]>();
  const result = new Map<number, NewKey>();
  for (const user of users) {
    const key = nameKey(user.name);
    if (user.retired) {
      result.set(user.id, { id: user.id, key, displaced: false, changed: key !== user.key });
      continue;
    }
    const group = byKey.get(key);
    if (group) group.push(user);
    else byKey.set(key, [user]);
  }
  for (const [key, group] of byKey) {
    group.sort(keepsKeyFirst);
    group.forEach((user, i) => {
      const next = i === 0 ? key : displacedKey(user.name);
      result.set(user.id, { id: user.id, key: next, displaced: i > 0, changed: next !== user.key });
    });
  }
  const all = users.map((user) => result.get(user.id)!);
  return [...all.filter((u) => u.displaced), ...all.filter((u) => !u.displaced)];
}

/** Seen most recently first, then created first, then lowest id. */
function keepsKeyFirst(a: StoredUser, b: StoredUser): number {
  return b.lastSeenAt - a.lastSeenAt || a.createdAt - b.createdAt || a.id - b.id;
}
