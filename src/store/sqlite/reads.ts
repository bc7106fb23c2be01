import type Database from 'better-sqlite3';
import { UNREAD_COUNT_LIMIT } from '../../protocol';
import { readStore, type ConversationKey, type ReadStore } from '../reads';
import { MESSAGE_COLUMNS, MESSAGES_WITH_NAMES, toMessage, type MessageRow } from '../rows';
import { PRIVATE } from './messages';
import type { SqliteWriter } from './writer';

/** The read-state part of the SQLite store (ChatStore's ReadStore): reads.ts's rules over these queries. */
export function sqliteReads(db: Database.Database, writer: SqliteWriter): ReadStore {
  const q = prepare(db);
  const value = (statement: Database.Statement, ...args: unknown[]) => (statement.get(...args) as { v: number | null } | undefined)?.v ?? null;
  /** The statement for `key` and its arguments before the trailing ones. */
  const of = (key: ConversationKey, userId: number, statements: Record<ConversationKey['kind'], Database.Statement>) => {
    switch (key.kind) {
      case 'public':
        return [statements.public, userId] as const;
      case 'user':
        return [statements.user, key.peerId, userId] as const;
      case 'room':
        return [statements.room, key.roomId, userId] as const;
    }
  };
  return readStore(
    {
      markRead: (userId, stored, upTo) => writer.write(() => (q.markRead.get({ userId, stored, upTo }) as { upTo: number }).upTo),
      mark: async (userId, stored) => value(q.mark, userId, stored),
      joinedId: async (roomId, userId) => value(q.joinedId, roomId, userId),
      lastId: async (userId, key) =>
        key.kind === 'public' ? value(q.lastPublic) : key.kind === 'user' ? value(q.lastPair, { a: userId, b: key.peerId }) : value(q.lastRoom, key.roomId),
      unread: async (userId, key, after, limit) => {
        const [statement, ...args] = of(key, userId, q.unread);
        return value(statement, ...args, after, limit) ?? 0;
      },
      message: async (id) => {
        const row = q.message.get(id) as MessageRow | undefined;
        return row && toMessage(row);
      },
      nameOf: async (key) => {
        const row = key.kind === 'user' ? q.userName.get(key.peerId) : key.kind === 'room' ? q.roomName.get(key.roomId) : undefined;
        return (row as { name: string } | undefined)?.name;
      },
      listed: async (userId) => [
        { key: { kind: 'public' }, activity: value(q.lastPublic) ?? 0 },
        ...(q.peers.all(userId, userId) as Array<{ peer: number; last: number }>).map((p) => ({ key: { kind: 'user' as const, peerId: p.peer }, activity: p.last })),
        ...(q.rooms.all(userId) as Array<{ roomId: number; activity: number }>).map((r) => ({ key: { kind: 'room' as const, roomId: r.roomId }, activity: r.activity })),
      ],
    },
    UNREAD_COUNT_LIMIT,
  );
}

function prepare(db: Database.Database) {
  const head = "coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'messages'), 0)";
  // Deleted messages are not unread (their text is gone).
  const count = (where: string) => db.prepare(`SELECT count(*) AS v FROM (SELECT 1 FROM messages m WHERE ${where} AND m.deleted_at IS NULL AND m.id > ? LIMIT ?)`);
  return {
    markRead: db.prepare(
      `INSERT INTO read_marks (user_id, conv, up_to) VALUES ($userId, $stored, min($upTo, ${head}))
       ON CONFLICT (user_id, conv) DO UPDATE SET up_to = max(up_to, excluded.up_to)
       RETURNING up_to AS upTo`,
    ),
    mark: db.prepare('SELECT up_to AS v FROM read_marks WHERE user_id = ? AND conv = ?'),
    joinedId: db.prepare('SELECT joined_id AS v FROM room_members WHERE room_id = ? AND user_id = ?'),
    userName: db.prepare('SELECT name FROM users WHERE id = ?'),
    roomName: db.prepare('SELECT name FROM rooms WHERE id = ?'),
    message: db.prepare(`SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGES_WITH_NAMES} WHERE m.id = ?`),
    lastPublic: db.prepare("SELECT max(id) AS v FROM messages WHERE kind = 'message' AND recipient_id IS NULL AND room_id IS NULL"),
    lastPair: db.prepare(
      `SELECT max(m.id) AS v FROM messages m
       WHERE ((m.sender_id = $a AND m.recipient_id = $b) OR (m.sender_id = $b AND m.recipient_id = $a AND m.hidden = 0)) AND ${PRIVATE}`,
    ),
    lastRoom: db.prepare("SELECT max(id) AS v FROM messages WHERE room_id = ? AND kind = 'message'"),
    // Each takes the conversation's parameters, then the reader's id, then the mark and the limit.
    unread: {
      public: count("m.kind = 'message' AND m.recipient_id IS NULL AND m.room_id IS NULL AND m.sender_id <> ?"),
      user: count(`m.sender_id = ? AND m.recipient_id = ? AND m.hidden = 0 AND ${PRIVATE}`),
      room: count("m.room_id = ? AND m.kind = 'message' AND m.sender_id <> ?"),
    },
    peers: db.prepare(
      `SELECT mine.peer, max(mine.id) AS last FROM (
         SELECT m.recipient_id AS peer, m.id FROM messages m WHERE m.sender_id = ? AND ${PRIVATE}
         UNION ALL
         SELECT m.sender_id AS peer, m.id FROM messages m WHERE m.recipient_id = ? AND m.hidden = 0 AND ${PRIVATE}
       ) mine JOIN users u ON u.id = mine.peer WHERE u.retired_at IS NULL GROUP BY mine.peer`,
    ),
    rooms: db.prepare(
      `SELECT rm.room_id AS roomId,
              coalesce((SELECT max(m.id) FROM messages m WHERE m.room_id = rm.room_id AND m.kind = 'message'), rm.joined_id) AS activity
       FROM room_members rm WHERE rm.user_id = ? AND rm.member = 1`,
    ),
  };
}
