import type Database from 'better-sqlite3';
import type { StoredUser } from '../../rekey';

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
  // Issue 21: display names; JWT users are host accounts (iss, sub); tokens belong to sessions, one per device
  // (each user's token becomes its first session), and sign-in codes open new ones.
  `ALTER TABLE users ADD COLUMN display_name TEXT NOT NULL DEFAULT '';
   UPDATE users SET display_name = name;
   ALTER TABLE users ADD COLUMN account_issuer TEXT;
   ALTER TABLE users ADD COLUMN account_subject TEXT;
   ALTER TABLE users ADD COLUMN names_at INTEGER NOT NULL DEFAULT 0;
   CREATE UNIQUE INDEX users_account ON users(account_issuer, account_subject) WHERE account_subject IS NOT NULL;

   CREATE TABLE sessions (
     id           TEXT    PRIMARY KEY,
     user_id      INTEGER NOT NULL REFERENCES users(id),
     token_hash   TEXT    NOT NULL,
     created_at   INTEGER NOT NULL,
     last_seen_at INTEGER NOT NULL,
     address      TEXT    NOT NULL DEFAULT '',
     agent        TEXT    NOT NULL DEFAULT ''
   );
   CREATE UNIQUE INDEX sessions_token ON sessions(token_hash);
   CREATE INDEX sessions_user ON sessions(user_id);
   INSERT INTO sessions (id, user_id, token_hash, created_at, last_seen_at)
     SELECT lower(hex(randomblob(16))), id, token_hash, created_at, max(created_at, last_seen_at)
     FROM users WHERE token_hash <> '' AND retired_at IS NULL;
   DROP INDEX users_token;
   ALTER TABLE users DROP COLUMN token_hash;

   CREATE TABLE sign_in_codes (
     hash       TEXT    PRIMARY KEY,
     user_id    INTEGER NOT NULL REFERENCES users(id),
     created_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL
   );
   CREATE INDEX sign_in_codes_user ON sign_in_codes(user_id, created_at);
   CREATE INDEX sign_in_codes_expiry ON sign_in_codes(expires_at);`,
];

function rekeyAll(db: Database.Database): void {
  const users = db
    .prepare(
      `SELECT id, name, name_key AS key, created_at AS createdAt, last_seen_at AS lastSeenAt,
              retired_at IS NOT NULL AS retired
       FROM users`,
    )
    .all() as Array<Omit<StoredUser, 'retired'> & { retired: number }>;
  if (users.length === 0) return;
  // Loaded only when there is something to rekey: the name data behind it take ~25 ms to load, and every
  // store's thread (sqlite/worker.ts) runs this migration on a new file.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { rekeyUsers } = require('../../rekey') as typeof import('../../rekey');
  const update = db.prepare('UPDATE users SET name_key = ? WHERE id = ?');
  const stored = users.map((u) => ({ ...u, retired: u.retired === 1 }));
  for (const next of rekeyUsers(stored)) if (next.changed) update.run(next.key, next.id);
}
