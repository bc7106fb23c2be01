import type Database from 'better-sqlite3';
import type { BanRecord, ModerationStore } from '../moderation';
import { REPORT_COLUMNS, toReport, type ReportRow } from '../rows';
import type { SqliteWriter } from './writer';

/** The moderation part of the SQLite store (ChatStore's ModerationStore): reads at once, writes through the group commit. */
export function sqliteModeration(db: Database.Database, writer: SqliteWriter): ModerationStore {
  const q = prepare(db);
  return {
    block: (blocker, blocked, ts) => writer.write(() => void q.block.run(blocker, blocked, ts)),
    unblock: (blocker, blocked) => writer.write(() => void q.unblock.run(blocker, blocked)),
    blockedBy: async (blocker) => (q.blockedBy.all(blocker) as Array<{ name: string }>).map((r) => r.name),
    blockersOf: async (user) => (q.blockersOf.all(user) as Array<{ id: number }>).map((r) => r.id),
    ban: (userId, reason, ts) => writer.write(() => void q.ban.run(userId, reason ?? null, ts)),
    unban: (userId) => writer.write(() => q.unban.run(userId).changes > 0),
    banOf: async (userId) => q.banOf.get(userId) as BanRecord | undefined,
    bans: async () => q.bans.all() as BanRecord[],
    report: ({ message, reporter, reason, ts }) =>
      writer.write(() => {
        const conv = { to: 'to' in message ? message.to : null, room: 'room' in message ? message.room : null };
        const args = [message.id, message.from, conv.to, conv.room, message.text, message.ts, message.editedAt ?? null];
        return Number(q.report.run(...args, reporter.id, reporter.name, reason ?? null, ts).lastInsertRowid);
      }),
    async reports({ before, limit }) {
      const rows = q.reports.all({ before: before ?? null, limit: limit + 1 }) as ReportRow[];
      return { reports: rows.slice(0, limit).map(toReport), hasMore: rows.length > limit };
    },
  };
}

function prepare(db: Database.Database) {
  const ban = 'b.user_id AS userId, u.name AS user, b.reason, b.created_at AS since';
  return {
    block: db.prepare('INSERT INTO blocks (blocker_id, blocked_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING'),
    unblock: db.prepare('DELETE FROM blocks WHERE blocker_id = ? AND blocked_id = ?'),
    blockedBy: db.prepare(
      'SELECT u.name FROM blocks b JOIN users u ON u.id = b.blocked_id WHERE b.blocker_id = ? AND u.retired_at IS NULL ORDER BY u.name_key',
    ),
    blockersOf: db.prepare('SELECT blocker_id AS id FROM blocks WHERE blocked_id = ?'),
    ban: db.prepare('INSERT INTO bans (user_id, reason, created_at) VALUES (?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET reason = excluded.reason'),
    unban: db.prepare('DELETE FROM bans WHERE user_id = ?'),
    banOf: db.prepare(`SELECT ${ban} FROM bans b JOIN users u ON u.id = b.user_id WHERE b.user_id = ?`),
    bans: db.prepare(`SELECT ${ban} FROM bans b JOIN users u ON u.id = b.user_id ORDER BY b.created_at, b.user_id`),
    report: db.prepare(
      `INSERT INTO reports (message_id, sender_name, recipient_name, room_name, body, message_ts, edited_at, reporter_id, reporter_name, reason, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    reports: db.prepare(`SELECT ${REPORT_COLUMNS} FROM reports WHERE $before IS NULL OR id < $before ORDER BY id DESC LIMIT $limit`),
  };
}
