import type pg from 'pg';
import { UNREAD_COUNT_LIMIT } from '../../protocol';
import { readStore, type ConversationKey, type ReadStore } from '../reads';
import { MESSAGE_COLUMNS, MESSAGES_WITH_NAMES, toMessage, type MessageRow } from '../rows';
import { PRIVATE } from './messages';

/**
 * The read-state part of the PostgreSQL store (ChatStore's ReadStore): reads.ts's rules over these queries.
 * Marks are not log entries: one statement raises a mark, capped at the log's head as read then.
 */
export function postgresReads(pool: pg.Pool): ReadStore {
  const value = async (sql: string, args: unknown[]): Promise<number | null> => (await pool.query<{ v: number | null }>(sql, args)).rows[0]?.v ?? null;
  /** The conversation's parameters followed by the reader's id, for UNREAD's statements. */
  const params = (key: ConversationKey, userId: number) =>
    key.kind === 'public' ? [userId] : key.kind === 'user' ? [key.peerId, userId] : [key.roomId, userId];
  return readStore(
    {
      async markRead(userId, stored, upTo) {
        const { rows } = await pool.query<{ up_to: number }>(
          `INSERT INTO read_marks (user_id, conv, up_to) VALUES ($1, $2, LEAST($3::bigint, (SELECT last_id FROM log_head)))
           ON CONFLICT (user_id, conv) DO UPDATE SET up_to = GREATEST(read_marks.up_to, excluded.up_to)
           RETURNING up_to`,
          [userId, stored, upTo],
        );
        return rows[0].up_to;
      },
      mark: (userId, stored) => value('SELECT up_to AS v FROM read_marks WHERE user_id = $1 AND conv = $2', [userId, stored]),
      joinedId: (roomId, userId) => value('SELECT joined_id AS v FROM room_members WHERE room_id = $1 AND user_id = $2', [roomId, userId]),
      lastId: (userId, key) =>
        key.kind === 'public' ? value(LAST_PUBLIC, []) : key.kind === 'user' ? value(LAST_PAIR, [userId, key.peerId]) : value(LAST_ROOM, [key.roomId]),
      unread: async (userId, key, after, limit) => {
        const args = params(key, userId);
        return (await value(UNREAD[key.kind], [...args, after, limit])) ?? 0;
      },
      async message(id) {
        const { rows } = await pool.query<MessageRow>(`SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGES_WITH_NAMES} WHERE m.id = $1`, [id]);
        return rows[0] && toMessage(rows[0]);
      },
      async nameOf(key) {
        if (key.kind === 'public') return undefined;
        const [sql, id] = key.kind === 'user' ? ['SELECT name FROM users WHERE id = $1', key.peerId] : ['SELECT name FROM rooms WHERE id = $1', key.roomId];
        return (await pool.query<{ name: string }>(sql, [id])).rows[0]?.name;
      },
      async listed(userId) {
        const [publicLast, peers, rooms] = await Promise.all([
          value(LAST_PUBLIC, []),
          pool.query<{ peer: number; last: number }>(PEERS, [userId]),
          pool.query<{ room_id: number; activity: number }>(ROOMS, [userId]),
        ]);
        return [
          { key: { kind: 'public' }, activity: publicLast ?? 0 },
          ...peers.rows.map((p) => ({ key: { kind: 'user' as const, peerId: p.peer }, activity: p.last })),
          ...rooms.rows.map((r) => ({ key: { kind: 'room' as const, roomId: r.room_id }, activity: r.activity })),
        ];
      },
    },
    UNREAD_COUNT_LIMIT,
  );
}

/**
 * Counts messages of a conversation after the mark, up to a limit (deleted ones are not unread): its
 * parameters, the reader, mark, limit.
 */
const count = (where: string, next: number) =>
  `SELECT count(*)::int AS v FROM (SELECT 1 FROM messages m WHERE ${where} AND m.deleted_at IS NULL AND m.id > $${next} LIMIT $${next + 1}) unread`;
const UNREAD: Record<ConversationKey['kind'], string> = {
  public: count("m.kind = 'message' AND m.recipient_id IS NULL AND m.room_id IS NULL AND m.sender_id <> $1", 2),
  user: count(`m.sender_id = $1 AND m.recipient_id = $2 AND NOT m.hidden AND ${PRIVATE}`, 3),
  room: count("m.room_id = $1 AND m.kind = 'message' AND m.sender_id <> $2", 3),
};
const LAST_PUBLIC = "SELECT max(id) AS v FROM messages WHERE kind = 'message' AND recipient_id IS NULL AND room_id IS NULL";
const LAST_PAIR = `SELECT max(m.id) AS v FROM messages m
  WHERE ((m.sender_id = $1 AND m.recipient_id = $2) OR (m.sender_id = $2 AND m.recipient_id = $1 AND NOT m.hidden)) AND ${PRIVATE}`;
const LAST_ROOM = "SELECT max(id) AS v FROM messages WHERE room_id = $1 AND kind = 'message'";
const PEERS = `SELECT mine.peer, max(mine.id) AS last FROM (
    SELECT m.recipient_id AS peer, m.id FROM messages m WHERE m.sender_id = $1 AND ${PRIVATE}
    UNION ALL
    SELECT m.sender_id AS peer, m.id FROM messages m WHERE m.recipient_id = $1 AND NOT m.hidden AND ${PRIVATE}
  ) mine JOIN users u ON u.id = mine.peer WHERE u.retired_at IS NULL GROUP BY mine.peer`;
const ROOMS = `SELECT rm.room_id,
    coalesce((SELECT max(m.id) FROM messages m WHERE m.room_id = rm.room_id AND m.kind = 'message'), rm.joined_id) AS activity
  FROM room_members rm WHERE rm.user_id = $1 AND rm.member`;
