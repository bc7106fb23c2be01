import type { Device } from './sessions';

/**
 * The users part of the ChatStore contract (store.ts): who holds which name (the handle), the name people see
 * (the display name), and, in JWT mode, which account of the host application a user is. Tokens belong to the
 * user's sessions (sessions.ts).
 *
 * Guarantees every implementation gives (tests/store.test.ts checks them against each one):
 * - Identity: at most one active user per key. A user, once retired, never becomes active again, and a new
 *   user with the same name gets a new id, so it can never read its predecessor's private messages. A
 *   retirement and a login of the retired user (`touchUser`) never both succeed. A banned user is never
 *   retired (moderation.ts): its name stays taken until it is unbanned.
 * - Host accounts (JWT mode): at most one user per (issuer, subject); a user, once bound to one, stays bound.
 * - Renames keep the user: same id, so its messages, conversations and sessions stay its own; message reads
 *   show every user by its current handle and display name.
 * - Atomicity: each call is one transaction; a failed call leaves nothing behind.
 */
export interface UserRecord {
  id: number;
  name: string;
  /** Case-folded name (see names.ts); unique among active users. */
  key: string;
  /** The name people see: 1-64 characters of any script, spaces allowed, not unique (displayname.ts). */
  displayName: string;
  createdAt: number;
  /** 0 after `releaseUser`: the name is free as soon as the user has no live connection. */
  lastSeenAt: number;
  /**
   * Claimed by a token-less tutorial-style login and never proven with the token since: the name is held
   * only briefly after its last connection (see identity.ts).
   */
  provisional: boolean;
  /** JWT mode: the host account this user is (the token's `iss` and `sub`); null until a JWT opened it. */
  account: HostAccount | null;
  /** JWT mode: when the token that last set the names was issued (epoch ms); 0 when no token did. */
  namesAt: number;
}

export interface HostAccount {
  issuer: string;
  subject: string;
}

export interface NewUser {
  name: string;
  key: string;
  /** Default: the name. */
  displayName?: string;
  /** The hash of the token of the user's first session; '' for a user without one (JWT mode). */
  tokenHash: string;
  /** That first session: its id (default: a new one) and where it comes from. */
  session?: { id?: string; device?: Device };
  now: number;
  provisional: boolean;
  /** JWT mode: the host account, and when its token was issued (namesAt). */
  account?: HostAccount;
  namesAt?: number;
  /**
   * An expired user holding the same key, retired in the same transaction, but only if it is still expired
   * (last seen before `seenBefore`); otherwise nothing is written and `createUser` resolves undefined.
   * Its messages stay with it.
   */
  replacing?: { id: number; seenBefore: number };
}

/** New names for a user; `key` goes with `name` (names.ts). */
export interface Names {
  name: string;
  key: string;
  displayName: string;
  /**
   * JWT mode: when the token carrying these names was issued. The change applies only if no later-issued
   * token set the names already (so a device still holding an older token does not rename the user back).
   */
  namesAt?: number;
}

export type Renamed = { ok: true; user: UserRecord } | { ok: false; reason: 'retired' | 'taken' | 'stale' };

export interface UserStore {
  findUser(key: string): Promise<UserRecord | undefined>;
  /** Users by id, retired ones included (in no particular order; unknown ids are left out). */
  findUsers(ids: number[]): Promise<UserRecord[]>;
  /** JWT mode: the active user that is this host account. */
  findUserByAccount(account: HostAccount): Promise<UserRecord | undefined>;
  /**
   * JWT mode: makes an active user that is no host account yet this one (how users from before issue 21, or
   * from the open mode, are taken over). False (nothing written) when it is bound already, retired, or the
   * account is another user's.
   */
  bindAccount(id: number, account: HostAccount): Promise<boolean>;
  /**
   * Changes an active user's handle and display name. Refused when the user is retired, when another active
   * user holds `key` (`taken`), or when `namesAt` is older than the names' (`stale`).
   */
  renameUser(id: number, names: Names): Promise<Renamed>;
  /**
   * Creates an active user. Resolves undefined when another active user holds the key, or when the user in
   * `replacing` was seen again meanwhile.
   */
  createUser(user: NewUser): Promise<UserRecord | undefined>;
  /**
   * Records a login of an active user: last seen now, and any release undone; `proven` (the token was
   * presented) also ends its provisional state. Resolves false (writing nothing) when the user has been retired,
   * or, for a login without the token (not `proven`), when the user is no longer provisional: a tutorial login
   * that joins a provisional name loses to the owner securing it meanwhile (issue 16).
   */
  touchUser(id: number, now: number, proven: boolean): Promise<boolean>;
  /**
   * Records that these users were online until `now` (a connection closed, or a periodic refresh). Leaves a
   * released user released, so another tab closing does not reserve a given-up name again.
   */
  seenUsers(ids: number[], now: number): Promise<void>;
  /** Ends the user's name reservation now (it is claimable once the user has no live connection). */
  releaseUser(id: number): Promise<void>;
  /**
   * A page of active users in display order (names.ts, `sortByName`: by the case- and width-insensitive name,
   * then the name, comparing code points), those after the name `after` (exclusive) when given; `hasMore` when
   * more follow. Served by an index: the cost of a page does not grow with the number of users (issue 16).
   */
  listUsers(page: UserPageQuery): Promise<{ users: Array<{ id: number; name: string; displayName: string }>; hasMore: boolean }>;
}

export interface UserPageQuery {
  /** The last name of the previous page. */
  after?: string;
  limit: number;
}
