import type Database from 'better-sqlite3';
import type { UserRecord, UserStore } from '../users';
import type { SqliteWriter } from './writer';

/** The users part of the SQLite store (ChatStore's UserStore): reads at once, writes through the group commit. */
export function sqliteUsers(db: Database.Database, writer: SqliteWriter): UserStore {
  const q = prepare(db);
  return {
    async findUser(key) {
      return toUser(q.findUser.get(key));
    },
    async findUserByToken(tokenHash) {
      return tokenHash === '' ? undefined : toUser(q.findUserByToken.get(tokenHash));
    },
    createUser(user) {
      return writer.write(() => {
        const { replacing } = user;
        if (replacing !== undefined && q.retireUser.run(user.now, replacing.id, replacing.seenBefore).changes === 0) {
          return undefined; // seen again (or retired by someone else) since the caller found it expired
        }
        if (q.findUser.get(user.key)) return undefined;
        const { lastInsertRowid } = q.insertUser.run(user.name, user.key, user.tokenHash, user.now, user.now, user.provisional ? 1 : 0);
        return toUser(q.userById.get(lastInsertRowid));
      });
    },
    touchUser(id, now, proven) {
      return writer.write(() => (proven ? q.proveUser : q.touchUser).run(now, id).changes > 0);
    },
    seenUsers(ids, now) {
      if (ids.length === 0) return Promise.resolve();
      return writer.write(() => {
        for (const id of ids) q.seenUser.run(now, id);
      });
    },
    releaseUser(id) {
      return writer.write(() => void q.releaseUser.run(id));
    },
    async listUsers() {
      return q.listUsers.all() as Array<{ name: string }>;
    },
  };
}

type UserRow = Omit<UserRecord, 'provisional'> & { provisional: number };

function toUser(row: unknown): UserRecord | undefined {
  if (row === undefined) return undefined;
  const r = row as UserRow;
  return { ...r, provisional: r.provisional === 1 };
}

function prepare(db: Database.Database) {
  const user =
    'id, name, name_key AS key, token_hash AS tokenHash, created_at AS createdAt, last_seen_at AS lastSeenAt, provisional';
  return {
    findUser: db.prepare(`SELECT ${user} FROM users WHERE name_key = ? AND retired_at IS NULL`),
    findUserByToken: db.prepare(`SELECT ${user} FROM users WHERE token_hash = ? AND retired_at IS NULL`),
    userById: db.prepare(`SELECT ${user} FROM users WHERE id = ?`),
    insertUser: db.prepare(
      'INSERT INTO users (name, name_key, token_hash, created_at, last_seen_at, provisional) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    // A banned user keeps its name until unbanned (moderation.ts).
    retireUser: db.prepare(
      'UPDATE users SET retired_at = ? WHERE id = ? AND retired_at IS NULL AND last_seen_at < ? AND id NOT IN (SELECT user_id FROM bans)',
    ),
    // A login: undoes a release (last_seen_at = 0) too.
    touchUser: db.prepare('UPDATE users SET last_seen_at = max(last_seen_at, ?) WHERE id = ? AND retired_at IS NULL'),
    proveUser: db.prepare(
      'UPDATE users SET last_seen_at = max(last_seen_at, ?), provisional = 0 WHERE id = ? AND retired_at IS NULL',
    ),
    seenUser: db.prepare('UPDATE users SET last_seen_at = max(last_seen_at, ?) WHERE id = ? AND last_seen_at > 0'),
    releaseUser: db.prepare('UPDATE users SET last_seen_at = 0 WHERE id = ?'),
    listUsers: db.prepare('SELECT name FROM users WHERE retired_at IS NULL ORDER BY name_key'),
  };
}
