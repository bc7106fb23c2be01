import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { ChatMessage, PrivateMessage, PublicMessage } from '../protocol';
import type {
  Appended,
  ChatStore,
  NewMessage,
  NewPrivateMessage,
  NewUser,
  Page,
  PageQuery,
  UserRecord,
} from './store';
import { MIGRATIONS } from './sqlite-schema';
import type { SqliteSync } from '../config';

/**
 * ChatStore on one SQLite file (better-sqlite3).
 *
 * Durability: WAL journal. With `synchronous = FULL` (the default) a commit is fsynced before any promise it
 * settles resolves, so an acked message survives a process crash (SIGKILL) and a power loss. With `NORMAL`
 * it survives a process crash; a power loss may take the last commits (SQLITE_SYNCHRONOUS in config.ts).
 *
 * Group commit: message appends made in the same turn of the event loop are written in one transaction
 * (one fsync) on the next `setImmediate`, each in its own savepoint so one failure does not fail the
 * others. Their promises resolve in call order, which is id order, after the commit.
 */
export class SqliteStore implements ChatStore {
  private readonly db: Database.Database;
  private readonly q: ReturnType<typeof prepare>;
  private batch: Array<{ run: () => unknown; resolve: (v: any) => void; reject: (e: unknown) => void }> = [];
  private flushScheduled = false;

  private constructor(db: Database.Database) {
    this.db = db;
    migrate(db);
    this.q = prepare(db);
  }

  static open(file: string, synchronous: SqliteSync = 'full'): SqliteStore {
    if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    return new SqliteStore(db);
  }

  async findUser(key: string): Promise<UserRecord | undefined> {
    return this.q.findUser.get(key) as UserRecord | undefined;
  }

  async createUser(user: NewUser): Promise<UserRecord | undefined> {
    return this.write(() => {
      if (user.replacing !== undefined) this.q.retireUser.run(user.now, user.replacing);
      if (this.q.findUser.get(user.key)) return undefined;
      const { lastInsertRowid } = this.q.insertUser.run(user.name, user.key, user.tokenHash, user.now, user.now);
      return this.q.userById.get(lastInsertRowid) as UserRecord;
    });
  }

  touchUser(id: number, now: number): Promise<void> {
    return this.write(() => void this.q.touchUser.run(now, id));
  }

  releaseUser(id: number): Promise<void> {
    return this.write(() => void this.q.releaseUser.run(id));
  }

  async listUsers(): Promise<Array<{ name: string }>> {
    return this.q.listUsers.all() as Array<{ name: string }>;
  }

  appendPublic(m: NewMessage): Promise<Appended<PublicMessage>> {
    return this.write(() => this.insert(m, null, true) as Appended<PublicMessage>);
  }

  appendPrivate(m: NewPrivateMessage): Promise<Appended<PrivateMessage>> {
    return this.write(() => this.insert(m, m.recipient, m.delivered) as Appended<PrivateMessage>);
  }

  private insert(m: NewMessage, to: { id: number; name: string } | null, delivered: boolean): Appended<ChatMessage> {
    if (m.clientId !== undefined) {
      const original = this.q.byClientId.get(m.sender.id, m.clientId) as MessageRow | undefined;
      if (original) return { message: toMessage(original), duplicate: true };
    }
    const { lastInsertRowid } = this.q.insertMessage.run(
      m.sender.id,
      m.sender.name,
      to?.id ?? null,
      to?.name ?? null,
      m.text,
      m.ts,
      delivered ? 1 : 0,
      m.clientId ?? null,
    );
    const base = { id: Number(lastInsertRowid), from: m.sender.name, text: m.text, ts: m.ts };
    return { message: to ? { ...base, to: to.name } : base, duplicate: false };
  }

  async publicHistory(query: PageQuery): Promise<Page<PublicMessage>> {
    const rows = this.q.publicPage.all({ before: query.before ?? null, limit: query.limit + 1 }) as PublicMessage[];
    return newestPage(rows, query.limit);
  }

  async conversation(a: number, b: number, query: PageQuery): Promise<Page<PrivateMessage>> {
    const rows = this.q.conversationPage.all({ a, b, before: query.before ?? null, limit: query.limit + 1 });
    return newestPage(rows as PrivateMessage[], query.limit);
  }

  async undelivered(recipient: number, limit: number): Promise<PrivateMessage[]> {
    return this.q.undelivered.all(recipient, limit) as PrivateMessage[];
  }

  markDelivered(ids: number[]): Promise<void> {
    return this.write(() => {
      for (const id of ids) this.q.markDelivered.run(id);
    });
  }

  async since(reader: number | undefined, after: number, limit: number): Promise<Page<ChatMessage>> {
    const rows = this.q.since.all({ after, reader: reader ?? null, limit: limit + 1 }) as MessageRow[];
    return { messages: rows.slice(0, limit).map(toMessage), hasMore: rows.length > limit };
  }

  prune(cutoffTs: number): Promise<number> {
    return this.write(() => {
      const { maxId } = this.q.maxIdBefore.get(cutoffTs) as { maxId: number | null };
      if (maxId === null) return 0;
      this.q.setPrunedThrough.run(maxId);
      return this.q.deleteBefore.run(cutoffTs).changes;
    });
  }

  async prunedThrough(): Promise<number> {
    return (this.q.prunedThrough.get() as { value: number } | undefined)?.value ?? 0;
  }

  async ping(): Promise<void> {
    this.q.ping.get();
  }

  async close(): Promise<void> {
    if (!this.db.open) return;
    this.flush();
    this.db.close();
  }

  /** Queues a write for the next group commit; resolves with its result once committed. */
  private write<T>(run: () => T): Promise<T> {
    if (!this.db.open) return Promise.reject(new Error('store is closed'));
    return new Promise<T>((resolve, reject) => {
      this.batch.push({ run, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    const jobs = this.batch;
    this.batch = [];
    if (jobs.length === 0) return;
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    try {
      this.db.transaction(() => {
        for (const job of jobs) {
          try {
            // A nested transaction is a savepoint: a failing job rolls back alone.
            outcomes.push({ ok: true, value: this.db.transaction(job.run)() });
          } catch (error) {
            outcomes.push({ ok: false, error });
          }
        }
      }).immediate();
    } catch (error) {
      for (const job of jobs) job.reject(error); // the commit itself failed: nothing was written
      return;
    }
    jobs.forEach((job, i) => {
      const outcome = outcomes[i];
      if (outcome.ok) job.resolve(outcome.value);
      else job.reject(outcome.error);
    });
  }
}

interface MessageRow {
  id: number;
  from: string;
  to: string | null;
  text: string;
  ts: number;
}

function toMessage(row: MessageRow): ChatMessage {
  const { to, ...rest } = row;
  return to === null ? rest : { ...rest, to };
}

/** Rows arrive newest first, one more than asked for; returns the page oldest first. */
function newestPage<T>(rows: T[], limit: number): Page<T> {
  return { messages: rows.slice(0, limit).reverse(), hasMore: rows.length > limit };
}

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
  const msg = 'id, sender_name AS "from", recipient_name AS "to", body AS text, created_at AS ts';
  return {
    findUser: db.prepare(`SELECT ${user} FROM users WHERE name_key = ? AND retired_at IS NULL`),
    userById: db.prepare(`SELECT ${user} FROM users WHERE id = ?`),
    insertUser: db.prepare(
      'INSERT INTO users (name, name_key, token_hash, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?)',
    ),
    retireUser: db.prepare('UPDATE users SET retired_at = ? WHERE id = ? AND retired_at IS NULL'),
    touchUser: db.prepare('UPDATE users SET last_seen_at = max(last_seen_at, ?) WHERE id = ?'),
    releaseUser: db.prepare('UPDATE users SET last_seen_at = 0 WHERE id = ?'),
    listUsers: db.prepare('SELECT name FROM users WHERE retired_at IS NULL ORDER BY name_key'),
    insertMessage: db.prepare(
      `INSERT INTO messages
         (sender_id, sender_name, recipient_id, recipient_name, body, created_at, delivered, client_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    byClientId: db.prepare(`SELECT ${msg} FROM messages WHERE sender_id = ? AND client_id = ?`),
    publicPage: db.prepare(
      `SELECT id, sender_name AS "from", body AS text, created_at AS ts FROM messages
       WHERE recipient_id IS NULL AND ($before IS NULL OR id < $before) ORDER BY id DESC LIMIT $limit`,
    ),
    conversationPage: db.prepare(
      `SELECT ${msg} FROM messages
       WHERE ((sender_id = $a AND recipient_id = $b) OR (sender_id = $b AND recipient_id = $a))
         AND ($before IS NULL OR id < $before)
       ORDER BY id DESC LIMIT $limit`,
    ),
    undelivered: db.prepare(`SELECT ${msg} FROM messages WHERE recipient_id = ? AND delivered = 0 ORDER BY id LIMIT ?`),
    markDelivered: db.prepare('UPDATE messages SET delivered = 1 WHERE id = ?'),
    since: db.prepare(
      `SELECT ${msg} FROM messages
       WHERE id > $after AND (recipient_id IS NULL OR sender_id = $reader OR recipient_id = $reader)
       ORDER BY id LIMIT $limit`,
    ),
    maxIdBefore: db.prepare('SELECT max(id) AS maxId FROM messages WHERE created_at < ?'),
    deleteBefore: db.prepare('DELETE FROM messages WHERE created_at < ?'),
    setPrunedThrough: db.prepare(
      `INSERT INTO meta (key, value) VALUES ('pruned_through', ?)
       ON CONFLICT (key) DO UPDATE SET value = max(value, excluded.value)`,
    ),
    prunedThrough: db.prepare(`SELECT value FROM meta WHERE key = 'pruned_through'`),
    ping: db.prepare('SELECT 1'),
  };
}
