import type { MessageStore } from './messages';
import type { UserStore } from './users';

export type { NewUser, UserRecord, UserStore } from './users';
export type { Appended, Committed, MessageStore, NewMessage, NewPrivateMessage, Page, PageQuery } from './messages';

/** What a store says about how it keeps what it was given; logged when the server starts listening. */
export interface Durability {
  engine: 'sqlite' | 'postgres';
  /** Read back from the storage itself, never from the configuration (e.g. `journal_mode=wal`, `synchronous=full`). */
  settings: Record<string, string>;
}

/**
 * Durable storage of users and messages: one contract, its guarantees written on each part (users.ts,
 * messages.ts), and an implementation per engine (sqlite/, postgres/), each split the same way by concern.
 * tests/store.test.ts holds every implementation to the same guarantees.
 */
export interface ChatStore extends UserStore, MessageStore {
  /** Resolves when the storage answers a trivial query; used by /readyz. */
  ping(): Promise<void>;
  /** The durability settings in force, as the storage reports them. */
  durability(): Promise<Durability>;
  close(): Promise<void>;
}
