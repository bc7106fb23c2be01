/** What the server sends unasked: messages, log changes, rooms, notices, presence (docs/protocol.md, "Server → client"). */
import type { ErrorBody } from '../errors';

export interface PublicMessage {
  /** Increasing across all messages, public and private. */
  id: number;
  /** The sender's handle, and the display name people see (both current, except in live events: as sent). */
  from: string;
  fromName: string;
  /** Empty once the message was deleted (`deletedAt` set). */
  text: string;
  /** Epoch milliseconds, assigned by the server. */
  ts: number;
  /** When its author last edited it (issue 19), absent if never. */
  editedAt?: number;
  /** When it was deleted: a tombstone, its text erased. Absent if it was not. */
  deletedAt?: number;
}

export interface PrivateMessage extends PublicMessage {
  to: string;
  toName: string;
}

export interface RoomMessage extends PublicMessage {
  /** The room's name. */
  room: string;
}

export type ChatMessage = PublicMessage | PrivateMessage | RoomMessage;

export interface RoomInfo {
  name: string;
  private: boolean;
  /** The name of the user who created it (the only one who may remove members). */
  owner: string;
}

/** What a membership change did: `create` (the owner's own entry), `join`, `leave`, `invite`, `remove`. */
export type MemberAction = 'create' | 'join' | 'leave' | 'invite' | 'remove';

/**
 * A membership change, an entry of the message log: `seq` is its id in the one id sequence that messages
 * share (a client's cursor moves over it as over a message id). `user` is the member concerned, `by` who did it.
 */
export interface RoomMemberChange {
  seq: number;
  room: string;
  private: boolean;
  user: string;
  action: MemberAction;
  by: string;
  ts: number;
}

/** The log entries that are not chat messages, as `sync` returns them (`changes`), oldest first. */
/** A message's new text (issue 19): `id` is the message's, `seq` the edit's own place in the log. */
export interface MessageEdited {
  id: number;
  text: string;
  editedAt: number;
  seq: number;
}

/** A message was deleted: readers drop its text and show a tombstone. */
export interface MessageDeleted {
  id: number;
  seq: number;
}

export type LogChange = ({ type: 'member' } & RoomMemberChange) | ({ type: 'edit' } & MessageEdited) | ({ type: 'delete' } & MessageDeleted);

/** One room in the `rooms` list. `unread` and `last` are given for the rooms the caller is a member of. */
export interface RoomEntry {
  name: string;
  private: boolean;
  owner: string;
  member: boolean;
  /** How many members it has. */
  members: number;
  unread?: number;
  last?: RoomMessage | null;
}

/** A read mark: the reader has read that conversation up to this message id (and never goes back). */
export interface ReadMark {
  upTo: number;
  room?: string;
  with?: string;
}

/** One conversation of the caller: the public timeline (neither `room` nor `with`), a one-to-one, or a room. */
export interface ConversationEntry {
  room?: string;
  with?: string;
  /** Messages from others after the read mark, up to UNREAD_COUNT_LIMIT. */
  unread: number;
  /** The newest message, or null when there is none. */
  last: ChatMessage | null;
  /** The read mark (0: none yet). */
  readUpTo: number;
  /** What the list is ordered by (newest first): the last message's id, or for a room without messages the caller's joining. */
  activity: number;
}

export type NoticeType = 'welcome' | 'join' | 'leave' | 'push' | 'error';

/**
 * Everything the server pushes on `msg1`. `code` is set on `error` notices (with `retryAfterMs` when the code
 * is `rate_limited`, as in an ack), `names` on join/leave.
 */
export interface Notice {
  type: NoticeType;
  text: string;
  ts: number;
  /** join/leave: who came or went (changes are announced together, at most every 100 ms). */
  names?: string[];
  code?: ErrorBody['code'];
  retryAfterMs?: ErrorBody['retryAfterMs'];
}

/** A person as events show them: the handle (`to`, `with`) and the display name. */
export interface Person {
  name: string;
  displayName: string;
}

/** Users who came online or went offline since the previous `presence` event. */
export interface PresenceChange {
  users: Array<Person & { online: boolean }>;
  ts: number;
}

export interface TypingNotice {
  from: string;
  fromName: string;
  to?: string;
}

export interface UserEntry extends Person {
  online: boolean;
}

/** A user's names changed (`profile`, or in JWT mode the host renamed them); `formerName` when the handle did. */
export interface ProfileChange extends Person {
  formerName?: string;
  ts: number;
}
