import type { ChatMessage, LogChange, MemberAction } from '../protocol';

/**
 * The one id-ordered log (docs/protocol.md, "The log"): the `messages` table holds every entry a client must
 * apply exactly once and in order, each with the next id of one sequence, in commit order. An entry's `kind`:
 * - `message`: a chat message, public (no recipient, no room), private (a recipient) or in a room;
 * - `member`: a membership change of a room (the member concerned in recipient_id, the actor as sender).
 * The state an entry changes (rooms, room_members) is written in the same transaction as the entry, so the
 * state a reader sees and the entries it has seen always agree on the id they reached.
 *
 * Who may see an entry is decided by ids, never by timing: public and private entries by their parties; a
 * room's entries by its members, where a member who left (or was removed) still sees the entries committed
 * before the id of their leaving, and nothing after it (see rooms.ts, "Privacy").
 */
export type EntryKind = 'message' | 'member';

/** A room as entries carry it. */
export interface RoomRef {
  id: number;
  name: string;
}

/** A chat message just committed. */
export interface CommittedMessage {
  kind: 'message';
  /** The log id (the message's id). */
  id: number;
  message: ChatMessage;
  senderId: number;
  /** The recipient of a private message; null otherwise. */
  recipientId: number | null;
  /** The room of a room message; null otherwise. */
  roomId: number | null;
  /**
   * The sending socket: always in the process that appended it. In other processes sharing the storage
   * (PostgreSQL) when it came with the commit notification; absent when the entry had to be read back from
   * the table (a notification too big, lost, or missed while reconnecting).
   */
  origin?: string;
}

/** A membership change just committed (rooms.ts). */
export interface CommittedMember {
  kind: 'member';
  id: number;
  room: RoomRef & { private: boolean };
  /** The member concerned. */
  user: { id: number; name: string };
  /** Who did it (the user themselves for create, join and leave). */
  by: { id: number; name: string };
  action: MemberAction;
  ts: number;
  origin?: string;
}

/** An entry of the log, as told to `onCommitted` listeners (see messages.ts, "Feed"). */
export type Committed = CommittedMessage | CommittedMember;

/** One page of the log as a reader may see it, split into chat messages and the other entries. */
export interface LogPage {
  /** Oldest first. */
  messages: ChatMessage[];
  /** Oldest first; merged with `messages` by id they give the log's order. */
  changes: LogChange[];
  /** True when entries after the last one of this page follow. */
  hasMore: boolean;
}

/** The change a member entry is to a client (`roomMember`, and `sync`'s `changes`). */
export function memberChange(entry: CommittedMember): LogChange {
  return {
    type: 'member',
    seq: entry.id,
    room: entry.room.name,
    private: entry.room.private,
    user: entry.user.name,
    action: entry.action,
    by: entry.by.name,
    ts: entry.ts,
  };
}
