import type Database from 'better-sqlite3';
import type { Committed } from '../store';

interface Job {
  run: () => unknown;
  resolve: (value: any) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit for one SQLite connection, and the commit feed it drives.
 *
 * Writes queued in the same turn of the event loop are run in one transaction (one fsync) on the next
 * `setImmediate`, each in its own savepoint, so one failure does not fail the others. After the commit,
 * `tell` hears of the new messages (what the writes passed to `committed`) and then the promises settle, both
 * in call order, which is id order. On the store's thread (worker.ts), writes that arrive while a commit's
 * fsync runs wait in the thread's message queue and go out together in the next transaction. One process owns the file, so ids are
 * commit-ordered and the feed is complete without further work.
 */
export class SqliteWriter {
  private batch: Job[] = [];
  private flushScheduled = false;
  /** Messages written by the transaction being committed, told once it has committed. */
  private committing: Committed[] = [];

  constructor(
    private readonly db: Database.Database,
    /** Told the messages of each transaction once it has committed, before its writes' promises settle. */
    private readonly tell: (committed: Committed[]) => void,
  ) {}

  /** Queues a write for the next group commit; resolves with its result once committed. */
  write<T>(run: () => T): Promise<T> {
    if (!this.db.open) return Promise.reject(new Error('store is closed'));
    return new Promise<T>((resolve, reject) => {
      this.batch.push({ run, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Called by a write for each message it stored: told to listeners once the transaction commits. */
  committed(record: Committed): void {
    this.committing.push(record);
  }

  /** Commits what is queued now (also called on close). */
  flush(): void {
    this.flushScheduled = false;
    const jobs = this.batch;
    this.batch = [];
    if (jobs.length === 0) return;
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    this.committing = [];
    try {
      this.db
        .transaction(() => {
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
        })
        .immediate();
    } catch (error) {
      this.committing = [];
      for (const job of jobs) job.reject(error); // the commit itself failed: nothing was written
      return;
    }
    const committed = this.committing;
    this.committing = [];
    if (committed.length > 0) this.tell(committed);
    jobs.forEach((job, i) => {
      const outcome = outcomes[i];
      if (outcome.ok) job.resolve(outcome.value);
      else job.reject(outcome.error);
    });
  }
}
