import type pg from 'pg';
import type { RoomMessage } from '../../protocol';
import type { CommittedMember } from '../log';
import type { Appended } from '../messages';
import { decide, joins as joining, mayCreate, memberSortKey } from '../room-rules';
import type { Membership, RoomOutcome, RoomRecord, RoomStore } from '../rooms';
import { MESSAGE_COLUMNS, MESSAGES_WITH_NAMES, newestPage, toMessage, type MessageRow } from '../rows';
import { inTransaction } from './connection';
import type { JobOutcome } from './jobs';
import { BatchedLookup } from './lookups';
import type { GroupCommit, Refused } from './writer';

/**
 * The rooms part of the PostgreSQL store (ChatStore's RoomStore). Membership changes are jobs in the group
 * commit's lane (jobs.ts): each checks its facts and writes under the `log_head` lock, which every append and
 * every other change on every node takes too, so the facts cannot change before it commits. Room messages go
 * through `chat_append`, which checks membership under the same lock.
 */
export function postgresRooms(pool: pg.Pool, writer: GroupCommit): RoomStore {
  // Rooms by key, looked up in batches as users are: roomMsg finds its room so.
  const byKey = new BatchedLookup<RoomRecord>(pool, `${SELECT_ROOM} WHERE r.name_key = ANY($1::text[])`, (r) => r.key);
  const refused = (why: Extract<RoomOutcome, { ok: false }>['refused']): JobOutcome<RoomOutcome> => ({ result: { ok: false, refused: why }, entries: [] });

  return {
    createRoom(r, limits) {
      return writer.job(async (tx, head) => {
        if ((await tx.query('SELECT 1 FROM rooms WHERE name_key = $1', [r.key])).rowCount) return refused('room_taken');
        if (!mayCreate(await roomsOf(tx, r.owner.id), limits)) return refused('limit_reached');
        const { rows } = await tx.query<{ id: number }>(
          `INSERT INTO rooms (name, name_key, sort_key, private, owner_id, owner_name, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
          [r.name, r.key, r.sortKey, r.private, r.owner.id, r.owner.name, r.ts],
        );
        const ref = { id: rows[0].id, name: r.name, private: r.private };
        const entry: CommittedMember = { kind: 'member', id: head + 1, room: ref, user: r.owner, by: r.owner, action: 'create', ts: r.ts, origin: r.origin };
        const room = await record(tx, entry);
        return { result: { ok: true, room, entry }, entries: [entry] };
      });
    },
    changeMembership(change, limits) {
      return writer.job(async (tx, head) => {
        const facts = await factsOf(tx, change.roomId, change.actor.id, change.user.id);
        const decision = decide(change, facts, limits);
        if ('refused' in decision) return refused(decision.refused);
        const room = facts.room!;
        if ('nothing' in decision) return { result: { ok: true, room }, entries: [] };
        const ref = { id: room.id, name: room.name, private: room.private };
        const entry: CommittedMember = { kind: 'member', id: head + 1, room: ref, user: change.user, by: change.actor, action: change.action, ts: change.ts, origin: change.origin };
        return { result: { ok: true, room: await record(tx, entry), entry }, entries: [entry] };
      });
    },
    appendRoom(m) {
      return writer.append({ ...m, recipient: null, room: m.room }) as Promise<Appended<RoomMessage> | Refused>;
    },
    findRoom(key) {
      return byKey.find(key);
    },
    async membership(roomId, userId) {
      const { rows } = await pool.query<Membership>(`SELECT ${MEMBERSHIP} FROM room_members WHERE room_id = $1 AND user_id = $2`, [roomId, userId]);
      return rows[0];
    },
    async listRooms(viewer, { mine, after, limit }) {
      const { rows } = await pool.query<RoomRecord & { member: boolean | null }>(
        `${SELECT_ROOM_COLUMNS}, rm.member FROM rooms r LEFT JOIN room_members rm ON rm.room_id = r.id AND rm.user_id = $1
         WHERE (rm.member OR (NOT r.private AND NOT $4)) AND ($2::text IS NULL OR r.sort_key > $2) ORDER BY r.sort_key LIMIT $3`,
        [viewer, after ?? null, limit + 1, mine],
      );
      return { rooms: rows.slice(0, limit).map((row) => ({ ...row, member: row.member === true })), hasMore: rows.length > limit };
    },
    async members(roomId, after, limit) {
      const { rows } = await pool.query<{ id: number; name: string; displayName: string }>(
        `SELECT u.id, u.name, u.display_name AS "displayName" FROM room_members rm JOIN users u ON u.id = rm.user_id
         WHERE rm.room_id = $1 AND rm.member AND u.retired_at IS NULL AND ($2::text IS NULL OR rm.sort_key > $2)
         ORDER BY rm.sort_key LIMIT $3`,
        [roomId, after ?? null, limit + 1],
      );
      return { members: rows.slice(0, limit), hasMore: rows.length > limit };
    },
    async roomHistory(roomId, query) {
      const { rows } = await pool.query<MessageRow>(
        `SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGES_WITH_NAMES} WHERE m.room_id = $1 AND m.kind = 'message' AND m.id < $2
         ORDER BY m.id DESC LIMIT $3`,
        [roomId, query.before ?? Number.MAX_SAFE_INTEGER, query.limit + 1],
      );
      return newestPage(rows.map(toMessage) as RoomMessage[], query.limit);
    },
    async memberships() {
      // One snapshot for both reads: the head and the memberships it reached agree (both are written together).
      const snapshot = await inTransaction(pool, async (tx) => {
        await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY');
        const head = (await tx.query<{ last_id: number }>('SELECT last_id FROM log_head')).rows[0].last_id;
        const { rows } = await tx.query<{ room_id: number; user_id: number }>('SELECT room_id, user_id FROM room_members WHERE member');
        return { head, pairs: rows.map((p): [number, number] => [p.room_id, p.user_id]) };
      });
      return snapshot!;
    },
  };
}

/** Writes a member entry (its id chosen by the job) and the membership it records; returns the room after it. */
async function record(tx: pg.PoolClient, e: CommittedMember): Promise<RoomRecord> {
  const joins = joining(e.action);
  await tx.query(
    `INSERT INTO messages (id, kind, sender_id, sender_name, recipient_id, recipient_name, room_id, room_name, action, body, created_at, delivered)
     VALUES ($1, 'member', $2, $3, $4, $5, $6, $7, $8, '', $9, true)`,
    [e.id, e.by.id, e.by.name, e.user.id, e.user.name, e.room.id, e.room.name, e.action, e.ts],
  );
  if (joins) {
    await tx.query(
      `INSERT INTO room_members (room_id, user_id, member, joined_id, left_id, sort_key) VALUES ($1, $2, true, $3, NULL, $4)
       ON CONFLICT (room_id, user_id) DO UPDATE SET member = true, joined_id = excluded.joined_id, left_id = NULL, sort_key = excluded.sort_key`,
      [e.room.id, e.user.id, e.id, memberSortKey(e.user.name)],
    );
  } else {
    await tx.query('UPDATE room_members SET member = false, left_id = $3 WHERE room_id = $1 AND user_id = $2', [e.room.id, e.user.id, e.id]);
  }
  const { rows } = await tx.query<RoomRecord>(
    `UPDATE rooms r SET member_count = member_count + $2 WHERE r.id = $1 RETURNING ${ROOM_COLUMNS}`,
    [e.room.id, joins ? 1 : -1],
  );
  return rows[0];
}

async function roomsOf(tx: pg.PoolClient, userId: number): Promise<number> {
  return (await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM room_members WHERE user_id = $1 AND member', [userId])).rows[0].n;
}

/** The facts room-rules.ts decides on, in one round trip (a connection runs one query at a time). */
async function factsOf(tx: pg.PoolClient, roomId: number, actorId: number, userId: number) {
  const { rows } = await tx.query<{ room: RoomRecord | null; actor: Membership | null; user: Membership | null; user_rooms: number; blocked: boolean }>(
    `SELECT (SELECT row_to_json(x) FROM (${SELECT_ROOM} WHERE r.id = $1) x) AS room,
            (SELECT row_to_json(x) FROM (SELECT ${MEMBERSHIP} FROM room_members WHERE room_id = $1 AND user_id = $2) x) AS actor,
            (SELECT row_to_json(x) FROM (SELECT ${MEMBERSHIP} FROM room_members WHERE room_id = $1 AND user_id = $3) x) AS user,
            (SELECT count(*)::int FROM room_members WHERE user_id = $3 AND member) AS user_rooms,
            EXISTS (SELECT 1 FROM blocks WHERE blocker_id = $3 AND blocked_id = $2) AS blocked`,
    [roomId, actorId, userId],
  );
  const [f] = rows;
  return { room: f.room ?? undefined, actor: f.actor ?? undefined, user: f.user ?? undefined, userRooms: f.user_rooms, blocked: f.blocked };
}

const ROOM_COLUMNS = 'r.id, r.name, r.name_key AS key, r.private, r.owner_id AS "ownerId", r.owner_name AS "ownerName", r.member_count AS "memberCount"';
const SELECT_ROOM_COLUMNS = `SELECT ${ROOM_COLUMNS}`;
const SELECT_ROOM = `${SELECT_ROOM_COLUMNS} FROM rooms r`;
const MEMBERSHIP = 'member, joined_id AS "joinedId", left_id AS "leftId"';
