import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { ChatMessage, PrivateMessage, PublicMessage } from '../protocol';
import { connections, inTransaction, type Timeouts } from './postgres-connection';
import { CommitFeed } from './postgres-feed';
import { CommitListener } from './postgres-listen';
import { BatchedLookup } from './postgres-lookups';
import { migrate } from './postgres-migrate';
import { GroupCommit } from './postgres-writer';
import type {
  Appended,
  ChatStore,
  Committed,
  NewMessage,
  NewPrivateMessage,
  NewUser,
  Page,
  PageQuery,
  UserPageQuery,
  UserRecord,
} from './store';
import { legacyKey } from '../names';

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

/**
 * ChatStore on PostgreSQL, for several nodes sharing one database; each node opens its own store.
 *
 * How it keeps the guarantees of ChatStore across nodes:
 * - Ordering: ids come from the one-row table `log_head`, whose row lock every append transaction takes and
 *   holds until it commits; so ids are assigned in commit order, without gaps (a message that fails or is a
 *   duplicate rolls back to its savepoint, its id with it), and a reader that sees an id sees all lower ones.
 * - Group commit: the appends of one turn of the event loop, or that arrived while a batch was in flight, are
 *   one call of `chat_append` (postgres-schema.ts): one statement and one commit, a savepoint per message, so
 *   the lock is held for no network round trip. See GroupCommit (postgres-writer.ts).
 * - Feed: every node is told of every commit by LISTEN/NOTIFY, and catches up from the table when it sees a
 *   jump, after reconnecting, and on a periodic read of the head. See CommitFeed (postgres-feed.ts).
 * - Idempotency: the unique index on (sender_id, client_id); the loser of a race reads the original.
 * - Identity: the partial unique index on name_key among active users; retirement and login update the same
 *   row, so PostgreSQL's row lock decides which one comes first and the other's condition is re-checked.
 * - Durability: a commit is acked by PostgreSQL (with its default synchronous_commit = on, after the WAL is
 *   flushed) before any promise resolves.
 */
export class PostgresStore implements ChatStore {
  private closing: Promise<void> | undefined;
  /** Active users by key, looked up in batches (postgres-lookups.ts): privateMsg finds its recipient so. */
  private readonly usersByKey: BatchedLookup<UserRecord>;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly endConnections: () => Promise<void>,
    private readonly listener: CommitListener,
    private readonly feed: CommitFeed,
    private readonly writer: GroupCommit,
    private readonly checkTimer: NodeJS.Timeout,
  ) {
    this.usersByKey = new BatchedLookup(pool, `${SELECT_USER} WHERE name_key = ANY($1::text[]) AND retired_at IS NULL`, (u) => u.key);
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

  findUser(key: string): Promise<UserRecord | undefined> {
    return this.usersByKey.find(key);
  }

  async findUserByToken(tokenHash: string): Promise<UserRecord | undefined> {
    if (tokenHash === '') return undefined;
    return (await this.pool.query<UserRecord>(`${SELECT_USER} WHERE token_hash = $1 AND retired_at IS NULL`, [tokenHash])).rows[0];
  }

  createUser(user: NewUser): Promise<UserRecord | undefined> {
    const created = inTransaction(this.pool, async (tx) => {
      const { replacing } = user;
      if (replacing !== undefined) {
        // If the owner logged in meanwhile (on any node), this waits for that commit and then matches nothing.
        const retired = await tx.query(
          'UPDATE users SET retired_at = $1 WHERE id = $2 AND retired_at IS NULL AND last_seen_at < $3',
          [user.now, replacing.id, replacing.seenBefore],
        );
        if (retired.rowCount === 0) return undefined;
      }
      const { rows } = await tx.query<UserRecord>(
        `INSERT INTO users (name, name_key, sort_key, token_hash, created_at, last_seen_at, provisional)
         VALUES ($1, $2, $3, $4, $5, $5, $6)
         ON CONFLICT (name_key) WHERE retired_at IS NULL DO NOTHING
         RETURNING ${USER_COLUMNS}`,
        [user.name, user.key, legacyKey(user.name), user.tokenHash, user.now, user.provisional],
      );
      return rows[0]; // none: another node holds the key (its insert committed first)
    });
    // ON CONFLICT covers the races we know of; a unique violation all the same means the key is held too.
    return created.catch((err: { code?: string }) => (err.code === UNIQUE_VIOLATION ? undefined : Promise.reject(err)));
  }

  async touchUser(id: number, now: number, proven: boolean): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `UPDATE users SET last_seen_at = GREATEST(last_seen_at, $1), provisional = provisional AND NOT $3
       WHERE id = $2 AND retired_at IS NULL AND ($3 OR provisional)`,
      [now, id, proven],
    );
    return rowCount !== null && rowCount > 0;
  }

  async seenUsers(ids: number[], now: number): Promise<void> {
    if (ids.length === 0) return;
    // Sorted, so two nodes updating overlapping sets lock the rows in one order and cannot deadlock.
    const sorted = [...new Set(ids)].sort((x, y) => x - y);
    await this.pool.query(
      'UPDATE users SET last_seen_at = GREATEST(last_seen_at, $1) WHERE id = ANY($2::bigint[]) AND last_seen_at > 0',
      [now, sorted],
    );
  }

  async releaseUser(id: number): Promise<void> {
    await this.pool.query('UPDATE users SET last_seen_at = 0 WHERE id = $1', [id]);
  }

  async listUsers({ after, limit }: UserPageQuery): Promise<{ users: Array<{ id: number; name: string }>; hasMore: boolean }> {
    const { rows } = await this.pool.query<{ id: number; name: string }>(
      `SELECT id, name FROM users WHERE retired_at IS NULL AND (sort_key, name COLLATE "C") > ($1, $2 COLLATE "C")
       ORDER BY sort_key, name COLLATE "C" LIMIT $3`,
      [after === undefined ? '' : legacyKey(after), after ?? '', limit + 1],
    );
    return { users: rows.slice(0, limit), hasMore: rows.length > limit };
  }

  appendPublic(m: NewMessage): Promise<Appended<PublicMessage>> {
    return this.writer.append({ ...m, recipient: null }) as Promise<Appended<PublicMessage>>;
  }

  appendPrivate(m: NewPrivateMessage): Promise<Appended<PrivateMessage>> {
    return this.writer.append(m) as Promise<Appended<PrivateMessage>>;
  }

  onCommitted(listener: (committed: Committed) => void): () => void {
    return this.feed.subscribe(listener);
  }

  async publicHistory(query: PageQuery): Promise<Page<PublicMessage>> {
    const { rows } = await this.pool.query<PublicMessage>(
      `SELECT id, sender_name AS "from", body AS text, created_at AS ts FROM messages
       WHERE recipient_id IS NULL AND id < $1 ORDER BY id DESC LIMIT $2`,
      [query.before ?? Number.MAX_SAFE_INTEGER, query.limit + 1],
    );
    return newestPage(rows, query.limit);
  }

  async conversation(a: number, b: number, query: PageQuery): Promise<Page<PrivateMessage>> {
    const { rows } = await this.pool.query<PrivateMessage>(
      `${SELECT_MESSAGE} WHERE ((sender_id = $1 AND recipient_id = $2) OR (sender_id = $2 AND recipient_id = $1))
         AND id < $3 ORDER BY id DESC LIMIT $4`,
      [a, b, query.before ?? Number.MAX_SAFE_INTEGER, query.limit + 1],
    );
    return newestPage(rows, query.limit);
  }

  async undelivered(recipient: number, after: number, limit: number): Promise<PrivateMessage[]> {
    const { rows } = await this.pool.query<PrivateMessage>(
      `${SELECT_MESSAGE} WHERE recipient_id = $1 AND NOT delivered AND id > $2 ORDER BY id LIMIT $3`,
      [recipient, after, limit],
    );
    return rows;
  }

  async markDelivered(recipient: number, ids: number[]): Promise<void> {
    if (ids.length === 0) return;
    await this.pool.query(
      'UPDATE messages SET delivered = true WHERE id = ANY($1::bigint[]) AND recipient_id = $2 AND NOT delivered',
      [ids, recipient],
    );
  }

  async since(reader: number | undefined, after: number, limit: number): Promise<Page<ChatMessage>> {
    const { rows } =
      reader === undefined
        ? await this.pool.query<MessageRow>(`${SELECT_MESSAGE} WHERE recipient_id IS NULL AND id > $1 ORDER BY id LIMIT $2`, [after, limit + 1])
        : await this.pool.query<MessageRow>(
            `${SELECT_MESSAGE} WHERE id > $1 AND (recipient_id IS NULL OR sender_id = $2 OR recipient_id = $2)
             ORDER BY id LIMIT $3`,
            [after, reader, limit + 1],
          );
    return { messages: rows.slice(0, limit).map(toMessage), hasMore: rows.length > limit };
  }

  async prune(cutoffTs: number): Promise<number> {
    // One statement, so pruned_through covers exactly the rows it deleted, whatever commits meanwhile.
    const { rows } = await this.pool.query<{ removed: number }>(
      `WITH gone AS (DELETE FROM messages WHERE created_at < $1 RETURNING id),
            mark AS (INSERT INTO meta (key, value) SELECT 'pruned_through', max(id) FROM gone HAVING count(*) > 0
                     ON CONFLICT (key) DO UPDATE SET value = GREATEST(meta.value, excluded.value))
       SELECT count(*) AS removed FROM gone`,
      [cutoffTs],
    );
    return rows[0].removed;
  }

  async prunedThrough(): Promise<number> {
    const { rows } = await this.pool.query<{ value: number }>("SELECT value FROM meta WHERE key = 'pruned_through'");
    return rows[0]?.value ?? 0;
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
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

const UNIQUE_VIOLATION = '23505';

const USER_COLUMNS =
  'id, name, name_key AS key, token_hash AS "tokenHash", created_at AS "createdAt", last_seen_at AS "lastSeenAt", provisional';
const SELECT_USER = `SELECT ${USER_COLUMNS} FROM users`;
const SELECT_MESSAGE = 'SELECT id, sender_name AS "from", recipient_name AS "to", body AS text, created_at AS ts FROM messages';

interface MessageRow {
  id: number;
  from: string;
  to: string | null;
  text: string;
  ts: number;
}

function toMessage(row: MessageRow): ChatMessage {
  const { to, ...rest } = row;
  return to === null ? rest : { ...rest, to };
}

/** Rows arrive newest first, one more than asked for; returns the page oldest first. */
function newestPage<T>(rows: T[], limit: number): Page<T> {
  return { messages: rows.slice(0, limit).reverse(), hasMore: rows.length > limit };
}
