import type { MessageStore } from './messages';
import type { SessionStore } from './sessions';
import type { UserStore } from './users';

export type { HostAccount, Names, NewUser, Renamed, UserRecord, UserStore } from './users';
export type { Device, NewSession, NewSignInCode, SessionRecord, SessionStore } from './sessions';
export type { Appended, Committed, MessageStore, NewMessage, NewPrivateMessage, Page, PageQuery } from './messages';

/** What a store says about how it keeps what it was given; logged when the server starts listening. */
export interface Durability {
  engine: 'sqlite' | 'postgres';
  /** Read back from the storage itself, never from the configuration (e.g. `journal_mode=wal`, `synchronous=full`). */
  settings: Record<string, string>;
}

/**
 * Durable storage of users, their sessions and messages: one contract, its guarantees written on each part
 * (users.ts, sessions.ts, messages.ts), and an implementation per engine (sqlite/, postgres/), each split the
 * same way by concern. tests/store.test.ts and tests/sessions.test.ts hold every implementation to the same
 * guarantees.
 */
export interface ChatStore extends UserStore, SessionStore, MessageStore {
  /** Resolves when the storage answers a trivial query; used by /readyz. */
  ping(): Promise<void>;
  /** The durability settings in force, as the storage reports them. */
  durability(): Promise<Durability>;
  close(): Promise<void>;
}
