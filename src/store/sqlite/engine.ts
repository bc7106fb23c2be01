import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { SqliteSync } from '../../config';
import type { ChatStore, Committed, Durability } from '../store';
import { SchemaTooNewError } from '../schema-version';
import { WAL_SIZE_LIMIT, WRITER_CHECKPOINT_PAGES } from './checkpoints';
import { sqliteEdits } from './edits';
import { sqliteAppend, sqliteMessages } from './messages';
import { sqliteModeration } from './moderation';
import { sqliteReads } from './reads';
import { sqliteRooms } from './rooms';
import { MIGRATIONS } from './schema';
import { sqliteSessions } from './sessions';
import { sqliteUsers } from './users';
import { SqliteWriter } from './writer';

/** What the store's thread runs: every ChatStore call but the feed's subscription and `close`. */
export type EngineCalls = Omit<ChatStore, 'onCommitted' | 'close'>;

/**
 * The calls main-thread stores forward to the engine, one entry per ChatStore method. `satisfies` keeps it
 * complete: a method added to the contract and not listed here (or listed and not in the contract) does not
 * compile.
 */
export const ENGINE_CALLS = {
  findUser: true,
  findUsers: true,
  findUserByAccount: true,
  bindAccount: true,
  renameUser: true,
  createUser: true,
  touchUser: true,
  seenUsers: true,
  releaseUser: true,
  listUsers: true,
  findSession: true,
  useSession: true,
  seenSessions: true,
  listSessions: true,
  endSessions: true,
  addSignInCode: true,
  redeemSignInCode: true,
  appendPublic: true,
  appendPrivate: true,
  publicHistory: true,
  conversation: true,
  undelivered: true,
  markDelivered: true,
  since: true,
  prune: true,
  prunedThrough: true,
  createRoom: true,
  changeMembership: true,
  appendRoom: true,
  findRoom: true,
  membership: true,
  listRooms: true,
  members: true,
  roomHistory: true,
  memberships: true,
  markRead: true,
  conversations: true,
  summarize: true,
  editMessage: true,
  deleteMessage: true,
  readableMessage: true,
  block: true,
  unblock: true,
  blockedBy: true,
  blockersOf: true,
  ban: true,
  unban: true,
  banOf: true,
  bans: true,
  report: true,
  reports: true,
  ping: true,
  durability: true,
} as const satisfies Record<keyof EngineCalls, true>;

/**
 * The calls that only read: a store with a reader thread (index.ts) runs them there, on a connection that may
 * not change data, so a misfiled write fails loudly (`attempt to write a readonly database`) rather than
 * quietly.
 */
export const READ_CALLS: ReadonlySet<keyof EngineCalls> = new Set([
  'findUser',
  'findUsers',
  'findUserByAccount',
  'listUsers',
  'findSession',
  'listSessions',
  'publicHistory',
  'conversation',
  'undelivered',
  'since',
  'prunedThrough',
  'findRoom',
  'membership',
  'listRooms',
  'members',
  'roomHistory',
  'memberships',
  'conversations',
  'summarize',
  'readableMessage',
  'blockedBy',
  'blockersOf',
  'banOf',
  'bans',
  'reports',
  'ping',
] satisfies Array<keyof EngineCalls>);

export interface Engine {
  calls: EngineCalls;
  /** Commits what is queued and closes the file. */
  close(): void;
}

/**
 * One SQLite file, opened, migrated and assembled from one module per concern (users.ts, sessions.ts, messages.ts,
 * rooms.ts, reads.ts, edits.ts, moderation.ts) that
 * share the connection and the group commit (writer.ts). Synchronous all through: it runs on the store's own
 * thread (worker.ts), where a commit's fsync holds nobody's socket.
 */
export function openEngine(
  file: string,
  synchronous: SqliteSync,
  onCommitted: (records: Committed[]) => void,
  { readonly = false } = {},
): Engine {
  if (file !== ':memory:' && !readonly) fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const db = new Database(file, { readonly, fileMustExist: readonly });
  try {
    if (!readonly) db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    db.pragma('foreign_keys = ON');
    // Freed and rewritten content is overwritten with zeros: a deleted message's text does not linger in free
    // pages of the file (issue 19; edits.ts checkpoints the WAL after each deletion).
    db.pragma('secure_delete = ON');
    db.pragma('busy_timeout = 5000');
    if (!readonly && file !== ':memory:') {
      // The checkpointer's thread checkpoints (checkpoints.ts); the writer only past a size it never reaches.
      db.pragma(`wal_autocheckpoint = ${WRITER_CHECKPOINT_PAGES}`);
      db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT}`);
    }
    // A reader opens a file its writer has migrated; it only checks that it knows the schema.
    if (readonly) checkVersion(db);
    else migrate(db);
  } catch (err) {
    db.close(); // a schema it cannot use (SchemaTooNewError) or a failed migration
    throw err;
  }
  const writer = new SqliteWriter(db, onCommitted);
  const ping = db.prepare('SELECT 1');
  const append = sqliteAppend(db, writer);
  const calls: EngineCalls = {
    ...sqliteUsers(db, writer),
    ...sqliteSessions(db, writer),
    ...sqliteMessages(db, writer, append),
    ...sqliteRooms(db, writer, append),
    ...sqliteReads(db, writer),
    ...sqliteEdits(db, writer),
    ...sqliteModeration(db, writer),
    async ping() {
      ping.get();
    },
    async durability(): Promise<Durability> {
      const journalMode = String(db.pragma('journal_mode', { simple: true }));
      const level = SYNCHRONOUS_LEVELS[Number(db.pragma('synchronous', { simple: true }))] ?? 'unknown';
      return { engine: 'sqlite', settings: { journal_mode: journalMode, synchronous: level } };
    },
  };
  return {
    calls,
    close() {
      if (!db.open) return;
      writer.flush();
      db.close();
    },
  };
}

/** `PRAGMA synchronous` answers a number. */
const SYNCHRONOUS_LEVELS = ['off', 'normal', 'full', 'extra'];

/** The file's schema version; throws when a newer release wrote it. */
function checkVersion(db: Database.Database): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) throw new SchemaTooNewError(current, MIGRATIONS.length);
  return current;
}

/** Applies the migrations newer than the file's `user_version`, each in its own transaction. */
function migrate(db: Database.Database): void {
  const current = checkVersion(db);
  for (let v = current; v < MIGRATIONS.length; v++) {
    const migration = MIGRATIONS[v];
    db.transaction(() => {
      if (typeof migration === 'string') db.exec(migration);
      else migration(db);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
}
