import type Database from 'better-sqlite3';
import type { StoredUser } from '../../rekey';
import { sortKey } from '../../sort-key';

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
  // Issue 17: rooms and read state. The messages table becomes the log (store/log.ts): entries of other kinds
  // than chat messages (membership changes) take ids from the same AUTOINCREMENT sequence.
  `CREATE TABLE rooms (
     id           INTEGER PRIMARY KEY AUTOINCREMENT,
     name         TEXT    NOT NULL,
     name_key     TEXT    NOT NULL UNIQUE,
     sort_key     TEXT    NOT NULL,
     private      INTEGER NOT NULL,
     owner_id     INTEGER NOT NULL REFERENCES users(id),
     owner_name   TEXT    NOT NULL,
     member_count INTEGER NOT NULL DEFAULT 0,
     created_at   INTEGER NOT NULL
   );
   CREATE INDEX rooms_sorted ON rooms(sort_key);

   -- One row per room and user who ever was a member: member now, or the log id of their leaving.
   CREATE TABLE room_members (
     room_id   INTEGER NOT NULL REFERENCES rooms(id),
     user_id   INTEGER NOT NULL REFERENCES users(id),
     member    INTEGER NOT NULL,
     joined_id INTEGER NOT NULL,
     left_id   INTEGER,
     sort_key  TEXT    NOT NULL,
     PRIMARY KEY (room_id, user_id)
   );
   CREATE INDEX room_members_user ON room_members(user_id) WHERE member = 1;
   CREATE INDEX room_members_sorted ON room_members(room_id, sort_key) WHERE member = 1;

   ALTER TABLE messages ADD COLUMN kind TEXT NOT NULL DEFAULT 'message';
   ALTER TABLE messages ADD COLUMN room_id INTEGER REFERENCES rooms(id);
   ALTER TABLE messages ADD COLUMN room_name TEXT;
   ALTER TABLE messages ADD COLUMN action TEXT;
   DROP INDEX messages_public;
   CREATE INDEX messages_public ON messages(id) WHERE kind = 'message' AND recipient_id IS NULL AND room_id IS NULL;
   CREATE INDEX messages_room ON messages(room_id, id) WHERE room_id IS NOT NULL;

   CREATE TABLE read_marks (
     user_id INTEGER NOT NULL REFERENCES users(id),
     conv    TEXT    NOT NULL,
     up_to   INTEGER NOT NULL,
     PRIMARY KEY (user_id, conv)
   );`,
  // Issue 19: edits and deletions are entries of the log (target_id: the message); messages remember when they
  // were edited or deleted, and whether they were hidden from their recipient (who had blocked the sender).
  `ALTER TABLE messages ADD COLUMN target_id INTEGER;
   ALTER TABLE messages ADD COLUMN edited_at INTEGER;
   ALTER TABLE messages ADD COLUMN deleted_at INTEGER;
   ALTER TABLE messages ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0;
   CREATE INDEX messages_target ON messages(target_id) WHERE target_id IS NOT NULL;

   CREATE TABLE blocks (
     blocker_id INTEGER NOT NULL REFERENCES users(id),
     blocked_id INTEGER NOT NULL REFERENCES users(id),
     created_at INTEGER NOT NULL,
     PRIMARY KEY (blocker_id, blocked_id)
   );
   CREATE INDEX blocks_blocked ON blocks(blocked_id);

   CREATE TABLE bans (
     user_id    INTEGER PRIMARY KEY REFERENCES users(id),
     reason     TEXT,
     created_at INTEGER NOT NULL
   );

   -- A report keeps the message as it was when reported.
   CREATE TABLE reports (
     id             INTEGER PRIMARY KEY AUTOINCREMENT,
     message_id     INTEGER NOT NULL,
     sender_name    TEXT    NOT NULL,
     recipient_name TEXT,
     room_name      TEXT,
     body           TEXT    NOT NULL,
     message_ts     INTEGER NOT NULL,
     edited_at      INTEGER,
     reporter_id    INTEGER NOT NULL REFERENCES users(id),
     reporter_name  TEXT    NOT NULL,
     reason         TEXT,
     created_at     INTEGER NOT NULL
   );`,
  // Issue 16: `users` pages through an index in display order, so each user keeps its sort key; an anonymous
  // `sync` reads the public timeline's entries (messages, their edits and deletions) through an index of their own.
  addSortKeys,
];

function addSortKeys(db: Database.Database): void {
  db.exec("ALTER TABLE users ADD COLUMN sort_key TEXT NOT NULL DEFAULT ''");
  const update = db.prepare('UPDATE users SET sort_key = ? WHERE id = ?');
  for (const { id, name } of db.prepare('SELECT id, name FROM users').all() as Array<{ id: number; name: string }>) {
    update.run(sortKey(name), id);
  }
  db.exec('CREATE INDEX users_by_name ON users(sort_key, name) WHERE retired_at IS NULL');
  db.exec('CREATE INDEX messages_public_log ON messages(id) WHERE recipient_id IS NULL AND room_id IS NULL');
}

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
