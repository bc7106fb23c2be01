import type Database from 'better-sqlite3';
import type { MemberAction, RoomMessage } from '../../protocol';
import type { CommittedMember } from '../log';
import type { Appended } from '../messages';
import { decide, joins, mayCreate, memberSortKey } from '../room-rules';
import type { Membership, RoomOutcome, RoomRecord, RoomStore } from '../rooms';
import { MESSAGE_COLUMNS, MESSAGES_WITH_NAMES, newestPage, toMessage, type MessageRow } from '../rows';
import type { Append } from './messages';
import type { SqliteWriter } from './writer';

/**
 * The rooms part of the SQLite store (ChatStore's RoomStore). Every check and the write it allows run in one
 * write of the group commit (writer.ts), so nothing commits between them: one process owns the file.
 */
export function sqliteRooms(db: Database.Database, writer: SqliteWriter, append: Append): RoomStore {
  const q = prepare(db);
  const room = (id: number) => toRoom(q.roomById.get(id));
  const membership = (roomId: number, userId: number) => toMembership(q.membership.get(roomId, userId));

  /** Writes a member entry and the state it records; returns the entry, told to the feed at commit. */
  const record = (r: RoomRecord, action: MemberAction, user: { id: number; name: string }, by: { id: number; name: string }, ts: number, origin?: string) => {
    const { lastInsertRowid } = q.insertEntry.run(by.id, by.name, user.id, user.name, r.id, r.name, action, ts);
    const id = Number(lastInsertRowid);
    const joining = joins(action);
    if (joining) q.join.run(r.id, user.id, id, memberSortKey(user.name));
    else q.leave.run(id, r.id, user.id);
    q.count.run(joining ? 1 : -1, r.id);
    const entry: CommittedMember = { kind: 'member', id, room: { id: r.id, name: r.name, private: r.private }, user, by, action, ts, origin };
    writer.committed(entry);
    return entry;
  };

  return {
    createRoom(r, limits) {
      return writer.write((): RoomOutcome => {
        if (q.roomByKey.get(r.key)) return { ok: false, refused: 'room_taken' };
        if (!mayCreate(roomsOf(q, r.owner.id), limits)) return { ok: false, refused: 'limit_reached' };
        const { lastInsertRowid } = q.insertRoom.run(r.name, r.key, r.sortKey, r.private ? 1 : 0, r.owner.id, r.owner.name, r.ts);
        const created = room(Number(lastInsertRowid))!;
        const entry = record(created, 'create', r.owner, r.owner, r.ts, r.origin);
        return { ok: true, room: room(created.id)!, entry };
      });
    },
    changeMembership(change, limits) {
      return writer.write((): RoomOutcome => {
        const facts = {
          room: room(change.roomId),
          actor: membership(change.roomId, change.actor.id),
          user: membership(change.roomId, change.user.id),
          userRooms: roomsOf(q, change.user.id),
          blocked: q.blocked.get(change.user.id, change.actor.id) !== undefined,
        };
        const decision = decide(change, facts, limits);
        if ('refused' in decision) return { ok: false, refused: decision.refused };
        if ('nothing' in decision) return { ok: true, room: facts.room! };
        const entry = record(facts.room!, change.action, change.user, change.actor, change.ts, change.origin);
        return { ok: true, room: room(change.roomId)!, entry };
      });
    },
    appendRoom(m) {
      return writer.write(() => append(m, { room: m.room }, () => (membership(m.room.id, m.sender.id)?.member ? undefined : { refused: 'not_member' as const })) as
        | Appended<RoomMessage>
        | { refused: 'not_member' });
    },
    async findRoom(key) {
      return toRoom(q.roomByKey.get(key));
    },
    async membership(roomId, userId) {
      return membership(roomId, userId);
    },
    async listRooms(viewer, { mine, after, limit }) {
      const rows = q.listRooms.all({ viewer, mine: mine ? 1 : 0, after: after ?? null, limit: limit + 1 }) as Array<RoomRow & { member: number | null }>;
      return { rooms: rows.slice(0, limit).map((row) => ({ ...toRoom(row)!, member: row.member === 1 })), hasMore: rows.length > limit };
    },
    async members(roomId, after, limit) {
      const rows = q.members.all({ roomId, after: after ?? null, limit: limit + 1 }) as Array<{ id: number; name: string; displayName: string }>;
      return { members: rows.slice(0, limit), hasMore: rows.length > limit };
    },
    async roomHistory(roomId, query) {
      const rows = q.roomPage.all({ roomId, before: query.before ?? null, limit: query.limit + 1 }) as MessageRow[];
      return newestPage(rows.map(toMessage) as RoomMessage[], query.limit);
    },
    async memberships() {
      // One process writes, and this runs between its commits: the pairs and the head agree.
      const pairs = (q.allMembers.all() as Array<{ roomId: number; userId: number }>).map((p): [number, number] => [p.roomId, p.userId]);
      return { head: (q.head.get() as { seq: number } | undefined)?.seq ?? 0, pairs };
    },
  };
}

function roomsOf(q: ReturnType<typeof prepare>, userId: number): number {
  return (q.roomsOfUser.get(userId) as { n: number }).n;
}

interface RoomRow {
  id: number;
  name: string;
  key: string;
  private: number;
  ownerId: number;
  ownerName: string;
  memberCount: number;
}

function toRoom(row: unknown): RoomRecord | undefined {
  if (row === undefined) return undefined;
  const r = row as RoomRow;
  return { id: r.id, name: r.name, key: r.key, private: r.private === 1, ownerId: r.ownerId, ownerName: r.ownerName, memberCount: r.memberCount };
}

function toMembership(row: unknown): Membership | undefined {
  if (row === undefined) return undefined;
  const r = row as { member: number; joinedId: number; leftId: number | null };
  return { member: r.member === 1, joinedId: r.joinedId, leftId: r.leftId };
}

function prepare(db: Database.Database) {
  const room = 'r.id, r.name, r.name_key AS key, r.private, r.owner_id AS ownerId, r.owner_name AS ownerName, r.member_count AS memberCount';
  return {
    roomById: db.prepare(`SELECT ${room} FROM rooms r WHERE r.id = ?`),
    roomByKey: db.prepare(`SELECT ${room} FROM rooms r WHERE r.name_key = ?`),
    insertRoom: db.prepare(
      'INSERT INTO rooms (name, name_key, sort_key, private, owner_id, owner_name, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    membership: db.prepare('SELECT member, joined_id AS joinedId, left_id AS leftId FROM room_members WHERE room_id = ? AND user_id = ?'),
    roomsOfUser: db.prepare('SELECT count(*) AS n FROM room_members WHERE user_id = ? AND member = 1'),
    blocked: db.prepare('SELECT 1 FROM blocks WHERE blocker_id = ? AND blocked_id = ?'),
    insertEntry: db.prepare(
      `INSERT INTO messages (kind, sender_id, sender_name, recipient_id, recipient_name, room_id, room_name, action, body, created_at, delivered)
       VALUES ('member', ?, ?, ?, ?, ?, ?, ?, '', ?, 1)`,
    ),
    join: db.prepare(
      `INSERT INTO room_members (room_id, user_id, member, joined_id, left_id, sort_key) VALUES (?, ?, 1, ?, NULL, ?)
       ON CONFLICT (room_id, user_id) DO UPDATE SET member = 1, joined_id = excluded.joined_id, left_id = NULL, sort_key = excluded.sort_key`,
    ),
    leave: db.prepare('UPDATE room_members SET member = 0, left_id = ? WHERE room_id = ? AND user_id = ?'),
    count: db.prepare('UPDATE rooms SET member_count = member_count + ? WHERE id = ?'),
    listRooms: db.prepare(
      `SELECT ${room}, rm.member FROM rooms r LEFT JOIN room_members rm ON rm.room_id = r.id AND rm.user_id = $viewer
       WHERE (rm.member = 1 OR (r.private = 0 AND $mine = 0)) AND ($after IS NULL OR r.sort_key > $after)
       ORDER BY r.sort_key LIMIT $limit`,
    ),
    members: db.prepare(
      `SELECT u.id, u.name, u.display_name AS "displayName" FROM room_members rm JOIN users u ON u.id = rm.user_id
       WHERE rm.room_id = $roomId AND rm.member = 1 AND u.retired_at IS NULL AND ($after IS NULL OR rm.sort_key > $after)
       ORDER BY rm.sort_key LIMIT $limit`,
    ),
    roomPage: db.prepare(
      `SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGES_WITH_NAMES}
       WHERE m.room_id = $roomId AND m.kind = 'message' AND ($before IS NULL OR m.id < $before)
       ORDER BY m.id DESC LIMIT $limit`,
    ),
    allMembers: db.prepare('SELECT room_id AS roomId, user_id AS userId FROM room_members WHERE member = 1'),
    head: db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'messages'"),
  };
}
