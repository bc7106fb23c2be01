import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { ChatMessage, PrivateMessage, PublicMessage } from '../protocol';
import type {
  Appended,
  ChatStore,
  Committed,
  NewMessage,
  NewPrivateMessage,
  NewUser,
  Page,
  PageQuery,
  UserPageQuery,
  UserRecord,
} from './store';
import { legacyKey } from '../names';
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
 * others. After the commit, `onCommitted` listeners hear of the new messages and then the promises resolve,
 * both in call order, which is id order. One process owns the file, so ids are commit-ordered and the
 * feed is complete without further work.
 */
export class SqliteStore implements ChatStore {
  private readonly db: Database.Database;
  private readonly q: ReturnType<typeof prepare>;
  private batch: Array<{ run: () => unknown; resolve: (v: any) => void; reject: (e: unknown) => void }> = [];
  private flushScheduled = false;
  private readonly listeners = new Set<(committed: Committed) => void>();
  /** Messages written by the transaction being committed, told to listeners once it has committed. */
  private committing: Committed[] = [];

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
    return toUser(this.q.findUser.get(key));
  }

  async findUserByToken(tokenHash: string): Promise<UserRecord | undefined> {
    return tokenHash === '' ? undefined : toUser(this.q.findUserByToken.get(tokenHash));
  }

  async createUser(user: NewUser): Promise<UserRecord | undefined> {
    return this.write(() => {
      const { replacing } = user;
      if (replacing !== undefined && this.q.retireUser.run(user.now, replacing.id, replacing.seenBefore).changes === 0) {
        return undefined; // seen again (or retired by someone else) since the caller found it expired
      }
      if (this.q.findUser.get(user.key)) return undefined;
      const { lastInsertRowid } = this.q.insertUser.run(user.name, user.key, legacyKey(user.name), user.tokenHash, user.now, user.now, user.provisional ? 1 : 0);
      return toUser(this.q.userById.get(lastInsertRowid));
    });
  }

  touchUser(id: number, now: number, proven: boolean): Promise<boolean> {
    return this.write(() => (proven ? this.q.proveUser : this.q.touchUser).run(now, id).changes > 0);
  }

  seenUsers(ids: number[], now: number): Promise<void> {
    if (ids.length === 0) return Promise.resolve();
    return this.write(() => {
      for (const id of ids) this.q.seenUser.run(now, id);
    });
  }

  releaseUser(id: number): Promise<void> {
    return this.write(() => void this.q.releaseUser.run(id));
  }

  async listUsers({ after, limit }: UserPageQuery): Promise<{ users: Array<{ id: number; name: string }>; hasMore: boolean }> {
    const from = after === undefined ? { key: '', name: '' } : { key: legacyKey(after), name: after };
    const rows = this.q.usersPage.all({ ...from, limit: limit + 1 }) as Array<{ id: number; name: string }>;
    return { users: rows.slice(0, limit), hasMore: rows.length > limit };
  }

  appendPublic(m: NewMessage): Promise<Appended<PublicMessage>> {
    return this.write(() => this.insert(m, null, true) as Appended<PublicMessage>);
  }

  appendPrivate(m: NewPrivateMessage): Promise<Appended<PrivateMessage>> {
    return this.write(() => this.insert(m, m.recipient, false) as Appended<PrivateMessage>);
  }

  onCommitted(listener: (committed: Committed) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
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
    const message: ChatMessage = to ? { ...base, to: to.name } : base;
    this.committing.push({ message, senderId: m.sender.id, recipientId: to?.id ?? null, origin: m.origin });
    return { message, duplicate: false };
  }

  async publicHistory(query: PageQuery): Promise<Page<PublicMessage>> {
    const rows = this.q.publicPage.all({ before: query.before ?? null, limit: query.limit + 1 }) as PublicMessage[];
    return newestPage(rows, query.limit);
  }

  async conversation(a: number, b: number, query: PageQuery): Promise<Page<PrivateMessage>> {
    const rows = this.q.conversationPage.all({ a, b, before: query.before ?? null, limit: query.limit + 1 });
    return newestPage(rows as PrivateMessage[], query.limit);
  }

  async undelivered(recipient: number, after: number, limit: number): Promise<PrivateMessage[]> {
    return this.q.undelivered.all(recipient, after, limit) as PrivateMessage[];
  }

  markDelivered(recipient: number, ids: number[]): Promise<void> {
    if (ids.length === 0) return Promise.resolve();
    return this.write(() => {
      for (const id of ids) this.q.markDelivered.run(id, recipient);
    });
  }

  async since(reader: number | undefined, after: number, limit: number): Promise<Page<ChatMessage>> {
    const query = reader === undefined ? this.q.publicSince : this.q.since;
    const rows = query.all({ after, reader: reader ?? null, limit: limit + 1 }) as MessageRow[];
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
    this.committing = [];
    try {
      this.db.transaction(() => {
        for (const job of jobs) {
          const mark = this.committing.length;
          try {
            // A nested transaction is a savepoint: a failing job rolls back alone.
            outcomes.push({ ok: true, value: this.db.transaction(job.run)() });
          } catch (error) {
            this.committing.length = mark; // its message was rolled back with it
            outcomes.push({ ok: false, error });
          }
        }
      }).immediate();
    } catch (error) {
      this.committing = [];
      for (const job of jobs) job.reject(error); // the commit itself failed: nothing was written
      return;
    }
    const committed = this.committing;
    this.committing = [];
    for (const event of committed) for (const listener of this.listeners) listener(event);
    jobs.forEach((job, i) => {
      const outcome = outcomes[i];
      if (outcome.ok) job.resolve(outcome.value);
      else job.reject(outcome.error);
    });
  }
}

type UserRow = Omit<UserRecord, 'provisional'> & { provisional: number };

function toUser(row: unknown): UserRecord | undefined {
  if (row === undefined) return undefined;
  const r = row as UserRow;
  return { ...r, provisional: r.provisional === 1 };
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
    const migration = MIGRATIONS[v];
    db.transaction(() => {
      if (typeof migration === 'string') db.exec(migration);
      else migration(db);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
}

function prepare(db: Database.Database) {
  const user =
    'id, name, name_key AS key, token_hash AS tokenHash, created_at AS createdAt, last_seen_at AS lastSeenAt, provisional';
  const msg = 'id, sender_name AS "from", recipient_name AS "to", body AS text, created_at AS ts';
  return {
    findUser: db.prepare(`SELECT ${user} FROM users WHERE name_key = ? AND retired_at IS NULL`),
    findUserByToken: db.prepare(`SELECT ${user} FROM users WHERE token_hash = ? AND retired_at IS NULL`),
    userById: db.prepare(`SELECT ${user} FROM users WHERE id = ?`),
    insertUser: db.prepare(
      'INSERT INTO users (name, name_key, sort_key, token_hash, created_at, last_seen_at, provisional) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    retireUser: db.prepare('UPDATE users SET retired_at = ? WHERE id = ? AND retired_at IS NULL AND last_seen_at < ?'),
    // A login without the token (joining a provisional name): undoes a release (last_seen_at = 0) too.
    touchUser: db.prepare(
      'UPDATE users SET last_seen_at = max(last_seen_at, ?) WHERE id = ? AND retired_at IS NULL AND provisional = 1',
    ),
    proveUser: db.prepare(
      'UPDATE users SET last_seen_at = max(last_seen_at, ?), provisional = 0 WHERE id = ? AND retired_at IS NULL',
    ),
    seenUser: db.prepare('UPDATE users SET last_seen_at = max(last_seen_at, ?) WHERE id = ? AND last_seen_at > 0'),
    releaseUser: db.prepare('UPDATE users SET last_seen_at = 0 WHERE id = ?'),
    usersPage: db.prepare(
      `SELECT id, name FROM users WHERE retired_at IS NULL AND (sort_key, name) > ($key, $name)
       ORDER BY sort_key, name LIMIT $limit`,
    ),
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
    undelivered: db.prepare(
      `SELECT ${msg} FROM messages WHERE recipient_id = ? AND delivered = 0 AND id > ? ORDER BY id LIMIT ?`,
    ),
    markDelivered: db.prepare('UPDATE messages SET delivered = 1 WHERE id = ? AND recipient_id = ?'),
    publicSince: db.prepare(
      `SELECT ${msg} FROM messages WHERE recipient_id IS NULL AND id > $after ORDER BY id LIMIT $limit`,
    ),
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
