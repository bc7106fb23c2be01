import type { ChatMessage, LogChange, MemberAction, RoomMemberChange } from '../protocol';

/**
 * The one id-ordered log (docs/protocol.md, "The log"): the `messages` table holds every entry a client must
 * apply exactly once and in order, each with the next id of one sequence, in commit order. An entry's `kind`:
 * - `message`: a chat message, public (no recipient, no room), private (a recipient) or in a room;
 * - `member`: a membership change of a room (the member concerned in recipient_id, the actor as sender);
 * - `edit` and `delete` (issue 19): a message's new text, or its deletion (`target_id` is the message). They copy
 *   the message's sender, recipient, room and hidden flag, so that exactly its readers see them (edits.ts).
 * The state an entry changes (rooms, room_members) is written in the same transaction as the entry, so the
 * state a reader sees and the entries it has seen always agree on the id they reached.
 *
 * Who may see an entry is decided by ids, never by timing: public and private entries by their parties; a
 * room's entries by its members, where a member who left (or was removed) still sees the entries committed
 * before the id of their leaving, and nothing after it (see rooms.ts, "Privacy").
 */
export type EntryKind = 'message' | 'member' | 'edit' | 'delete';

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
  /** A private message from someone its recipient blocked: only the sender's connections get it (edits.ts). */
  hidden?: boolean;
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

/** Who may read a message, and so its edits and deletion: its sender, recipient, room and hidden flag. */
export interface MessageScope {
  senderId: number;
  recipientId: number | null;
  roomId: number | null;
  hidden: boolean;
}

/** A message's new text just committed (edits.ts). */
export interface CommittedEdit {
  kind: 'edit';
  id: number;
  /** The message edited. */
  target: number;
  text: string;
  editedAt: number;
  scope: MessageScope;
  origin?: string;
}

/** A message's deletion just committed (edits.ts). */
export interface CommittedDelete {
  kind: 'delete';
  id: number;
  target: number;
  scope: MessageScope;
  origin?: string;
}

/** An entry of the log, as told to `onCommitted` listeners (see messages.ts, "Feed"). */
export type Committed = CommittedMessage | CommittedMember | CommittedEdit | CommittedDelete;

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
export function memberChange(entry: CommittedMember): RoomMemberChange {
  return {
    seq: entry.id,
    room: entry.room.name,
    private: entry.room.private,
    user: entry.user.name,
    action: entry.action,
    by: entry.by.name,
    ts: entry.ts,
  };
}

/** The change an entry other than a message is to a client, as `sync` returns it. */
export function changeOf(entry: CommittedMember | CommittedEdit | CommittedDelete): LogChange {
  switch (entry.kind) {
    case 'member':
      return { type: 'member', ...memberChange(entry) };
    case 'edit':
      return { type: 'edit', seq: entry.id, id: entry.target, text: entry.text, editedAt: entry.editedAt };
    case 'delete':
      return { type: 'delete', seq: entry.id, id: entry.target };
  }
}
