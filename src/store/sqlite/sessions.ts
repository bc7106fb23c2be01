import type Database from 'better-sqlite3';
import { SESSION_WITH_USER, sessionColumns, splitSessionRow } from '../rows';
import { MAX_LIVE_CODES, type SessionRecord, type SessionStore } from '../sessions';
import type { SqliteWriter } from './writer';

/**
 * The sessions part of the SQLite store (ChatStore's SessionStore). One process owns the file and the group
 * commit runs one write at a time, so a code's redemption (read, delete, insert) cannot interleave with another.
 */
export function sqliteSessions(db: Database.Database, writer: SqliteWriter): SessionStore {
  const q = prepare(db);
  const joined = (row: unknown) => (row === undefined ? undefined : splitSessionRow(row as Record<string, unknown>));
  return {
    async findSession(tokenHash) {
      return joined(q.byToken.get(tokenHash));
    },
    useSession(id, now, { address, agent }) {
      return writer.write(() => q.use.run(now, address, agent, id).changes > 0);
    },
    seenSessions(ids, now) {
      if (ids.length === 0) return Promise.resolve();
      return writer.write(() => {
        for (const id of ids) q.seen.run(now, id);
      });
    },
    async listSessions(userId) {
      return q.list.all(userId) as SessionRecord[];
    },
    endSessions(userId, which) {
      return writer.write(() => {
        const rows = ('id' in which ? q.endOne.all(which.id, userId) : q.endAllBut.all({ user: userId, except: which.except ?? null })) as Array<{ id: string }>;
        return rows.map((r) => r.id);
      });
    },
    addSignInCode({ hash, userId, now, expiresAt }) {
      return writer.write(() => {
        if (!q.activeUser.get(userId)) return false;
        q.dropExpired.run(now);
        q.insertCode.run(hash, userId, now, expiresAt);
        q.dropOldest.run(userId, userId, MAX_LIVE_CODES);
        return true;
      });
    },
    redeemSignInCode(hash, now, { id, tokenHash, device }) {
      return writer.write(() => {
        const code = q.takeCode.get(hash) as { userId: number; expiresAt: number } | undefined;
        if (!code || code.expiresAt <= now || !q.activeUser.get(code.userId)) return undefined;
        q.insertSession.run(id, code.userId, tokenHash, now, now, device.address, device.agent);
        return joined(q.byToken.get(tokenHash));
      });
    },
  };
}

function prepare(db: Database.Database) {
  const list = `SELECT ${sessionColumns()} FROM sessions`;
  return {
    byToken: db.prepare(
      `SELECT ${SESSION_WITH_USER} FROM sessions s JOIN users u ON u.id = s.user_id
       WHERE s.token_hash = ? AND u.retired_at IS NULL`,
    ),
    use: db.prepare(
      `UPDATE sessions SET last_seen_at = max(last_seen_at, ?), address = ?, agent = ?
       WHERE id = ? AND user_id IN (SELECT id FROM users WHERE retired_at IS NULL)`,
    ),
    seen: db.prepare('UPDATE sessions SET last_seen_at = max(last_seen_at, ?) WHERE id = ?'),
    list: db.prepare(`${list} WHERE user_id = ? ORDER BY last_seen_at DESC, created_at DESC`),
    endOne: db.prepare('DELETE FROM sessions WHERE id = ? AND user_id = ? RETURNING id'),
    endAllBut: db.prepare('DELETE FROM sessions WHERE user_id = $user AND ($except IS NULL OR id <> $except) RETURNING id'),
    activeUser: db.prepare('SELECT 1 FROM users WHERE id = ? AND retired_at IS NULL'),
    dropExpired: db.prepare('DELETE FROM sign_in_codes WHERE expires_at <= ?'),
    insertCode: db.prepare('INSERT INTO sign_in_codes (hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)'),
    dropOldest: db.prepare(
      `DELETE FROM sign_in_codes WHERE user_id = ? AND hash NOT IN
         (SELECT hash FROM sign_in_codes WHERE user_id = ? ORDER BY created_at DESC, rowid DESC LIMIT ?)`,
    ),
    takeCode: db.prepare('DELETE FROM sign_in_codes WHERE hash = ? RETURNING user_id AS "userId", expires_at AS "expiresAt"'),
    insertSession: db.prepare(
      'INSERT INTO sessions (id, user_id, token_hash, created_at, last_seen_at, address, agent) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
  };
}
