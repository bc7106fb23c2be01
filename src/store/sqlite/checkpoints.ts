import Database from 'better-sqlite3';

/** How often the checkpointer copies the WAL's committed pages into the database file. */
export const CHECKPOINT_INTERVAL_MS = 500;

/**
 * The WAL size (pages) at which the writer checkpoints by itself (SQLite's default is 1,000). The checkpointer
 * copies pages while commits go on, but under a steady stream of commits it never catches the last one, and
 * only a checkpoint by the writer, between two of its commits, lets the WAL start over from its beginning:
 * that one has little left to copy but still costs the writer two fsyncs, so it comes rarely (about 40 MB of
 * WAL). Also the safety net should the checkpointer not run.
 */
export const WRITER_CHECKPOINT_PAGES = 10_000;

/** When the WAL starts over, its file is cut back to this size (bytes). */
export const WAL_SIZE_LIMIT = 16 * 1024 * 1024;

/**
 * Checkpoints on a thread and connection of their own (issue 18). A checkpoint fsyncs the WAL, copies its
 * pages into the database file and fsyncs that too: run by the writer (SQLite's automatic checkpoint, every
 * 1,000 pages) it held every commit behind it for two fsyncs, which on a slow disk was most of the p99. Here it
 * runs beside the writer: a PASSIVE checkpoint takes no lock a commit or a read waits for, copies what no
 * reader still needs, and the writer starts the WAL over once everything in it has been copied.
 *
 * The connection may not change data (`query_only`): it only checkpoints. It has no calls.
 */
export function openCheckpointer(file: string): { close(): void } {
  const db = new Database(file, { fileMustExist: true });
  db.pragma('query_only = ON');
  db.pragma('busy_timeout = 0'); // a checkpoint that cannot start now is simply tried again at the next tick
  const timer = setInterval(() => {
    try {
      db.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      // busy or locked: the next tick tries again (the writer's own checkpoint is the safety net)
    }
  }, CHECKPOINT_INTERVAL_MS);
  return {
    close() {
      clearInterval(timer);
      if (db.open) db.close();
    },
  };
}
