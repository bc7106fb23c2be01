import type { MemberAction, RoomMessage } from '../protocol';
import type { CommittedMember } from './log';
import type { Appended, NewMessage, Page, PageQuery } from './messages';

/**
 * The rooms part of the ChatStore contract (store.ts): rooms, who is a member, and room messages, all on the
 * one log (log.ts).
 *
 * Guarantees every implementation gives (tests/store-rooms.test.ts checks them against each one):
 * - One log: every membership change is an entry (`member`) with the next id of the sequence messages use,
 *   written in the same transaction as the state it changes. A change that changes nothing (joining twice,
 *   leaving a room one is not in) writes no entry.
 * - Membership decides sending: a room message is appended only if its sender is a member when the
 *   transaction that gives it its id runs, so a message committed after a removal can never be the removed
 *   member's, and the refusal writes nothing.
 * - Privacy, by ids: a member who left or was removed keeps seeing the room's entries with an id below that of
 *   their leaving (which they may have been sent live already) and none above it. `sync` (messages.ts, `since`)
 *   applies exactly this, so a message committed after the removal never reaches them, one committed before
 *   reaches them once. A current member sees the room's whole history (shared history, as in Matrix's default).
 * - Names: one room per name key (names.ts, `nameKey`: look-alike names are one room); rooms are never renamed
 *   or deleted, so a name always means the same room.
 * - Caps: a membership change that would put more than `maxMembersPerRoom` members in a room, or the member in
 *   more than `maxRoomsPerUser` rooms, is refused `limit_reached`, decided in the same transaction.
 * - Idempotency: room messages as in messages.ts (clientId per sender); a retry after the sender was removed
 *   still acks the original.
 * - Atomicity: each call is one transaction; a refused or failed call leaves nothing behind.
 */
export interface RoomRecord {
  id: number;
  name: string;
  /** nameKey(name): unique. */
  key: string;
  private: boolean;
  ownerId: number;
  ownerName: string;
  /** Current members. */
  memberCount: number;
}

export interface RoomLimits {
  maxRoomsPerUser: number;
  maxMembersPerRoom: number;
}

export interface NewRoom {
  name: string;
  key: string;
  /** How the room sorts in lists (names.ts, `legacyKey`): unique among rooms as the key is. */
  sortKey: string;
  private: boolean;
  owner: { id: number; name: string };
  ts: number;
  origin?: string;
}

export interface MembershipChange {
  action: Exclude<MemberAction, 'create'>;
  roomId: number;
  /** Who does it; for `join` and `leave` the member concerned too. */
  actor: { id: number; name: string };
  /** The member concerned by `invite` and `remove`; the actor for `join` and `leave`. */
  user: { id: number; name: string };
  ts: number;
  origin?: string;
}

/** Why a room operation was refused (the codes of src/errors.ts that the handlers answer with). */
export type RoomRefusal = 'room_taken' | 'unknown_room' | 'not_member' | 'forbidden' | 'limit_reached';

/** A room operation's outcome: the room after it, and the entry it wrote (none if nothing changed). */
export type RoomOutcome = { ok: true; room: RoomRecord; entry?: CommittedMember } | { ok: false; refused: RoomRefusal };

export interface NewRoomMessage extends NewMessage {
  room: { id: number; name: string };
}

export interface Membership {
  member: boolean;
  /** The log id of the entry that made them a member last. */
  joinedId: number;
  /** The log id of the entry that ended their membership, while they are not a member. */
  leftId: number | null;
}

export interface RoomListing {
  rooms: Array<RoomRecord & { member: boolean }>;
  hasMore: boolean;
}

export interface RoomStore {
  /** Creates a room with its owner as the first member (a `create` entry). */
  createRoom(room: NewRoom, limits: RoomLimits): Promise<RoomOutcome>;
  /** Applies a join, leave, invite or removal by the rules of src/store/room-rules.ts. */
  changeMembership(change: MembershipChange, limits: RoomLimits): Promise<RoomOutcome>;
  /** Appends a room message, or refuses it when the sender is not a member at commit (see Membership decides sending). */
  appendRoom(message: NewRoomMessage): Promise<Appended<RoomMessage> | { refused: 'not_member' }>;
  findRoom(key: string): Promise<RoomRecord | undefined>;
  /** The user's membership row in the room, current or former; undefined if they never were a member. */
  membership(roomId: number, userId: number): Promise<Membership | undefined>;
  /**
   * Public rooms and the private rooms `viewer` is a member of (`mine`: only the rooms `viewer` is a member of),
   * by sort key, after `after` (a sort key).
   */
  listRooms(viewer: number, query: { mine: boolean; after?: string; limit: number }): Promise<RoomListing>;
  /** Current members, by name (with their display names), after `after` (a name's sort key). */
  members(roomId: number, after: string | undefined, limit: number): Promise<{ members: Array<{ id: number; name: string; displayName: string }>; hasMore: boolean }>;
  /** A page of the room's messages, newest page first as `publicHistory`. */
  roomHistory(roomId: number, query: PageQuery): Promise<Page<RoomMessage>>;
  /**
   * Every current membership, read in one transaction with the log's head: a node's delivery map starts from
   * it and applies the member entries with a higher id (realtime/memberships.ts).
   */
  memberships(): Promise<{ head: number; pairs: Array<[roomId: number, userId: number]> }>;
}
