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
  /** Absent for a public message. */
  recipient?: { id: number; name: string };
  text: string;
  ts: number;
  /** For private messages: whether a live socket of the recipient received it when it was sent. */
  delivered: boolean;
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
 *   messages; an id is never reused, even after deletions or restarts.
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
  /** Active users, by name. */
  listUsers(): Promise<Array<{ name: string }>>;

  append(message: NewMessage & { recipient: { id: number; name: string } }): Promise<PrivateMessage>;
  append(message: NewMessage): Promise<ChatMessage>;
  publicHistory(query: PageQuery): Promise<Page<PublicMessage>>;
  /** Private messages between users `a` and `b` (ids), both directions. */
  conversation(a: number, b: number, query: PageQuery): Promise<Page<PrivateMessage>>;
  /** Private messages to `recipient` that no live socket has received yet, oldest first. */
  undelivered(recipient: number, limit: number): Promise<PrivateMessage[]>;
  markDelivered(ids: number[]): Promise<void>;

  /** Resolves when the storage answers a trivial query; used by /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
