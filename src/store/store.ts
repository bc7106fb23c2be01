import type { ChatMessage, PrivateMessage, PublicMessage } from '../protocol';

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

export interface NewMessage {
  sender: { id: number; name: string };
  text: string;
  ts: number;
  /** Idempotency key chosen by the sender's client; unique per sender. */
  clientId?: string;
  /** The socket that sent it; not stored, only passed on to `onCommitted` listeners (see Committed). */
  origin?: string;
}

export interface NewPrivateMessage extends NewMessage {
  recipient: { id: number; name: string };
}

export interface Appended<M> {
  message: M;
  /**
   * True when the sender had already stored a message with this clientId: nothing new was written and
   * `message` is the original (whatever the new call's text or recipient).
   */
  duplicate: boolean;
}

/** A message just committed, as told to `onCommitted` listeners. */
export interface Committed {
  message: ChatMessage;
  senderId: number;
  /** Null for a public message. */
  recipientId: number | null;
  /**
   * The sending socket: always in the process that appended it. In other processes sharing the storage
   * (PostgreSQL) when it came with the commit notification; absent when the message had to be read back from
   * the table (a notification too big, lost, or missed while reconnecting).
   */
  origin?: string;
}

export interface Page<T> {
  /** Oldest first. */
  messages: T[];
  hasMore: boolean;
}

export interface PageQuery {
  before?: number;
  limit: number;
}

export interface UserPageQuery {
  /** The last name of the previous page. */
  after?: string;
  limit: number;
}

/**
 * Durable storage of users and messages.
 *
 * Guarantees every implementation gives (tests/store.test.ts checks them against each one). Where several
 * processes share one storage (PostgreSQL, one store per node), they hold across all of them: how each
 * implementation keeps them is written at the implementation (sqlite.ts, postgres.ts), and
 * tests/store-postgres.test.ts checks them across nodes.
 * - Ordering: message ids are assigned in commit order and strictly increase across public and private
 *   messages; an id is never reused, even after deletions or restarts. Every reader sees a prefix of the id
 *   sequence: once a message is visible, so is every message with a lower id (that retention kept).
 *   (A sequence cannot give this with several writers; PostgreSQL takes ids under a lock held until commit.)
 * - Feed: `onCommitted` listeners hear of every new message exactly once, in id order, after its commit and
 *   before the append's promise resolves (in the appending process). With shared storage, every store tells
 *   its listeners about every store's messages.
 * - Idempotency: an append with a clientId the sender has used before writes nothing and resolves with the
 *   original message (`duplicate: true`), also when both appends race.
 * - Durability: a promise that resolved has committed. What it wrote survives a crash of the process;
 *   whether it also survives power loss depends on the implementation's sync setting (documented there).
 * - Atomicity: each call is one transaction; a failed call leaves nothing behind. (Over a network, a call
 *   that failed because its connection broke may have committed all the same: retry it with its clientId.)
 * - Privacy: a private message is only ever returned by `conversation` for its two parties and by
 *   `undelivered` for its recipient.
 * - Identity: at most one active user per key. A user, once retired, never becomes active again, and a new
 *   user with the same name gets a new id, so it can never read its predecessor's private messages. A
 *   retirement and a login of the retired user (`touchUser`) never both succeed.
 */
export interface ChatStore {
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
  listUsers(page: UserPageQuery): Promise<{ users: Array<{ id: number; name: string }>; hasMore: boolean }>;

  appendPublic(message: NewMessage): Promise<Appended<PublicMessage>>;
  /** Stores a private message as not yet delivered; `markDelivered` records its delivery. */
  appendPrivate(message: NewPrivateMessage): Promise<Appended<PrivateMessage>>;
  /** Subscribes to committed messages (see Feed above); returns the unsubscribe function. */
  onCommitted(listener: (committed: Committed) => void): () => void;
  publicHistory(query: PageQuery): Promise<Page<PublicMessage>>;
  /** Private messages between users `a` and `b` (ids), both directions. */
  conversation(a: number, b: number, query: PageQuery): Promise<Page<PrivateMessage>>;
  /** Private messages to `recipient` with id > `after` that no socket of theirs is known to have received, oldest first. */
  undelivered(recipient: number, after: number, limit: number): Promise<PrivateMessage[]>;
  /** Records that a socket of `recipient` received these messages (ids of messages to others are ignored). */
  markDelivered(recipient: number, ids: number[]): Promise<void>;
  /**
   * Messages with id > `after` that user `reader` may read (every public message, and private ones sent or
   * received by the reader; only public ones when `reader` is undefined, read through the public messages'
   * index, so that an anonymous reader never walks private ones), oldest first.
   */
  since(reader: number | undefined, after: number, limit: number): Promise<Page<ChatMessage>>;
  /** Deletes messages created before `cutoffTs`; resolves with how many. */
  prune(cutoffTs: number): Promise<number>;
  /** The highest message id ever removed by `prune` (0 if none): a reader behind it has a gap. */
  prunedThrough(): Promise<number>;

  /** Resolves when the storage answers a trivial query; used by /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
