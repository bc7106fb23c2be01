import type pg from 'pg';
import type { UserRecord, UserStore } from '../users';
import { inTransaction } from './connection';
import { BatchedLookup } from './lookups';

/**
 * The users part of the PostgreSQL store (ChatStore's UserStore).
 *
 * Identity across nodes: the partial unique index on name_key among active users; retirement and login
 * update the same row, so PostgreSQL's row lock decides which one comes first and the other's condition is
 * re-checked.
 */
export function postgresUsers(pool: pg.Pool): UserStore {
  // Active users by key, looked up in batches (lookups.ts): privateMsg finds its recipient so.
  const byKey = new BatchedLookup<UserRecord>(pool, `${SELECT_USER} WHERE name_key = ANY($1::text[]) AND retired_at IS NULL`, (u) => u.key);
  return {
    findUser(key) {
      return byKey.find(key);
    },
    async findUserByToken(tokenHash) {
      if (tokenHash === '') return undefined;
      return (await pool.query<UserRecord>(`${SELECT_USER} WHERE token_hash = $1 AND retired_at IS NULL`, [tokenHash])).rows[0];
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
        }
        const { rows } = await tx.query<UserRecord>(
          `INSERT INTO users (name, name_key, token_hash, created_at, last_seen_at, provisional)
           VALUES ($1, $2, $3, $4, $4, $5)
           ON CONFLICT (name_key) WHERE retired_at IS NULL DO NOTHING
           RETURNING ${USER_COLUMNS}`,
          [user.name, user.key, user.tokenHash, user.now, user.provisional],
        );
        return rows[0]; // none: another node holds the key (its insert committed first)
      });
      // ON CONFLICT covers the races we know of; a unique violation all the same means the key is held too.
      return created.catch((err: { code?: string }) => (err.code === UNIQUE_VIOLATION ? undefined : Promise.reject(err)));
    },
    async touchUser(id, now, proven) {
      const { rowCount } = await pool.query(
        `UPDATE users SET last_seen_at = GREATEST(last_seen_at, $1), provisional = provisional AND NOT $3
         WHERE id = $2 AND retired_at IS NULL`,
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
    async listUsers() {
      return (await pool.query<{ name: string }>('SELECT name FROM users WHERE retired_at IS NULL ORDER BY name_key')).rows;
    },
  };
}

const UNIQUE_VIOLATION = '23505';

const USER_COLUMNS =
  'id, name, name_key AS key, token_hash AS "tokenHash", created_at AS "createdAt", last_seen_at AS "lastSeenAt", provisional';
const SELECT_USER = `SELECT ${USER_COLUMNS} FROM users`;
