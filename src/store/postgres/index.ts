import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { EditStore } from '../edits';
import type { MessageStore } from '../messages';
import type { ModerationStore } from '../moderation';
import type { ReadStore } from '../reads';
import type { RoomStore } from '../rooms';
import type { SessionStore } from '../sessions';
import type { ChatStore, Durability } from '../store';
import type { UserStore } from '../users';
import { connections, type Timeouts } from './connection';
import { postgresEdits } from './edits';
import { CommitFeed } from './feed';
import { CommitListener } from './listen';
import { postgresMessages } from './messages';
import { migrate } from './migrate';
import { postgresModeration } from './moderation';
import { postgresReads } from './reads';
import { postgresRooms } from './rooms';
import { postgresSessions } from './sessions';
import { postgresUsers } from './users';
import { GroupCommit } from './writer';

export interface PostgresOptions extends Partial<Timeouts> {
  /** Connections for queries and appends (default 10); the LISTEN connection comes on top. */
  poolSize?: number;
  /** Shown in pg_stat_activity (default 'chat'); the LISTEN connection adds ':listen'. */
  applicationName?: string;
  /** How often the head of the log is read to notice a lost notification (default 5 s). */
  checkIntervalMs?: number;
  /** Failures in the background (a lost LISTEN connection, a failed catch-up), all recovered from by retrying. */
  onError?: (err: Error) => void;
}

// The concerns' methods (users.ts, sessions.ts, messages.ts, rooms.ts, reads.ts, edits.ts, moderation.ts) are
// the store's own: see the constructor.
export interface PostgresStore extends UserStore, SessionStore, MessageStore, RoomStore, ReadStore, EditStore, ModerationStore {}

/**
 * ChatStore on PostgreSQL, for several nodes sharing one database; each node opens its own store, assembled
 * from one module per concern (users.ts, sessions.ts, messages.ts, rooms.ts, reads.ts, edits.ts, moderation.ts)
 * on one pool.
 *
 * How it keeps the guarantees of ChatStore across nodes:
 * - Ordering: ids come from the one-row table `log_head`, whose row lock every transaction that writes the log
 *   (appends, and membership changes: jobs.ts) takes and holds until it commits; so ids are assigned in commit
 *   order, without gaps (a message that fails or is a duplicate rolls back to its savepoint, its id with it),
 *   and a reader that sees an id sees all lower ones.
 * - Group commit: the appends of one turn of the event loop, or that arrived while a batch was in flight, are
 *   one call of `chat_append` (schema.ts): one statement and one commit, a savepoint per message, so the lock
 *   is held for no network round trip. See GroupCommit (writer.ts).
 * - Feed: every node is told of every commit by LISTEN/NOTIFY, and catches up from the table when it sees a
 *   jump, after reconnecting, and on a periodic read of the head. See CommitFeed (feed.ts).
 * - Idempotency and identity: unique indexes, see messages.ts and users.ts.
 * - Durability: a commit is acked by PostgreSQL (with its default synchronous_commit = on, after the WAL is
 *   flushed) before any promise resolves; `durability()` reads the setting back from the server.
 */
export class PostgresStore implements ChatStore {
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly endConnections: () => Promise<void>,
    private readonly listener: CommitListener,
    private readonly feed: CommitFeed,
    private readonly writer: GroupCommit,
    private readonly checkTimer: NodeJS.Timeout,
  ) {
    Object.assign(
      this,
      postgresUsers(pool),
      postgresSessions(pool),
      postgresMessages(pool, writer, feed),
      postgresRooms(pool, writer),
      postgresReads(pool),
      postgresEdits(pool, writer),
      postgresModeration(pool),
    );
  }

  /** Connects, applies pending migrations (safe when several nodes start at once) and starts listening. */
  static async open(url: string, options: PostgresOptions = {}): Promise<PostgresStore> {
    const name = options.applicationName ?? 'chat';
    const report = options.onError ?? ((err: Error) => console.error('PostgresStore:', err));
    const timeouts: Timeouts = {
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      queryTimeoutMs: options.queryTimeoutMs ?? 30_000,
      idleTimeoutMs: options.idleTimeoutMs ?? 30_000,
    };
    const { pool, listen, end } = connections(url, options.poolSize ?? 10, name, timeouts, report);
    const storeId = randomUUID();
    let feed: CommitFeed | undefined;
    try {
      await migrate(pool);
      const { listener, head } = await CommitListener.start(listen, {
        // Until the feed exists, notifications are of commits up to the head it starts from.
        notice: (payload) => feed?.notified(payload),
        reconnected: (head) => feed?.seen(head),
        report,
      });
      feed = new CommitFeed(head, storeId, () => writer.kick(), report);
      const writer = new GroupCommit(pool, feed, storeId);
      const check = setInterval(() => {
        pool.query<{ last_id: number }>('SELECT last_id FROM log_head').then((r) => feed!.seen(r.rows[0].last_id), report);
        listener.probe(); // a LISTEN connection that stopped answering is replaced (it would never say so)
      }, options.checkIntervalMs ?? 5000);
      check.unref();
      return new PostgresStore(pool, end, listener, feed, writer, check);
    } catch (err) {
      await end();
      throw err;
    }
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async durability(): Promise<Durability> {
    const { rows } = await this.pool.query<{ name: string; setting: string }>(
      "SELECT name, setting FROM pg_settings WHERE name IN ('synchronous_commit', 'fsync') ORDER BY name",
    );
    return { engine: 'postgres', settings: Object.fromEntries(rows.map((r) => [r.name, r.setting])) };
  }

  /** Commits what is queued (and tells it), stops listening and closes every connection. Idempotent. */
  close(): Promise<void> {
    return (this.closing ??= (async () => {
      clearInterval(this.checkTimer);
      await this.writer.close();
      this.feed.close();
      await this.listener.stop();
      await this.endConnections();
    })());
  }
}
