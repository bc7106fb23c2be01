/**
 * The users part of the ChatStore contract (store.ts): who holds which name, and with which token.
 *
 * Guarantees every implementation gives (tests/store.test.ts checks them against each one):
 * - Identity: at most one active user per key. A user, once retired, never becomes active again, and a new
 *   user with the same name gets a new id, so it can never read its predecessor's private messages. A
 *   retirement and a login of the retired user (`touchUser`) never both succeed. A banned user is never
 *   retired (moderation.ts): its name stays taken until it is unbanned.
 * - Atomicity: each call is one transaction; a failed call leaves nothing behind.
 */
export interface UserRecord {
  id: number;
  name: string;
  /** Case-folded name (see names.ts); unique among active users. */
  key: string;
  /** SHA-256 (hex) of the user's token; empty for users who have none (JWT mode). */
  tokenHash: string;
  createdAt: number;
  /** 0 after `releaseUser`: the name is free as soon as the user has no live connection. */
  lastSeenAt: number;
  /**
   * Claimed by a token-less tutorial-style login and never proven with the token since: the name is held
   * only briefly after its last connection (see identity.ts).
   */
  provisional: boolean;
}

export interface NewUser {
  name: string;
  key: string;
  tokenHash: string;
  now: number;
  provisional: boolean;
  /**
   * An expired user holding the same key, retired in the same transaction, but only if it is still expired
   * (last seen before `seenBefore`); otherwise nothing is written and `createUser` resolves undefined.
   * Its messages stay with it.
   */
  replacing?: { id: number; seenBefore: number };
}

export interface UserStore {
  findUser(key: string): Promise<UserRecord | undefined>;
  /** The active user whose token hashes to `tokenHash`. */
  findUserByToken(tokenHash: string): Promise<UserRecord | undefined>;
  /**
   * Creates an active user. Resolves undefined when another active user holds the key, or when the user in
   * `replacing` was seen again meanwhile.
   */
  createUser(user: NewUser): Promise<UserRecord | undefined>;
  /**
   * Records a login of an active user: last seen now, and any release undone; `proven` (the token was
   * presented) also ends its provisional state. Resolves false (writing nothing) when the user has been retired.
   */
  touchUser(id: number, now: number, proven: boolean): Promise<boolean>;
  /**
   * Records that these users were online until `now` (a connection closed, or a periodic refresh). Leaves a
   * released user released, so another tab closing does not reserve a given-up name again.
   */
  seenUsers(ids: number[], now: number): Promise<void>;
  /** Ends the user's name reservation now (it is claimable once the user has no live connection). */
  releaseUser(id: number): Promise<void>;
  /** Active users, by name. */
  listUsers(): Promise<Array<{ name: string }>>;
}
