import type pg from 'pg';
import type { MemberAction } from '../../protocol';
import { MESSAGES_WITH_NAMES, toMessage } from '../rows';
import type { Committed } from '../store';

/**
 * The commit feed of one PostgresStore: tells its listeners about every committed entry of the log (store/
 * log.ts), its own node's and every other node's, exactly once and in id order.
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

  /** Entries a batch or job of this store committed, in id order. */
  committed(records: Committed[]): void {
    for (const record of records) this.learn(record);
    if (records.length > 0) this.seen(records[records.length - 1].id);
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
    // Jobs (jobs.ts) notify their id range only: their entries are read from the table. A node from before
    // issue 21 sends no display names: the handles stand in for them.
    for (const [id, senderId, recipientId, from, to, text, ts, origin, roomId = null, room = null, hidden = false, fromName = from, toName = to] of notice.m ?? []) {
      const message = toMessage({ id, from, fromName, to, toName, room, text, ts });
      this.learn({ kind: 'message', id, message, senderId, recipientId, roomId, hidden, ...(origin !== null && { origin }) });
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
    let rows: EntryRow[];
    try {
      ({ rows } = await pool.query<EntryRow>(FETCH_SQL, [from, head, FETCH_LIMIT]));
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
    batch.sort((x, y) => x.id - y.id);
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
    if (record.id > this.told) this.known.set(record.id, record);
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
    const id = record.id;
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

/**
 * What `chat_append` notifies: store id, first and last id, and the messages when they fit (room id and name
 * last, absent from notices of nodes older than rooms). Jobs notify the range alone.
 */
interface Notice {
  s: string;
  f: number;
  l: number;
  m?: Array<
    [number, number, number | null, string, string | null, string, number, string | null, (number | null)?, (string | null)?, boolean?, string?, (string | null)?]
  >;
}

interface EntryRow {
  id: number;
  kind: string;
  target_id: number | null;
  hidden: boolean;
  edited_at: number | null;
  deleted_at: number | null;
  sender_id: number;
  recipient_id: number | null;
  room_id: number | null;
  /** The parties' current names (messages are read with them: store/messages.ts, "Names"). */
  sender_name: string;
  sender_display: string;
  recipient_name: string | null;
  recipient_display: string | null;
  room_name: string | null;
  private: boolean | null;
  action: string | null;
  body: string;
  created_at: number;
}

function fromRow(row: EntryRow): Committed {
  const scope = { senderId: row.sender_id, recipientId: row.recipient_id, roomId: row.room_id, hidden: row.hidden };
  if (row.kind === 'edit') return { kind: 'edit', id: row.id, target: row.target_id!, text: row.body, editedAt: row.created_at, scope };
  if (row.kind === 'delete') return { kind: 'delete', id: row.id, target: row.target_id!, scope };
  if (row.kind === 'member') {
    return {
      kind: 'member',
      id: row.id,
      room: { id: row.room_id!, name: row.room_name!, private: row.private === true },
      user: { id: row.recipient_id!, name: row.recipient_name! },
      by: { id: row.sender_id, name: row.sender_name },
      action: row.action as MemberAction,
      ts: row.created_at,
    };
  }
  const message = toMessage({
    id: row.id,
    from: row.sender_name,
    fromName: row.sender_display,
    to: row.recipient_name,
    toName: row.recipient_display,
    room: row.room_name,
    text: row.body,
    ts: row.created_at,
    editedAt: row.edited_at,
    deletedAt: row.deleted_at,
  });
  return { kind: 'message', id: row.id, message, senderId: row.sender_id, recipientId: row.recipient_id, roomId: row.room_id, hidden: row.hidden };
}

const FETCH_LIMIT = 1000;
const FETCH_RETRY_MS = 1000;
const FETCH_SQL = `SELECT m.id, m.kind, m.sender_id, m.recipient_id, m.room_id, s.name AS sender_name, s.display_name AS sender_display,
    ru.name AS recipient_name, ru.display_name AS recipient_display, m.room_name, r.private, m.action, m.body, m.created_at,
    m.target_id, m.hidden, m.edited_at, m.deleted_at
  FROM ${MESSAGES_WITH_NAMES} LEFT JOIN rooms r ON r.id = m.room_id WHERE m.id > $1 AND m.id <= $2 ORDER BY m.id LIMIT $3`;
