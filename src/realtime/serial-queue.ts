/**
 * Runs tasks one at a time in submission order, refusing new ones while `limit` are waiting. One per socket:
 * it keeps a socket's events (and its disconnect) in arrival order even though handlers await storage.
 */
export class SerialQueue {
  private tail: Promise<void> = Promise.resolve();
  private waiting = 0;

  constructor(private readonly limit: number) {}

  /** Queues `task`; returns false (and drops it) when the queue is full. `task` must not throw. */
  push(task: () => Promise<void>): boolean {
    if (this.waiting >= this.limit) return false;
    this.pushAlways(task);
    return true;
  }

  /** Like push, but never refused: for bookkeeping that must happen (disconnect). */
  pushAlways(task: () => Promise<void>): void {
    this.waiting++;
    this.tail = this.tail.then(task).finally(() => {
      this.waiting--;
    });
  }
}
