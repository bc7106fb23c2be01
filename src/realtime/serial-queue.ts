/**
 * Runs tasks one at a time in submission order, refusing new ones while `limit` are waiting. One per socket:
 * it keeps a socket's events (and its disconnect) in arrival order even though handlers await storage.
 * A task that throws or rejects is reported to `onError` and the queue goes on with the next one: the
 * bookkeeping queued behind it (a disconnect) must still run (issue 8).
 */
export class SerialQueue {
  private tail: Promise<void> = Promise.resolve();
  private waiting = 0;

  constructor(
    private readonly limit: number,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Queues `task`; returns false (and drops it) when the queue is full. */
  push(task: () => Promise<void>): boolean {
    if (this.waiting >= this.limit) return false;
    this.pushAlways(task);
    return true;
  }

  /** Like push, but never refused: for bookkeeping that must happen (disconnect). */
  pushAlways(task: () => Promise<void>): void {
    this.waiting++;
    this.tail = this.tail
      .then(task)
      .catch((err: unknown) => {
        try {
          this.onError(err);
        } catch {
          // a failing error reporter must not stop the queue either
        }
      })
      .finally(() => {
        this.waiting--;
      });
  }

  /** Resolves once every task queued so far has finished. */
  idle(): Promise<void> {
    return this.tail;
  }
}
