import type pg from 'pg';

/** Keys looked up in one query at most (a text[] parameter; far below any limit). */
const MAX_BATCH = 1000;

interface Waiter<T> {
  key: string;
  resolve: (row: T | undefined) => void;
  reject: (err: Error) => void;
}

/**
 * Look-ups by one unique key, batched: the look-ups of one turn of the event loop, or that arrived while a
 * batch was in flight, are one query (`… = ANY($1)`), as appends are one `chat_append` call (GroupCommit).
 *
 * Why: `privateMsg` finds its recipient by name before appending. On its own that was one statement per
 * message, and under 200 concurrent writers PostgreSQL spent most of its CPU on those statements (about 185 µs
 * each, against 43 µs for the batched append; bench/pg-store.ts --messages lookup). A batch costs one.
 *
 * Each look-up answers what one query of its own would have answered at some moment after it was asked:
 * nothing is cached, so a name that changed hands is never answered with its former holder.
 */
export class BatchedLookup<T> {
  private queue: Array<Waiter<T>> = [];
  private running = false;
  private scheduled = false;

  /**
   * `sql` selects the rows whose key is in the text array `$1`; `keyOf` reads a row's key. The key must be
   * unique among the rows `sql` can return.
   */
  constructor(
    private readonly pool: pg.Pool,
    private readonly sql: string,
    private readonly keyOf: (row: T) => string,
  ) {}

  find(key: string): Promise<T | undefined> {
    return new Promise((resolve, reject) => {
      this.queue.push({ key, resolve, reject });
      if (this.running || this.scheduled) return;
      this.scheduled = true;
      setImmediate(() => void this.drive());
    });
  }

  private async drive(): Promise<void> {
    this.scheduled = false;
    this.running = true;
    try {
      while (this.queue.length > 0) await this.run(this.queue.splice(0, MAX_BATCH));
    } finally {
      this.running = false;
    }
  }

  private async run(waiters: Array<Waiter<T>>): Promise<void> {
    try {
      const keys = [...new Set(waiters.map((w) => w.key))];
      const { rows } = await this.pool.query<T & pg.QueryResultRow>(this.sql, [keys]);
      const found = new Map(rows.map((row) => [this.keyOf(row), row]));
      for (const waiter of waiters) waiter.resolve(found.get(waiter.key));
    } catch (err) {
      for (const waiter of waiters) waiter.reject(err as Error);
    }
  }
}
