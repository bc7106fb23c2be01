import type { ChatMessage, PrivateMessage, PublicMessage } from '../protocol';

export interface UserRecord {
  id: number;
  name: string;
  /** Case-folded name (see names.ts); unique among active users. */
  key: string;
  tokenHash: string;
  createdAt: number;
  lastSeenAt: number;
}

export interface NewUser {
  name: string;
  key: string;
  tokenHash: string;
  now: number;
  /** An expired user holding the same key, retired in the same transaction; its messages stay with it. */
  replacing?: number;
}

export interface NewMessage {
  sender: { id: number; name: string };
  text: string;
  ts: number;
  /** Idempotency key chosen by the sender's client; unique per sender. */
  clientId?: string;
}

export interface NewPrivateMessage extends NewMessage {
  recipient: { id: number; name: string };
  /** Whether a live socket of the recipient received it when it was sent. */
  delivered: boolean;
}

export interface Appended<M> {
  message: M;
  /**
   * True when the sender had already stored a message with this clientId: nothing new was written and
   * `message` is the original (whatever the new call's text or recipient).
   */
  duplicate: boolean;
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

/**
 * Durable storage of users and messages.
 *
 * Guarantees every implementation gives (tests/store.test.ts checks them against each one):
 * - Ordering: message ids are assigned in commit order and strictly increase across public and private
 *   messages; an id is never reused, even after deletions or restarts. Appends resolve in id order.
 * - Idempotency: an append with a clientId the sender has used before writes nothing and resolves with the
 *   original message (`duplicate: true`).
 * - Durability: a promise that resolved has committed. What it wrote survives a crash of the process;
 *   whether it also survives power loss depends on the implementation's sync setting (documented there).
 * - Atomicity: each call is one transaction; a failed call leaves nothing behind.
 * - Privacy: a private message is only ever returned by `conversation` for its two parties and by
 *   `undelivered` for its recipient.
 * - Identity: at most one active user per key. A user, once retired, never becomes active again, and a new
 *   user with the same name gets a new id, so it can never read its predecessor's private messages.
 */
export interface ChatStore {
  findUser(key: string): Promise<UserRecord | undefined>;
  /** Creates an active user. Resolves undefined when another active user already holds the key. */
  createUser(user: NewUser): Promise<UserRecord | undefined>;
  touchUser(id: number, now: number): Promise<void>;
  /** Ends the user's name reservation now (it is claimable once the user has no live connection). */
  releaseUser(id: number): Promise<void>;
  /** Active users, by name. */
  listUsers(): Promise<Array<{ name: string }>>;

  appendPublic(message: NewMessage): Promise<Appended<PublicMessage>>;
  appendPrivate(message: NewPrivateMessage): Promise<Appended<PrivateMessage>>;
  publicHistory(query: PageQuery): Promise<Page<PublicMessage>>;
  /** Private messages between users `a` and `b` (ids), both directions. */
  conversation(a: number, b: number, query: PageQuery): Promise<Page<PrivateMessage>>;
  /** Private messages to `recipient` that no live socket has received yet, oldest first. */
  undelivered(recipient: number, limit: number): Promise<PrivateMessage[]>;
  markDelivered(ids: number[]): Promise<void>;
  /**
   * Messages with id > `after` that user `reader` may read (every public message, and private ones sent or
   * received by the reader; only public ones when `reader` is undefined), oldest first.
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
