import type { SqliteSync } from '../../config';
import type { Committed } from '../store';
import type { ChatStore } from '../store';
import { ENGINE_CALLS, READ_CALLS, type EngineCalls } from './engine';
import { StoreThread } from './thread';

// Every call but the feed and `close` is forwarded to a store thread: see the constructor.
export interface SqliteStore extends EngineCalls {}

/**
 * ChatStore on one SQLite file (better-sqlite3), run on threads of its own (thread.ts, worker.ts, engine.ts).
 *
 * Why threads (issue 18): better-sqlite3 is synchronous, so on the main thread every query and every commit's
 * fsync held the event loop, and with it every socket: a 20 ms fsync was 20 ms without any delivery. On its
 * own thread, group commit (writer.ts) forms itself: the calls that arrive while a commit is being fsynced wait
 * in the thread's queue and go out together in the next transaction, so a slower disk makes batches larger,
 * not the chat slower. Reads (READ_CALLS) go to a second thread with a read-only connection of its own, so a
 * read (the recipient a private message needs, a history page) does not wait for a commit's fsync either: WAL
 * lets it read the last committed state while the writer commits. A third thread checkpoints the WAL into
 * the file (checkpoints.ts), so commits do not wait for that either. A `:memory:` database cannot be opened
 * twice, so it has the writer's thread only, as has a file until its reader is open.
 *
 * Guarantees are ChatStore's (users.ts, messages.ts), kept as follows:
 * - Ordering and the feed: the writer's thread owns every write and commits one transaction at a time, so ids
 *   are commit-ordered; it posts each transaction's messages (`committed`) before the results of its calls, and
 *   one message port keeps that order, so listeners here hear of every message, in id order, before its
 *   append resolves.
 * - Reads see every write whose promise has resolved: a write resolves after its commit, and each read on the
 *   reader is a transaction of its own, begun after that. (As on one thread, they never see a write queued
 *   but not yet committed.)
 * - Durability: WAL journal. With `synchronous = FULL` (the default) a commit is fsynced before its results
 *   are posted, so an acked message survives a process crash (SIGKILL) and a power loss. With `NORMAL` it
 *   survives a process crash; a power loss may take the last commits (SQLITE_SYNCHRONOUS in config.ts).
 *   `durability()` reads both settings back from the writer's connection.
 */
export class SqliteStore implements ChatStore {
  /** Resolves once the file is open and migrated (and its reader open); rejects with the reason it could not be. */
  readonly ready: Promise<void>;
  private readonly writer: StoreThread;
  /** Opened once the writer has migrated the file (as is the checkpointer). */
  private reader: StoreThread | undefined;
  /** Checkpoints the WAL beside the writer (checkpoints.ts); a file's only. */
  private checkpointer: StoreThread | undefined;
  /** The thread reads go to once the reader has opened: it, or the writer if it could not open (or `:memory:`). */
  private readonly readThread: Promise<StoreThread>;
  private readonly listeners = new Set<(committed: Committed) => void>();
  private closed = false;

  private constructor(file: string, synchronous: SqliteSync) {
    this.writer = new StoreThread({ file, synchronous, role: 'writer' }, (committed) => {
      for (const record of committed) for (const listener of this.listeners) listener(record);
    });
    this.readThread =
      file === ':memory:'
        ? Promise.resolve(this.writer)
        : this.writer.ready.then(
            () => {
              if (this.closed) return this.writer;
              this.checkpointer = new StoreThread({ file, synchronous, role: 'checkpointer' });
              const reader = (this.reader = new StoreThread({ file, synchronous, role: 'reader' }));
              return reader.ready.then(() => reader, () => this.writer);
            },
            () => this.writer,
          );
    this.ready = this.writer.ready.then(() => this.readThread.then(() => undefined));
    this.ready.catch(() => undefined); // a caller that never awaits it learns of the failure from its calls
    for (const method of Object.keys(ENGINE_CALLS) as Array<keyof EngineCalls>) {
      const call = READ_CALLS.has(method)
        ? (...args: unknown[]) => (this.reader?.usable ? this.reader.call(method, args) : this.read(method, args))
        : (...args: unknown[]) => this.writer.call(method, args);
      Object.assign(this, { [method]: call });
    }
  }

  /** A read made before the reader is open (it waits for it), or after it died (the writer takes it). */
  private async read(method: string, args: unknown[]): Promise<unknown> {
    const thread = await this.readThread;
    return (thread.usable ? thread : this.writer).call(method, args);
  }

  /** Opens `file` (or `:memory:`) on threads of its own; calls made before it is ready wait for it. */
  static open(file: string, synchronous: SqliteSync = 'full'): SqliteStore {
    return new SqliteStore(file, synchronous);
  }

  onCommitted(listener: (committed: Committed) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Commits what is queued, closes the file and ends the threads. */
  async close(): Promise<void> {
    this.closed = true;
    // The writer last: closing the last connection checkpoints the whole WAL and removes it.
    await Promise.all([this.reader?.close(), this.checkpointer?.close()]);
    await this.writer.close();
  }
}
