import type pg from 'pg';
import type { BanRecord, ModerationStore } from '../moderation';
import { REPORT_COLUMNS, toReport, type ReportRow } from '../rows';

/**
 * The moderation part of the PostgreSQL store (ChatStore's ModerationStore). Blocks are read by `chat_append`
 * under the log lock, so a message and a block commit in one order for every node.
 */
export function postgresModeration(pool: pg.Pool): ModerationStore {
  const rows = async <T extends pg.QueryResultRow>(sql: string, args: unknown[] = []) => (await pool.query<T>(sql, args)).rows;
  return {
    async block(blocker, blocked, ts) {
      await pool.query('INSERT INTO blocks (blocker_id, blocked_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [blocker, blocked, ts]);
    },
    async unblock(blocker, blocked) {
      await pool.query('DELETE FROM blocks WHERE blocker_id = $1 AND blocked_id = $2', [blocker, blocked]);
    },
    async blockedBy(blocker) {
      const found = await rows<{ name: string }>(
        'SELECT u.name FROM blocks b JOIN users u ON u.id = b.blocked_id WHERE b.blocker_id = $1 AND u.retired_at IS NULL ORDER BY u.name_key',
        [blocker],
      );
      return found.map((r) => r.name);
    },
    async blockersOf(user) {
      return (await rows<{ id: number }>('SELECT blocker_id AS id FROM blocks WHERE blocked_id = $1', [user])).map((r) => r.id);
    },
    async ban(userId, reason, ts) {
      await pool.query(
        'INSERT INTO bans (user_id, reason, created_at) VALUES ($1, $2, $3) ON CONFLICT (user_id) DO UPDATE SET reason = excluded.reason',
        [userId, reason ?? null, ts],
      );
    },
    async unban(userId) {
      const { rowCount } = await pool.query('DELETE FROM bans WHERE user_id = $1', [userId]);
      return (rowCount ?? 0) > 0;
    },
    async banOf(userId) {
      return (await rows<BanRecord>(`${SELECT_BAN} WHERE b.user_id = $1`, [userId]))[0];
    },
    bans() {
      return rows<BanRecord>(`${SELECT_BAN} ORDER BY b.created_at, b.user_id`);
    },
    async report({ message, reporter, reason, ts }) {
      const to = 'to' in message ? message.to : null;
      const room = 'room' in message ? message.room : null;
      const [row] = await rows<{ id: number }>(
        `INSERT INTO reports (message_id, sender_name, recipient_name, room_name, body, message_ts, edited_at, reporter_id, reporter_name, reason, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
        [message.id, message.from, to, room, message.text, message.ts, message.editedAt ?? null, reporter.id, reporter.name, reason ?? null, ts],
      );
      return row.id;
    },
    async reports({ before, limit }) {
      const found = await rows<ReportRow>(
        `SELECT ${REPORT_COLUMNS} FROM reports WHERE id < $1 ORDER BY id DESC LIMIT $2`,
        [before ?? Number.MAX_SAFE_INTEGER, limit + 1],
      );
      return { reports: found.slice(0, limit).map(toReport), hasMore: found.length > limit };
    },
  };
}

const SELECT_BAN = 'SELECT b.user_id AS "userId", u.name AS user, b.reason, b.created_at AS since FROM bans b JOIN users u ON u.id = b.user_id';
