import type pg from 'pg';
import type { Committed } from '../log';
import type { CommitFeed } from './feed';
import { COMMIT_CHANNEL } from './schema';

/**
 * What a job's work returns: its result, and the log entries it wrote (ids `head + 1`, `head + 2`, … in order;
 * none when it changed nothing).
 */
export interface JobOutcome<T> {
  result: T;
  entries: Committed[];
}

/** A rare write of the log (a membership change): run in the lane of GroupCommit (writer.ts). */
export interface Job<T> {
  /** Checks its conditions with queries on `tx` and writes its entries from id `head + 1` on. */
  work: (tx: pg.PoolClient, head: number) => Promise<JobOutcome<T>>;
  resolve: (result: T) => void;
  reject: (err: Error) => void;
}

/**
 * Runs one job as appends run (`chat_append`, schema.ts): in one transaction that first takes the `log_head`
 * row lock, so it waits for every other writer on every node and holds them off until it commits; its entries
 * take the ids after the head, the head moves past them and other nodes are notified (with the id range only:
 * they read the entries from the table, feed.ts), all before COMMIT. This store's feed is told from the
 * entries themselves, with their origins, and the job resolves once they were told.
 *
 * The lock is held across the job's round trips: acceptable because membership changes are rare next to
 * messages, which stay on the batched one-statement path.
 */
export async function runJob(pool: pg.Pool, feed: CommitFeed, storeId: string, job: Job<unknown>): Promise<void> {
  let outcome: JobOutcome<unknown>;
  let tx: pg.PoolClient;
  try {
    tx = await pool.connect();
  } catch (err) {
    return job.reject(err as Error);
  }
  let broken: Error | undefined;
  try {
    await tx.query('BEGIN');
    const { rows } = await tx.query<{ last_id: number }>('SELECT last_id FROM log_head WHERE one FOR UPDATE');
    const head = rows[0].last_id;
    outcome = await job.work(tx, head);
    const last = outcome.entries.at(-1)?.id;
    if (last !== undefined) {
      const notice = JSON.stringify({ s: storeId, f: head + 1, l: last });
      await tx.query('WITH moved AS (UPDATE log_head SET last_id = $1 WHERE one) SELECT pg_notify($2, $3)', [last, COMMIT_CHANNEL, notice]);
    }
    await tx.query('COMMIT');
  } catch (err) {
    broken = err as Error; // released as broken: the pool closes the connection, which rolls back what is open
    return job.reject(broken);
  } finally {
    tx.release(broken);
  }
  const last = outcome.entries.at(-1)?.id;
  if (last === undefined) return job.resolve(outcome.result);
  feed.committed(outcome.entries);
  feed.afterTold(last, () => job.resolve(outcome.result), job.reject);
}
