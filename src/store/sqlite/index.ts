import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { SqliteSync } from '../../config';
import type { EditStore } from '../edits';
import type { MessageStore } from '../messages';
import type { ModerationStore } from '../moderation';
import type { ReadStore } from '../reads';
import type { RoomStore } from '../rooms';
import type { ChatStore, Durability } from '../store';
import type { UserStore } from '../users';
import { sqliteEdits } from './edits';
import { sqliteAppend, sqliteMessages } from './messages';
import { sqliteModeration } from './moderation';
import { sqliteReads } from './reads';
import { sqliteRooms } from './rooms';
import { MIGRATIONS } from './schema';
import { sqliteUsers } from './users';
import { SqliteWriter } from './writer';

// The concerns' methods (users.ts, messages.ts, rooms.ts, reads.ts, edits.ts, moderation.ts) are the store's own:
// see the constructor.
export interface SqliteStore extends UserStore, MessageStore, RoomStore, ReadStore, EditStore, ModerationStore {}

/**
 * ChatStore on one SQLite file (better-sqlite3), assembled from one module per concern (users.ts,
 * messages.ts, rooms.ts, reads.ts, edits.ts, moderation.ts) that share the connection and the group commit
 * (writer.ts).
 *
 * Durability: WAL journal. With `synchronous = FULL` (the default) a commit is fsynced before any promise it
 * settles resolves, so an acked message survives a process crash (SIGKILL) and a power loss. With `NORMAL`
 * it survives a process crash; a power loss may take the last commits (SQLITE_SYNCHRONOUS in config.ts).
 * `durability()` reads both settings back from the connection.
 */
export class SqliteStore implements ChatStore {
  private readonly writer: SqliteWriter;
  private readonly pingQuery: Database.Statement;

  private constructor(private readonly db: Database.Database) {
    migrate(db);
    this.writer = new SqliteWriter(db);
    this.pingQuery = db.prepare('SELECT 1');
    const append = sqliteAppend(db, this.writer);
    Object.assign(
      this,
      sqliteUsers(db, this.writer),
      sqliteMessages(db, this.writer, append),
      sqliteRooms(db, this.writer, append),
      sqliteReads(db, this.writer),
      sqliteEdits(db, this.writer),
      sqliteModeration(db, this.writer),
    );
  }

  static open(file: string, synchronous: SqliteSync = 'full'): SqliteStore {
    if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    db.pragma('foreign_keys = ON');
    // Freed and rewritten content is overwritten with zeros: a deleted message's text does not linger in free
    // pages of the file (issue 19; edits.ts checkpoints the WAL after each deletion).
    db.pragma('secure_delete = ON');
    db.pragma('busy_timeout = 5000');
    return new SqliteStore(db);
  }

  async ping(): Promise<void> {
    this.pingQuery.get();
  }

  async durability(): Promise<Durability> {
    const journalMode = String(this.db.pragma('journal_mode', { simple: true }));
    const synchronous = SYNCHRONOUS_LEVELS[Number(this.db.pragma('synchronous', { simple: true }))] ?? 'unknown';
    return { engine: 'sqlite', settings: { journal_mode: journalMode, synchronous } };
  }

  async close(): Promise<void> {
    if (!this.db.open) return;
    this.writer.flush();
    this.db.close();
  }
}

/** `PRAGMA synchronous` answers a number. */
const SYNCHRONOUS_LEVELS = ['off', 'normal', 'full', 'extra'];

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
