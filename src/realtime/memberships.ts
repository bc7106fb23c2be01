import type { CommittedMember } from '../store/log';
import { joins } from '../store/room-rules';
import type { ChatStore } from '../store/store';

/**
 * This node's map of who is a member of which room, for live delivery: room messages go to the Socket.IO
 * room of a chat room (`roomRoom`), which a user's sockets join at login from this map and later as member
 * entries arrive (delivery.ts).
 *
 * It follows the store's ordered commit feed, the same feed live delivery follows: a member entry is applied
 * before any message committed after it is delivered, on every node, so "a message committed after the
 * removal never reaches the removed member" holds live without timing assumptions (sync applies the same rule
 * by ids in the store). It starts from a snapshot read with the log's head (`load`, before the server
 * listens); member entries the feed tells before the snapshot arrives wait, and those the snapshot already
 * holds (id ≤ its head) are skipped. Each entry sets a (room, user) pair's state, so applying it again is safe.
 */
export class Memberships {
  private readonly rooms = new Map<number, Set<number>>();
  private readonly users = new Map<number, Set<number>>();
  private head = 0;
  /** Entries told before the snapshot was applied. */
  private pending: CommittedMember[] | undefined = [];

  /** Reads the snapshot and applies it, then what the feed told meanwhile. */
  async load(store: Pick<ChatStore, 'memberships'>): Promise<void> {
    const { head, pairs } = await store.memberships();
    this.rooms.clear();
    this.users.clear();
    for (const [roomId, userId] of pairs) this.set(roomId, userId, true);
    this.head = head;
    const waiting = this.pending ?? [];
    this.pending = undefined;
    for (const entry of waiting) this.apply(entry);
  }

  /** Applies a member entry from the feed; false when the snapshot already held it (nothing to do). */
  apply(entry: CommittedMember): boolean {
    if (this.pending) {
      this.pending.push(entry);
      return false;
    }
    if (entry.id <= this.head) return false;
    this.set(entry.room.id, entry.user.id, joins(entry.action));
    return true;
  }

  /** The rooms `userId` is a member of (on this node's map). */
  roomsOf(userId: number): ReadonlySet<number> {
    return this.users.get(userId) ?? NONE;
  }

  membersOf(roomId: number): ReadonlySet<number> {
    return this.rooms.get(roomId) ?? NONE;
  }

  private set(roomId: number, userId: number, member: boolean): void {
    const members = this.rooms.get(roomId) ?? new Set<number>();
    const rooms = this.users.get(userId) ?? new Set<number>();
    if (member) {
      members.add(userId);
      rooms.add(roomId);
      this.rooms.set(roomId, members);
      this.users.set(userId, rooms);
      return;
    }
    members.delete(userId);
    rooms.delete(roomId);
    if (members.size === 0) this.rooms.delete(roomId);
    if (rooms.size === 0) this.users.delete(userId);
  }
}

const NONE: ReadonlySet<number> = new Set();

/** The Socket.IO room of chat room `roomId`: every socket of its members on this node joins it. */
export function roomRoom(roomId: number): string {
  return `room:${roomId}`;
}

export function isRoomRoom(name: string): boolean {
  return name.startsWith('room:');
}
