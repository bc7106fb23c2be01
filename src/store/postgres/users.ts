import type pg from 'pg';
import { sortKey } from '../../sort-key';
import { toUser, userColumns, type UserRow } from '../rows';
import { newSessionId } from '../sessions';
import type { Renamed, UserStore } from '../users';
import { inTransaction } from './connection';
import { BatchedLookup } from './lookups';

/**
 * The users part of the PostgreSQL store (ChatStore's UserStore).
 *
 * Identity across nodes: the partial unique indexes on name_key among active users and on the host account;
 * retirement and login update the same row, so PostgreSQL's row lock decides which one comes first and the
 * other's condition is re-checked.
 */
export function postgresUsers(pool: pg.Pool): UserStore {
  // Active users by key, looked up in batches (lookups.ts): privateMsg finds its recipient so.
  const byKey = new BatchedLookup<UserRow>(pool, `${SELECT_USER} WHERE name_key = ANY($1::text[]) AND retired_at IS NULL`, (u) => u.key);
  const one = async (sql: string, params: unknown[]) => {
    const row = (await pool.query<UserRow>(sql, params)).rows[0];
    return row && toUser(row);
  };
  return {
    async findUser(key) {
      const row = await byKey.find(key);
      return row && toUser(row);
    },
    async findUsers(ids) {
      if (ids.length === 0) return [];
      return (await pool.query<UserRow>(`${SELECT_USER} WHERE id = ANY($1::bigint[])`, [ids])).rows.map(toUser);
    },
    findUserByAccount({ issuer, subject }) {
      return one(`${SELECT_USER} WHERE account_issuer = $1 AND account_subject = $2 AND retired_at IS NULL`, [issuer, subject]);
    },
    async bindAccount(id, { issuer, subject }) {
      try {
        const { rowCount } = await pool.query(
          'UPDATE users SET account_issuer = $1, account_subject = $2 WHERE id = $3 AND account_subject IS NULL AND retired_at IS NULL',
          [issuer, subject, id],
        );
        return rowCount !== null && rowCount > 0;
      } catch (err) {
        if ((err as { code?: string }).code === UNIQUE_VIOLATION) return false; // another user is that account
        throw err;
      }
    },
    async renameUser(id, names) {
      // One statement: the row lock orders it against other renames and logins of the same user; the unique
      // index on name_key decides a race with another user taking the key.
      try {
        const { rows } = await pool.query<UserRow & { stale: boolean }>(
          `UPDATE users SET name = $2, name_key = $3, sort_key = $6, display_name = $4, names_at = GREATEST(names_at, COALESCE($5, names_at))
           WHERE id = $1 AND retired_at IS NULL AND ($5::bigint IS NULL OR names_at <= $5)
           RETURNING ${userColumns()}`,
          [id, names.name, names.key, names.displayName, names.namesAt ?? null, sortKey(names.name)],
        );
        if (rows[0]) return { ok: true, user: toUser(rows[0]) };
        const user = await one(`${SELECT_USER} WHERE id = $1 AND retired_at IS NULL`, [id]);
        return { ok: false, reason: user ? 'stale' : 'retired' } satisfies Renamed;
      } catch (err) {
        if ((err as { code?: string }).code === UNIQUE_VIOLATION) return { ok: false, reason: 'taken' };
        throw err;
      }
    },
    createUser(user) {
      const created = inTransaction(pool, async (tx) => {
        const { replacing } = user;
        if (replacing !== undefined) {
          // If the owner logged in meanwhile (on any node), this waits for that commit and then matches nothing.
          const retired = await tx.query(
            // A banned user keeps its name until unbanned (moderation.ts).
            'UPDATE users SET retired_at = $1 WHERE id = $2 AND retired_at IS NULL AND last_seen_at < $3 AND id NOT IN (SELECT user_id FROM bans)',
            [user.now, replacing.id, replacing.seenBefore],
          );
          if (retired.rowCount === 0) return undefined;
          await tx.query('DELETE FROM sessions WHERE user_id = $1', [replacing.id]); // its tokens open nothing
        }
        const { rows } = await tx.query<UserRow>(
          `INSERT INTO users (name, name_key, display_name, created_at, last_seen_at, provisional, account_issuer, account_subject, names_at, sort_key)
           VALUES ($1, $2, $3, $4, $4, $5, $6, $7, $8, $9)
           ON CONFLICT (name_key) WHERE retired_at IS NULL DO NOTHING
           RETURNING ${userColumns()}`,
          [user.name, user.key, user.displayName ?? user.name, user.now, user.provisional, user.account?.issuer ?? null, user.account?.subject ?? null, user.namesAt ?? 0, sortKey(user.name)],
        );
        const row = rows[0];
        if (!row) return undefined; // another node holds the key (its insert committed first)
        if (user.tokenHash !== '') {
          const device = user.session?.device ?? { address: '', agent: '' };
          await tx.query(
            'INSERT INTO sessions (id, user_id, token_hash, created_at, last_seen_at, address, agent) VALUES ($1, $2, $3, $4, $4, $5, $6)',
            [user.session?.id ?? newSessionId(), row.id, user.tokenHash, user.now, device.address, device.agent],
          );
        }
        return toUser(row);
      });
      // ON CONFLICT covers the races we know of; a unique violation all the same (the host account, a racing
      // insert) means the key or the account is held.
      return created.catch((err: { code?: string }) => (err.code === UNIQUE_VIOLATION ? undefined : Promise.reject(err)));
    },
    async touchUser(id, now, proven) {
      const { rowCount } = await pool.query(
        `UPDATE users SET last_seen_at = GREATEST(last_seen_at, $1), provisional = provisional AND NOT $3
         WHERE id = $2 AND retired_at IS NULL AND ($3 OR provisional)`,
        [now, id, proven],
      );
      return rowCount !== null && rowCount > 0;
    },
    async seenUsers(ids, now) {
      if (ids.length === 0) return;
      // Sorted, so two nodes updating overlapping sets lock the rows in one order and cannot deadlock.
      const sorted = [...new Set(ids)].sort((x, y) => x - y);
      await pool.query(
        'UPDATE users SET last_seen_at = GREATEST(last_seen_at, $1) WHERE id = ANY($2::bigint[]) AND last_seen_at > 0',
        [now, sorted],
      );
    },
    async releaseUser(id) {
      await pool.query('UPDATE users SET last_seen_at = 0 WHERE id = $1', [id]);
    },
    async listUsers({ after, limit }) {
      const { rows } = await pool.query<{ id: number; name: string; displayName: string }>(
        `SELECT id, name, display_name AS "displayName" FROM users
         WHERE retired_at IS NULL AND (sort_key, name COLLATE "C") > ($1, $2 COLLATE "C")
         ORDER BY sort_key, name COLLATE "C" LIMIT $3`,
        [after === undefined ? '' : sortKey(after), after ?? '', limit + 1],
      );
      return { users: rows.slice(0, limit), hasMore: rows.length > limit };
    },
  };
}

const UNIQUE_VIOLATION = '23505';

const SELECT_USER = `SELECT ${userColumns()} FROM users`;

