import type pg from 'pg';
import type { ChatMessage } from '../../protocol';
import { MESSAGE_COLUMNS, MESSAGES_WITH_NAMES, toMessage, type MessageRow } from '../rows';
import type { Committed } from '../store';

/**
 * The commit feed of one PostgresStore: tells its listeners about every committed message, its own node's and
 * every other node's, exactly once and in id order.
 *
 * It rests on two properties of the ids `chat_append` assigns (schema.ts): they are commit-ordered and
 * gapless. So "id N is committed" means every id up to N is committed and visible, and the feed only needs to
 * learn the head (the highest committed id) and the messages up to it. It learns them from
 * - its own store's batches, with their origins, as soon as they commit (`committed`);
 * - other nodes' notifications: the messages themselves, or only their id range when they did not fit in a
 *   NOTIFY payload (`notified`);
 * - the head read from `log_head`, after the LISTEN connection reconnects and periodically, which catches a
 *   notification that was lost (`seen`).
 * Ids it knows are committed but holds no message for (a range-only notification, a jump, a lost notification)
 * are read from the table (`fetch`); such messages carry no origin. Messages pruned meanwhile are skipped.
 *
 * `fetch` must not run while a batch of this store is in flight: that batch may have committed ids the fetch
 * would read without their origins. GroupCommit (writer.ts) runs both in one lane for that reason.
 */
export class CommitFeed {
  /** Every id up to this one has been told to listeners (or was committed before the store opened). */
  private told: number;
  /** The highest id known to be committed. */
  private head: number;
  private readonly known = new Map<number, Committed>();
  private readonly listeners = new Set<(committed: Committed) => void>();
  private waiters: Array<{ id: number; then: () => void; fail: (err: Error) => void }> = [];
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    start: number,
    private readonly storeId: string,
    /** Called when a fetch is needed; the owner of the lane schedules it. */
    private readonly wantFetch: () => void,
    private readonly report: (err: Error) => void,
  ) {
    this.told = start;
    this.head = start;
  }

  subscribe(listener: (committed: Committed) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Runs `then` once listeners have been told every id up to `id` (at once if they have), or `fail` if the
   * feed closes first.
   */
  afterTold(id: number, then: () => void, fail: (err: Error) => void): void {
    if (id <= this.told) then();
    else if (this.closed) fail(new Error('store closed'));
    else this.waiters.push({ id, then, fail });
  }

  /** Messages a batch of this store committed, in id order. */
  committed(records: Committed[]): void {
    for (const record of records) this.learn(record);
    if (records.length > 0) this.seen(records[records.length - 1].message.id);
  }

  /** A payload of `chat_append`'s NOTIFY. */
  notified(payload: string): void {
    let notice: Notice;
    try {
      notice = JSON.parse(payload) as Notice;
    } catch {
      this.report(new Error('unreadable commit notification; the periodic check will catch up'));
      return;
    }
    // This store's own batches are told from their results, which carry their origins.
    if (notice.s === this.storeId) return;
    // A node from before issue 21 sends no display names: the handles stand in for them.
    for (const [id, senderId, recipientId, from, to, text, ts, origin, fromName = from, toName = to] of notice.m ?? []) {
      const base = { id, from, fromName, text, ts };
      const message: ChatMessage = to === null ? base : { ...base, to, toName: toName ?? to };
      this.learn({ message, senderId, recipientId, ...(origin !== null && { origin }) });
    }
    this.seen(notice.l);
  }

  /** Every id up to `head` is committed. */
  seen(head: number): void {
    if (head > this.head) this.head = head;
    this.advance();
  }

  /** Whether the lane should run `fetch` now. */
  needsFetch(): boolean {
    return !this.closed && this.retryTimer === undefined && this.head > this.told && !this.known.has(this.told + 1);
  }

  /** Reads committed messages this feed holds nothing for, and tells them. A failure is retried later. */
  async fetch(pool: pg.Pool): Promise<void> {
    const from = this.told;
    const head = this.head;
    let rows: FeedRow[];
    try {
      ({ rows } = await pool.query<FeedRow>(FETCH_SQL, [from, head, FETCH_LIMIT]));
    } catch (err) {
      this.report(err as Error);
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.wantFetch();
      }, FETCH_RETRY_MS);
      this.retryTimer.unref();
      return;
    }
    if (this.told !== from) return; // told meanwhile (only possible if called twice at once; the lane prevents it)
    // Fewer rows than the limit: the rest of the range is gone to retention.
    const through = rows.length < FETCH_LIMIT ? head : rows[rows.length - 1].id;
    const batch = rows.map((row) => this.known.get(row.id) ?? fromRow(row));
    const fetched = new Set(rows.map((row) => row.id));
    for (const [id, record] of this.known) if (id <= through && !fetched.has(id)) batch.push(record);
    batch.sort((x, y) => x.message.id - y.message.id);
    for (const record of batch) this.tell(record);
    this.told = through;
    this.advance();
  }

  /** Stops retrying, and fails what still waits: those messages committed, but listeners were not told. */
  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    const stranded = this.waiters;
    this.waiters = [];
    const error = new Error('store closed before its commit feed caught up; the message was stored');
    for (const waiter of stranded) waiter.fail(error);
  }

  private learn(record: Committed): void {
    if (record.message.id > this.told) this.known.set(record.message.id, record);
  }

  private advance(): void {
    for (let next = this.known.get(this.told + 1); next; next = this.known.get(this.told + 1)) this.tell(next);
    if (this.waiters.some((w) => w.id <= this.told)) {
      const ready = this.waiters.filter((w) => w.id <= this.told).sort((x, y) => x.id - y.id);
      this.waiters = this.waiters.filter((w) => w.id > this.told);
      for (const waiter of ready) waiter.then();
    }
    if (this.needsFetch()) this.wantFetch();
  }

  private tell(record: Committed): void {
    const id = record.message.id;
    this.known.delete(id);
    if (id <= this.told) return;
    this.told = id;
    for (const listener of this.listeners) {
      try {
        listener(record);
      } catch (err) {
        this.report(err as Error); // a listener's bug must not stop the feed for the others
      }
    }
  }
}

/** What `chat_append` notifies: store id, first and last id, and the messages when they fit. */
interface Notice {
  s: string;
  f: number;
  l: number;
  m?: Array<[number, number, number | null, string, string | null, string, number, string | null, string?, (string | null)?]>;
}

interface FeedRow extends MessageRow {
  senderId: number;
  recipientId: number | null;
}

function fromRow({ senderId, recipientId, ...row }: FeedRow): Committed {
  return { message: toMessage(row), senderId, recipientId };
}

const FETCH_LIMIT = 1000;
const FETCH_RETRY_MS = 1000;
const FETCH_SQL = `SELECT ${MESSAGE_COLUMNS}, m.sender_id AS "senderId", m.recipient_id AS "recipientId"
  FROM ${MESSAGES_WITH_NAMES} WHERE m.id > $1 AND m.id <= $2 ORDER BY m.id LIMIT $3`;
