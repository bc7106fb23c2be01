import type Database from 'better-sqlite3';
import { legacyKey } from '../names';
import { rekeyUsers, type StoredUser } from '../rekey';

/** A migration: SQL, or a function for what SQL alone cannot compute. Each runs in its own transaction. */
export type Migration = string | ((db: Database.Database) => void);

/**
 * The SQLite schema as an append-only list of migrations; the file's `PRAGMA user_version` says how many
 * have been applied. Never edit a released migration: add a new one. Whenever `nameKey` (names.ts) changes,
 * add a migration that rekeys the users (as the third does), or stored keys stop matching their names.
 */
export const MIGRATIONS: Migration[] = [
  `CREATE TABLE users (
     id           INTEGER PRIMARY KEY AUTOINCREMENT,
     name         TEXT    NOT NULL,
     name_key     TEXT    NOT NULL,
     token_hash   TEXT    NOT NULL,
     created_at   INTEGER NOT NULL,
     last_seen_at INTEGER NOT NULL,
     retired_at   INTEGER
   );
   CREATE UNIQUE INDEX users_active_key ON users(name_key) WHERE retired_at IS NULL;

   -- AUTOINCREMENT: ids are never reused, even after retention deletes the newest rows.
   CREATE TABLE messages (
     id             INTEGER PRIMARY KEY AUTOINCREMENT,
     sender_id      INTEGER NOT NULL REFERENCES users(id),
     sender_name    TEXT    NOT NULL,
     recipient_id   INTEGER REFERENCES users(id),
     recipient_name TEXT,
     body           TEXT    NOT NULL,
     created_at     INTEGER NOT NULL,
     delivered      INTEGER NOT NULL DEFAULT 1,
     client_id      TEXT
   );
   CREATE INDEX messages_public ON messages(id) WHERE recipient_id IS NULL;
   CREATE INDEX messages_pair ON messages(sender_id, recipient_id, id) WHERE recipient_id IS NOT NULL;
   CREATE INDEX messages_to ON messages(recipient_id, id) WHERE recipient_id IS NOT NULL;
   CREATE INDEX messages_undelivered ON messages(recipient_id, id) WHERE delivered = 0;
   CREATE UNIQUE INDEX messages_client ON messages(sender_id, client_id) WHERE client_id IS NOT NULL;
   CREATE INDEX messages_created ON messages(created_at);

   CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);`,

  // Tutorial-style names held only briefly (issue 9); login by token alone.
  `ALTER TABLE users ADD COLUMN provisional INTEGER NOT NULL DEFAULT 0;
   CREATE INDEX users_token ON users(token_hash) WHERE retired_at IS NULL;`,
  // Issue 11: keys became confusable skeletons (names.ts); stored users get theirs (rekey.ts).
  rekeyAll,
  // Issue 16: `users` pages through an index in display order, so each user keeps its sort key.
  addSortKeys,
];

function addSortKeys(db: Database.Database): void {
  db.exec("ALTER TABLE users ADD COLUMN sort_key TEXT NOT NULL DEFAULT ''");
  const update = db.prepare('UPDATE users SET sort_key = ? WHERE id = ?');
  for (const { id, name } of db.prepare('SELECT id, name FROM users').all() as Array<{ id: number; name: string }>) {
    update.run(legacyKey(name), id);
  }
  db.exec('CREATE INDEX users_by_name ON users(sort_key, name) WHERE retired_at IS NULL');
}

function rekeyAll(db: Database.Database): void {
  const users = db
    .prepare(
      `SELECT id, name, name_key AS key, created_at AS createdAt, last_seen_at AS lastSeenAt,
              retired_at IS NOT NULL AS retired
       FROM users`,
    )
    .all() as Array<Omit<StoredUser, 'retired'> & { retired: number }>;
  const update = db.prepare('UPDATE users SET name_key = ? WHERE id = ?');
  const stored = users.map((u) => ({ ...u, retired: u.retired === 1 }));
  for (const next of rekeyUsers(stored)) if (next.changed) update.run(next.key, next.id);
}
