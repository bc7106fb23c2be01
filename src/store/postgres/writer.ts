import type pg from 'pg';
import type { ChatMessage } from '../../protocol';
import { toMessage } from '../rows';
import type { CommitFeed } from './feed';
import type { Party } from '../messages';
import { runJob, type Job as LogJob } from './jobs';
import type { Appended, Committed, NewMessage } from '../store';

/** One append as `chat_append` takes it: a message, private when it has a recipient, in a room when it has one. */
export interface AppendInput extends NewMessage {
  recipient: Party | null;
  room?: { id: number; name: string } | null;
}

/** A room message whose sender was not a member when `chat_append` ran: nothing was written. */
export interface Refused {
  refused: 'not_member';
}

/**
 * One group commit: `chat_append` (schema.ts) in a single statement, so a single round trip and one
 * transaction. Exported so tests can hold such a transaction open on a client of their own.
 */
export const APPEND_SQL = 'SELECT * FROM chat_append($1, $2::jsonb) ORDER BY n';

/** The `$2` of APPEND_SQL. */
export function batchParam(batch: AppendInput[]): string {
  return JSON.stringify(
    batch.map((m) => ({
      sid: m.sender.id,
      sname: m.sender.name,
      sdisp: m.sender.displayName,
      rid: m.recipient?.id ?? null,
      rname: m.recipient?.name ?? null,
      rdisp: m.recipient?.displayName ?? null,
      room: m.room?.id ?? null,
      roomname: m.room?.name ?? null,
      body: m.text,
      ts: m.ts,
      cid: m.clientId ?? null,
      origin: m.origin ?? null,
    })),
  );
}

/** Why a message cannot be part of a batch at all (jsonb would refuse the whole batch), if it cannot. */
export function unstorable(m: AppendInput): string | undefined {
  const texts = [m.text, m.sender.name, m.sender.displayName, m.recipient?.name, m.recipient?.displayName, m.room?.name, m.clientId, m.origin];
  if (texts.some((t) => t !== undefined && (t.includes('\0') || !t.isWellFormed()))) {
    return 'PostgreSQL stores only well-formed Unicode text without NUL characters';
  }
  const integers = [m.sender.id, m.recipient?.id, m.room?.id, m.ts];
  if (integers.some((n) => n !== undefined && !Number.isSafeInteger(n))) return 'ids and timestamps must be integers';
  return undefined;
}

/** Appends per batch; caps the time the log_head lock is held by one transaction. */
const MAX_BATCH = 500;

interface Job {
  input: AppendInput;
  resolve: (appended: Appended<ChatMessage> | Refused) => void;
  reject: (err: Error) => void;
}

interface ResultRow {
  n: number;
  id: number | null;
  duplicate: boolean;
  err_code: string | null;
  err_message: string | null;
  sender_name: string | null;
  sender_display: string | null;
  recipient_name: string | null;
  recipient_display: string | null;
  room_name: string | null;
  body: string | null;
  created_at: number | null;
  hidden: boolean | null;
  edited_at: number | null;
  deleted_at: number | null;
}

/**
 * Group commit, and the lane it shares with the feed's catch-up reads and the log's rarer writes.
 *
 * Appends that arrive in the same turn of the event loop, or while a batch is in flight, go out together as
 * the next batch. One lane runs one thing at a time, batches, jobs (jobs.ts: membership changes, whose checks
 * need queries of their own) and `CommitFeed.fetch` alike, so a fetch never overlaps a write whose ids it could
 * read before this store knows them as its own (see feed.ts).
 * An append (or job) resolves once the feed has told its entries to this store's listeners, so in id order.
 */
export class GroupCommit {
  private queue: Job[] = [];
  private jobs: Array<LogJob<unknown>> = [];
  private running = false;
  private scheduled = false;
  private closed = false;
  private idle: Array<() => void> = [];

  constructor(
    private readonly pool: pg.Pool,
    private readonly feed: CommitFeed,
    private readonly storeId: string,
  ) {}

  append(input: AppendInput): Promise<Appended<ChatMessage> | Refused> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    const problem = unstorable(input);
    if (problem !== undefined) return Promise.reject(new TypeError(problem));
    return new Promise((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      this.kick();
    });
  }

  /** Runs `job` in the lane (jobs.ts); resolves with its result once its entries were told to the feed. */
  job<T>(work: LogJob<T>['work']): Promise<T> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    return new Promise<T>((resolve, reject) => {
      this.jobs.push({ work, resolve, reject } as LogJob<unknown>);
      this.kick();
    });
  }

  /** Schedules the lane (for the next turn, so that appends of this turn join one batch). */
  kick(): void {
    if (this.running || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => void this.drive());
  }

  /** Refuses new appends; resolves once the queued ones are committed and the lane is idle. */
  close(): Promise<void> {
    this.closed = true;
    if (!this.running && !this.scheduled && this.queue.length === 0 && this.jobs.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private async drive(): Promise<void> {
    this.scheduled = false;
    if (this.running) return;
    this.running = true;
    try {
      for (;;) {
        if (this.feed.needsFetch()) await this.feed.fetch(this.pool);
        else if (this.queue.length > 0) await this.commit(this.queue.splice(0, MAX_BATCH));
        else if (this.jobs.length > 0) await runJob(this.pool, this.feed, this.storeId, this.jobs.shift()!);
        else break;
      }
    } finally {
      this.running = false;
      for (const resolve of this.idle.splice(0)) resolve();
    }
  }

  private async commit(jobs: Job[]): Promise<void> {
    let rows: ResultRow[];
    try {
      ({ rows } = await this.pool.query<ResultRow>(APPEND_SQL, [this.storeId, batchParam(jobs.map((j) => j.input))]));
    } catch (err) {
      for (const job of jobs) job.reject(err as Error); // the statement is its transaction: nothing committed
      return;
    }
    const committed: Committed[] = [];
    const outcomes = jobs.map((job, i) => {
      const row = rows[i];
      if (row.id === null && row.err_code === 'not_member') return () => job.resolve({ refused: 'not_member' });
      if (row.id === null) return () => job.reject(databaseError(row));
      const { input } = job;
      let message: ChatMessage;
      if (row.duplicate) {
        message = toMessage({
          id: row.id,
          from: row.sender_name!,
          fromName: row.sender_display,
          to: row.recipient_name,
          toName: row.recipient_display,
          room: row.room_name,
          text: row.body!,
          ts: row.created_at!,
          editedAt: row.edited_at,
          deletedAt: row.deleted_at,
        });
      } else {
        message = toMessage({
          id: row.id,
          from: input.sender.name,
          fromName: input.sender.displayName,
          to: input.recipient?.name ?? null,
          toName: input.recipient?.displayName ?? null,
          room: input.room?.name ?? null,
          text: input.text,
          ts: input.ts,
        });
        const roomId = input.room?.id ?? null;
        const recipientId = input.recipient?.id ?? null;
        committed.push({ kind: 'message', id: row.id, message, senderId: input.sender.id, recipientId, roomId, hidden: row.hidden === true, origin: input.origin });
      }
      const appended = { message, duplicate: row.duplicate };
      return () => this.feed.afterTold(row.id!, () => job.resolve(appended), job.reject);
    });
    this.feed.committed(committed);
    for (const outcome of outcomes) outcome();
  }
}

/** The error that rolled back one message of a batch, shaped like node-postgres' DatabaseError (`code`). */
function databaseError(row: ResultRow): Error {
  return Object.assign(new Error(row.err_message ?? 'append failed'), { code: row.err_code ?? undefined });
}
