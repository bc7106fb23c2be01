import type pg from 'pg';
import { SESSION_WITH_USER, sessionColumns, splitSessionRow } from '../rows';
import { MAX_LIVE_CODES, type SessionRecord, type SessionStore } from '../sessions';
import type { UserRecord } from '../users';
import { inTransaction } from './connection';

/**
 * The sessions part of the PostgreSQL store (ChatStore's SessionStore).
 *
 * Across nodes: ending a session deletes its row, and every login through it re-reads the row (`useSession` is
 * conditional on it), so an ended session opens nothing on any node once `endSessions` has resolved. A code
 * is consumed by `DELETE … RETURNING`: of several nodes redeeming it at once, the row lock lets one delete it
 * and the others find nothing; the session is inserted in that same transaction.
 */
export function postgresSessions(pool: pg.Pool): SessionStore {
  return {
    async findSession(tokenHash) {
      const { rows } = await pool.query(`${SELECT_JOINED} WHERE s.token_hash = $1 AND u.retired_at IS NULL`, [tokenHash]);
      return rows[0] && splitSessionRow(rows[0]);
    },
    async useSession(id, now, { address, agent }) {
      const { rowCount } = await pool.query(
        `UPDATE sessions SET last_seen_at = GREATEST(last_seen_at, $1), address = $2, agent = $3
         WHERE id = $4 AND user_id IN (SELECT id FROM users WHERE retired_at IS NULL)`,
        [now, address, agent, id],
      );
      return rowCount !== null && rowCount > 0;
    },
    async seenSessions(ids, now) {
      if (ids.length === 0) return;
      const sorted = [...new Set(ids)].sort(); // one lock order on every node
      await pool.query('UPDATE sessions SET last_seen_at = GREATEST(last_seen_at, $1) WHERE id = ANY($2::text[])', [now, sorted]);
    },
    async listSessions(userId) {
      const { rows } = await pool.query<SessionRecord>(
        `SELECT ${sessionColumns()} FROM sessions WHERE user_id = $1 ORDER BY last_seen_at DESC, created_at DESC`,
        [userId],
      );
      return rows;
    },
    async endSessions(userId, which) {
      const { rows } =
        'id' in which
          ? await pool.query<{ id: string }>('DELETE FROM sessions WHERE id = $1 AND user_id = $2 RETURNING id', [which.id, userId])
          : await pool.query<{ id: string }>('DELETE FROM sessions WHERE user_id = $1 AND ($2::text IS NULL OR id <> $2) RETURNING id', [
              userId,
              which.except ?? null,
            ]);
      return rows.map((r) => r.id);
    },
    async addSignInCode({ hash, userId, now, expiresAt }) {
      const added = await inTransaction(pool, async (tx) => {
        // The user's row lock: a retirement waits for this code, or this finds the user retired.
        const { rowCount } = await tx.query('SELECT 1 FROM users WHERE id = $1 AND retired_at IS NULL FOR SHARE', [userId]);
        if (rowCount === 0) return false;
        await tx.query('DELETE FROM sign_in_codes WHERE expires_at <= $1', [now]);
        await tx.query('INSERT INTO sign_in_codes (hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)', [hash, userId, now, expiresAt]);
        await tx.query(
          `DELETE FROM sign_in_codes WHERE user_id = $1 AND hash NOT IN
             (SELECT hash FROM sign_in_codes WHERE user_id = $1 ORDER BY created_at DESC, hash LIMIT $2)`,
          [userId, MAX_LIVE_CODES],
        );
        return true;
      });
      return added ?? false;
    },
    async redeemSignInCode(hash, now, { id, tokenHash, device }) {
      // Commits in every case where the code was found (an expired one is consumed too); undefined otherwise.
      let result: { session: SessionRecord; user: UserRecord } | undefined;
      await inTransaction(pool, async (tx) => {
        const { rows } = await tx.query<{ userId: number; expiresAt: number }>(
          'DELETE FROM sign_in_codes WHERE hash = $1 RETURNING user_id AS "userId", expires_at AS "expiresAt"',
          [hash],
        );
        const code = rows[0];
        if (!code) return undefined;
        const active = await tx.query('SELECT 1 FROM users WHERE id = $1 AND retired_at IS NULL FOR SHARE', [code.userId]);
        if (code.expiresAt <= now || active.rowCount === 0) return true;
        await tx.query(
          'INSERT INTO sessions (id, user_id, token_hash, created_at, last_seen_at, address, agent) VALUES ($1, $2, $3, $4, $4, $5, $6)',
          [id, code.userId, tokenHash, now, device.address, device.agent],
        );
        const joined = await tx.query(`${SELECT_JOINED} WHERE s.id = $1`, [id]);
        result = splitSessionRow(joined.rows[0]);
        return true;
      });
      return result;
    },
  };
}

const SELECT_JOINED = `SELECT ${SESSION_WITH_USER} FROM sessions s JOIN users u ON u.id = s.user_id`;
