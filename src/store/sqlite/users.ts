import type Database from 'better-sqlite3';
import { sortKey } from '../../sort-key';
import { toUser, userColumns, type UserRow } from '../rows';
import { newSessionId } from '../sessions';
import type { UserStore } from '../users';
import type { SqliteWriter } from './writer';

/** The users part of the SQLite store (ChatStore's UserStore): reads at once, writes through the group commit. */
export function sqliteUsers(db: Database.Database, writer: SqliteWriter): UserStore {
  const q = prepare(db);
  const one = (row: unknown) => (row === undefined ? undefined : toUser(row as UserRow));
  return {
    async findUser(key) {
      return one(q.findUser.get(key));
    },
    async findUsers(ids) {
      return ids.flatMap((id) => one(q.userById.get(id)) ?? []);
    },
    async findUserByAccount({ issuer, subject }) {
      return one(q.findUserByAccount.get(issuer, subject));
    },
    bindAccount(id, { issuer, subject }) {
      return writer.write(() => {
        if (q.findUserByAccount.get(issuer, subject)) return false;
        return q.bindAccount.run(issuer, subject, id).changes > 0;
      });
    },
    renameUser(id, names) {
      return writer.write(() => {
        const user = one(q.activeUserById.get(id));
        if (!user) return { ok: false as const, reason: 'retired' as const };
        if (names.namesAt !== undefined && names.namesAt < user.namesAt) return { ok: false as const, reason: 'stale' as const };
        const holder = one(q.findUser.get(names.key));
        if (holder && holder.id !== id) return { ok: false as const, reason: 'taken' as const };
        q.rename.run(names.name, names.key, sortKey(names.name), names.displayName, names.namesAt ?? user.namesAt, id);
        return { ok: true as const, user: one(q.userById.get(id))! };
      });
    },
    createUser(user) {
      return writer.write(() => {
        const { replacing } = user;
        if (replacing !== undefined) {
          if (q.retireUser.run(user.now, replacing.id, replacing.seenBefore).changes === 0) {
            return undefined; // seen again (or retired by someone else) since the caller found it expired
          }
          q.endSessions.run(replacing.id); // a retired user's tokens open nothing: its sessions go with it
        }
        if (q.findUser.get(user.key)) return undefined;
        if (user.account && q.findUserByAccount.get(user.account.issuer, user.account.subject)) return undefined;
        const { lastInsertRowid } = q.insertUser.run(
          user.name,
          user.key,
          sortKey(user.name),
          user.displayName ?? user.name,
          user.now,
          user.now,
          user.provisional ? 1 : 0,
          user.account?.issuer ?? null,
          user.account?.subject ?? null,
          user.namesAt ?? 0,
        );
        if (user.tokenHash !== '') {
          const device = user.session?.device ?? { address: '', agent: '' };
          q.insertSession.run(user.session?.id ?? newSessionId(), lastInsertRowid, user.tokenHash, user.now, user.now, device.address, device.agent);
        }
        return one(q.userById.get(lastInsertRowid));
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
    async listUsers({ after, limit }) {
      const from = after === undefined ? { key: '', name: '' } : { key: sortKey(after), name: after };
      const rows = q.usersPage.all({ ...from, limit: limit + 1 }) as Array<{ id: number; name: string; displayName: string }>;
      return { users: rows.slice(0, limit), hasMore: rows.length > limit };
    },
  };
}

function prepare(db: Database.Database) {
  const select = `SELECT ${userColumns()} FROM users`;
  return {
    findUser: db.prepare(`${select} WHERE name_key = ? AND retired_at IS NULL`),
    findUserByAccount: db.prepare(`${select} WHERE account_issuer = ? AND account_subject = ? AND retired_at IS NULL`),
    userById: db.prepare(`${select} WHERE id = ?`),
    activeUserById: db.prepare(`${select} WHERE id = ? AND retired_at IS NULL`),
    insertUser: db.prepare(
      `INSERT INTO users (name, name_key, sort_key, display_name, created_at, last_seen_at, provisional, account_issuer, account_subject, names_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    insertSession: db.prepare(
      'INSERT INTO sessions (id, user_id, token_hash, created_at, last_seen_at, address, agent) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    endSessions: db.prepare('DELETE FROM sessions WHERE user_id = ?'),
    bindAccount: db.prepare(
      'UPDATE users SET account_issuer = ?, account_subject = ? WHERE id = ? AND account_subject IS NULL AND retired_at IS NULL',
    ),
    rename: db.prepare('UPDATE users SET name = ?, name_key = ?, sort_key = ?, display_name = ?, names_at = ? WHERE id = ?'),
    // A banned user keeps its name until unbanned (moderation.ts).
    retireUser: db.prepare(
      'UPDATE users SET retired_at = ? WHERE id = ? AND retired_at IS NULL AND last_seen_at < ? AND id NOT IN (SELECT user_id FROM bans)',
    ),
    // A login: undoes a release (last_seen_at = 0) too.
    // A login without the token (joining a provisional name): only while it still is provisional (issue 16).
    touchUser: db.prepare(
      'UPDATE users SET last_seen_at = max(last_seen_at, ?) WHERE id = ? AND retired_at IS NULL AND provisional = 1',
    ),
    proveUser: db.prepare(
      'UPDATE users SET last_seen_at = max(last_seen_at, ?), provisional = 0 WHERE id = ? AND retired_at IS NULL',
    ),
    seenUser: db.prepare('UPDATE users SET last_seen_at = max(last_seen_at, ?) WHERE id = ? AND last_seen_at > 0'),
    releaseUser: db.prepare('UPDATE users SET last_seen_at = 0 WHERE id = ?'),
    usersPage: db.prepare(
      `SELECT id, name, display_name AS "displayName" FROM users WHERE retired_at IS NULL AND (sort_key, name) > ($key, $name)
       ORDER BY sort_key, name LIMIT $limit`,
    ),
  };
}
