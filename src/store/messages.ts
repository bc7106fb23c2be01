import type { PrivateMessage, PublicMessage } from '../protocol';
import type { Committed, LogPage } from './log';

/**
 * The messages part of the ChatStore contract (store.ts): the one id-ordered log (log.ts) of public, private
 * and room messages and of the other entries, its commit feed, and the queries clients page and resume with.
 *
 * Guarantees every implementation gives (tests/store.test.ts checks them against each one). Where several
 * processes share one storage (PostgreSQL, one store per node), they hold across all of them: how each
 * implementation keeps them is written at the implementation (sqlite/index.ts, postgres/index.ts), and
 * tests/store-postgres.test.ts checks them across nodes.
 * - Ordering: message ids are assigned in commit order and strictly increase across all entries of the log
 *   (public, private and room messages, membership changes); an id is never reused, even after deletions or restarts. Every reader sees a prefix of the id
 *   sequence: once a message is visible, so is every message with a lower id (that retention kept).
 *   (A sequence cannot give this with several writers; PostgreSQL takes ids under a lock held until commit.)
 * - Feed: `onCommitted` listeners hear of every new entry exactly once, in id order, after its commit and
 *   before the promise of the call that wrote it resolves (in that process). With shared storage, every store
 *   tells its listeners about every store's entries.
 * - Idempotency: an append with a clientId the sender has used before writes nothing and resolves with the
 *   original message (`duplicate: true`), also when both appends race.
 * - Durability: a promise that resolved has committed. What it wrote survives a crash of the process;
 *   whether it also survives power loss depends on the implementation's sync setting (documented there).
 * - Atomicity: each call is one transaction; a failed call leaves nothing behind. (Over a network, a call
 *   that failed because its connection broke may have committed all the same: retry it with its clientId.)
 * - Privacy: a private message is only ever returned by `conversation` for its two parties and by
 *   `undelivered` for its recipient; `since` returns what its reader may see (log.ts; rooms.ts, "Privacy").
 * - Names: every read shows sender and recipient by their current handle and display name (`from`/`fromName`,
 *   `to`/`toName`), so a renamed user's history reads as theirs; the feed and the append's own result carry
 *   the names the append was given.
 */
/** Who sends or receives a message, as live deliveries show them (reads show each user's current names). */
export interface Party {
  id: number;
  name: string;
  displayName: string;
}

export interface NewMessage {
  sender: Party;
  text: string;
  ts: number;
  /** Idempotency key chosen by the sender's client; unique per sender. */
  clientId?: string;
  /** The socket that sent it; not stored, only passed on to `onCommitted` listeners (see Committed). */
  origin?: string;
}

export interface NewPrivateMessage extends NewMessage {
  recipient: Party;
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

export interface MessageStore {
  appendPublic(message: NewMessage): Promise<Appended<PublicMessage>>;
  /** Stores a private message as not yet delivered; `markDelivered` records its delivery. */
  appendPrivate(message: NewPrivateMessage): Promise<Appended<PrivateMessage>>;
  /** Subscribes to committed entries (see Feed above); returns the unsubscribe function. */
  onCommitted(listener: (committed: Committed) => void): () => void;
  publicHistory(query: PageQuery): Promise<Page<PublicMessage>>;
  /** Private messages between users `a` and `b` (ids), both directions, as `a` sees them (none hidden from `a`). */
  conversation(a: number, b: number, query: PageQuery): Promise<Page<PrivateMessage>>;
  /**
   * Private messages to `recipient` with id > `after` that no socket of theirs is known to have received, oldest
   * first; not those deleted meanwhile, nor those hidden from the recipient (stored as delivered).
   */
  undelivered(recipient: number, after: number, limit: number): Promise<PrivateMessage[]>;
  /** Records that a socket of `recipient` received these messages (ids of messages to others are ignored). */
  markDelivered(recipient: number, ids: number[]): Promise<void>;
  /**
   * The log's entries with id > `after` that user `reader` may see, at most `limit` of them, oldest first:
   * every public message; the private ones it sent or received; the messages and member entries of its rooms
   * (rooms.ts, "Privacy"); the member entries about itself. Only the public timeline's entries (its messages,
   * their edits and deletions) when `reader` is undefined, read through an index of those alone, so that an
   * anonymous reader never walks anyone's private or room entries (issue 16).
   */
  since(reader: number | undefined, after: number, limit: number): Promise<LogPage>;
  /** Deletes messages created before `cutoffTs`; resolves with how many. */
  prune(cutoffTs: number): Promise<number>;
  /** The highest message id ever removed by `prune` (0 if none): a reader behind it has a gap. */
  prunedThrough(): Promise<number>;
}
