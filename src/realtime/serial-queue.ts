/**
 * Runs a socket's tasks in submission order, refusing new ones while `limit` are unfinished. One per socket:
 * it keeps a socket's events (and its disconnect) in arrival order even though handlers await storage.
 *
 * A task starts once every task before it has finished, except a `pipelined` one (a message: routes.ts),
 * which starts as soon as the task before it calls its `release` (a message that has queued its write in the
 * store). The store keeps the order of the calls it is given, so one sender's messages are still stored in
 * the order sent, but a sender no longer waits one commit per message (on a disk with slow fsyncs that made
 * one socket's rate at most one message per commit; issue 18). A task that never calls `release` releases
 * when it finishes.
 *
 * A task that throws or rejects is reported to `onError` and the queue goes on with the next one: the
 * bookkeeping queued behind it (a disconnect) must still run (issue 8).
 */
export class SerialQueue {
  /** Settles once every task queued so far has finished. */
  private finished: Promise<void> = Promise.resolve();
  /** Settles once the last task queued has released (or finished). */
  private released: Promise<void> = Promise.resolve();
  private unfinished = 0;

  constructor(
    private readonly limit: number,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Queues `task`; returns false (and drops it) when the queue is full. */
  push(task: Task, { pipelined = false } = {}): boolean {
    if (this.unfinished >= this.limit) return false;
    this.pushAlways(task, { pipelined });
    return true;
  }

  /** Like push, but never refused: for bookkeeping that must happen (disconnect). */
  pushAlways(task: Task, { pipelined = false } = {}): void {
    this.unfinished++;
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const done = (pipelined ? this.released : this.finished)
      .then(() => task(release))
      .catch((err: unknown) => {
        try {
          this.onError(err);
        } catch {
          // a failing error reporter must not stop the queue either
        }
      })
      .finally(() => {
        this.unfinished--;
        release();
      });
    this.released = released;
    this.finished = Promise.all([this.finished, done]).then(() => undefined);
  }

  /** Resolves once every task queued so far has finished. */
  idle(): Promise<void> {
    return this.finished;
  }
}

/** A queued task; calling `release` lets a pipelined task behind it start before this one finishes. */
export type Task = (release: () => void) => Promise<void>;
