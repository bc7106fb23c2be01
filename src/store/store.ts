import type { EditStore } from './edits';
import type { MessageStore } from './messages';
import type { ModerationStore } from './moderation';
import type { ReadStore } from './reads';
import type { RoomStore } from './rooms';
import type { SessionStore } from './sessions';
import type { UserStore } from './users';

export type { HostAccount, Names, NewUser, Renamed, UserPageQuery, UserRecord, UserStore } from './users';
export type { Device, NewSession, NewSignInCode, SessionRecord, SessionStore } from './sessions';
export type { Appended, MessageStore, NewMessage, NewPrivateMessage, Page, PageQuery, Party } from './messages';
export type { Committed, CommittedMember, CommittedMessage, LogPage } from './log';
export type { Membership, MembershipChange, NewRoom, NewRoomMessage, RoomLimits, RoomOutcome, RoomRecord, RoomStore } from './rooms';
export type { ConversationKey, ConversationSummary, ReadStore } from './reads';
export type { Deleter, DeleteOutcome, EditOutcome, EditRefusal, EditStore } from './edits';
export type { BanRecord, ModerationStore, ReportRecord } from './moderation';
export type { CommittedDelete, CommittedEdit, MessageScope } from './log';

/** What a store says about how it keeps what it was given; logged when the server starts listening. */
export interface Durability {
  engine: 'sqlite' | 'postgres';
  /** Read back from the storage itself, never from the configuration (e.g. `journal_mode=wal`, `synchronous=full`). */
  settings: Record<string, string>;
}

/**
 * Durable storage of users, their sessions, the message log, rooms and read state: one contract, its
 * guarantees written on each part (users.ts, sessions.ts, messages.ts with log.ts, rooms.ts, reads.ts, edits.ts,
 * moderation.ts), and an implementation per engine (sqlite/, postgres/), each split the same way by concern.
 * tests/store*.test.ts and tests/sessions.test.ts hold every implementation to the same guarantees.
 */
export interface ChatStore extends UserStore, SessionStore, MessageStore, RoomStore, ReadStore, EditStore, ModerationStore {
  /** Resolves when the storage answers a trivial query; used by /readyz. */
  ping(): Promise<void>;
  /** The durability settings in force, as the storage reports them. */
  durability(): Promise<Durability>;
  close(): Promise<void>;
}
