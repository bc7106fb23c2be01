import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { ChatMessage, PrivateMessage, PublicMessage } from '../protocol';
import type { ChatStore, NewMessage, NewUser, Page, PageQuery, UserRecord } from './store';

/**
 * ChatStore on one SQLite file (better-sqlite3, synchronous, so each call is its own transaction).
 *
 * Durability: WAL journal with `synchronous = FULL`, so a commit is fsynced before the call returns: a
 * resolved append survives a process crash and a power loss. (NORMAL would survive a process crash only.)
 */
export class SqliteStore implements ChatStore {
  private readonly db: Database.Database;
  private readonly q: ReturnType<typeof prepare>;

  private constructor(db: Database.Database) {
    this.db = db;
    migrate(db);
    this.q = prepare(db);
  }

  static open(file: string): SqliteStore {
    if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    return new SqliteStore(db);
  }

  async findUser(key: string): Promise<UserRecord | undefined> {
    return this.q.findUser.get(key) as UserRecord | undefined;
  }

  async createUser(user: NewUser): Promise<UserRecord | undefined> {
    return this.db.transaction(() => {
      if (user.replacing !== undefined) this.q.retireUser.run(user.now, user.replacing);
      if (this.q.findUser.get(user.key)) return undefined;
      const { lastInsertRowid } = this.q.insertUser.run(user.name, user.key, user.tokenHash, user.now, user.now);
      return this.q.userById.get(lastInsertRowid) as UserRecord;
    }).immediate();
  }

  async touchUser(id: number, now: number): Promise<void> {
    this.q.touchUser.run(now, id);
  }

  async listUsers(): Promise<Array<{ name: string }>> {
    return this.q.listUsers.all() as Array<{ name: string }>;
  }

  append(message: NewMessage & { recipient: { id: number; name: string } }): Promise<PrivateMessage>;
  append(message: NewMessage): Promise<ChatMessage>;
  async append(m: NewMessage): Promise<ChatMessage> {
    const { lastInsertRowid } = this.q.insertMessage.run(
      m.sender.id,
      m.sender.name,
      m.recipient?.id ?? null,
      m.recipient?.name ?? null,
      m.text,
      m.ts,
      m.recipient && !m.delivered ? 0 : 1,
    );
    const id = Number(lastInsertRowid);
    const base = { id, from: m.sender.name, text: m.text, ts: m.ts };
    return m.recipient ? { ...base, to: m.recipient.name } : base;
  }

  async publicHistory(query: PageQuery): Promise<Page<PublicMessage>> {
    const rows = this.q.publicPage.all(query.before ?? null, query.limit + 1) as PublicMessage[];
    return page(rows, query.limit);
  }

  async conversation(a: number, b: number, query: PageQuery): Promise<Page<PrivateMessage>> {
    const rows = this.q.conversationPage.all({ a, b, before: query.before ?? null, limit: query.limit + 1 });
    return page(rows as PrivateMessage[], query.limit);
  }

  async undelivered(recipient: number, limit: number): Promise<PrivateMessage[]> {
    return this.q.undelivered.all(recipient, limit) as PrivateMessage[];
  }

  async markDelivered(ids: number[]): Promise<void> {
    this.db.transaction(() => {
      for (const id of ids) this.q.markDelivered.run(id);
    })();
  }

  async ping(): Promise<void> {
    this.q.ping.get();
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

/** Rows arrive newest first, one more than asked for; return the page oldest first. */
function page<T>(rows: T[], limit: number): Page<T> {
  const hasMore = rows.length > limit;
  return { messages: rows.slice(0, limit).reverse(), hasMore };
}

const MIGRATIONS: string[] = [
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
   CREATE TABLE messages (
     id             INTEGER PRIMARY KEY AUTOINCREMENT,
     sender_id      INTEGER NOT NULL REFERENCES users(id),
     sender_name    TEXT    NOT NULL,
     recipient_id   INTEGER REFERENCES users(id),
     recipient_name TEXT,
     body           TEXT    NOT NULL,
     created_at     INTEGER NOT NULL,
     delivered      INTEGER NOT NULL DEFAULT 1
   );
   CREATE INDEX messages_public ON messages(id) WHERE recipient_id IS NULL;
   CREATE INDEX messages_pair ON messages(sender_id, recipient_id, id) WHERE recipient_id IS NOT NULL;
   CREATE INDEX messages_undelivered ON messages(recipient_id, id) WHERE delivered = 0;`,
];

/** Applies the migrations newer than the file's `user_version`, each in its own transaction. */
function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
}

function prepare(db: Database.Database) {
  const user = 'id, name, name_key AS key, token_hash AS tokenHash, created_at AS createdAt, last_seen_at AS lastSeenAt';
  const priv = 'id, sender_name AS "from", recipient_name AS "to", body AS text, created_at AS ts';
  return {
    findUser: db.prepare(`SELECT ${user} FROM users WHERE name_key = ? AND retired_at IS NULL`),
    userById: db.prepare(`SELECT ${user} FROM users WHERE id = ?`),
    insertUser: db.prepare(
      'INSERT INTO users (name, name_key, token_hash, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?)',
    ),
    retireUser: db.prepare('UPDATE users SET retired_at = ? WHERE id = ? AND retired_at IS NULL'),
    touchUser: db.prepare('UPDATE users SET last_seen_at = max(last_seen_at, ?) WHERE id = ?'),
    listUsers: db.prepare('SELECT name FROM users WHERE retired_at IS NULL ORDER BY name_key'),
    insertMessage: db.prepare(
      `INSERT INTO messages (sender_id, sender_name, recipient_id, recipient_name, body, created_at, delivered)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    publicPage: db.prepare(
      `SELECT id, sender_name AS "from", body AS text, created_at AS ts FROM messages
       WHERE recipient_id IS NULL AND (?1 IS NULL OR id < ?1) ORDER BY id DESC LIMIT ?2`,
    ),
    conversationPage: db.prepare(
      `SELECT ${priv} FROM messages
       WHERE ((sender_id = $a AND recipient_id = $b) OR (sender_id = $b AND recipient_id = $a))
         AND ($before IS NULL OR id < $before)
       ORDER BY id DESC LIMIT $limit`,
    ),
    undelivered: db.prepare(
      `SELECT ${priv} FROM messages WHERE recipient_id = ? AND delivered = 0 ORDER BY id LIMIT ?`,
    ),
    markDelivered: db.prepare('UPDATE messages SET delivered = 1 WHERE id = ?'),
    ping: db.prepare('SELECT 1'),
  };
}
