import pg from 'pg';
import { destroyConnection } from './connection';
import { COMMIT_CHANNEL } from './schema';

export interface ListenHandlers {
  /** A commit notification's payload. */
  notice(payload: string): void;
  /**
   * The connection is back after a loss, with the head read after LISTEN: notifications sent while it was down
   * are lost, and everything up to this head must be caught up from the table.
   */
  reconnected(head: number): void;
  report(err: Error): void;
}

const RETRY_FIRST_MS = 50;
const RETRY_MAX_MS = 5000;

/**
 * The dedicated connection that LISTENs for commits (a pooled one would be handed to other queries). When it
 * is lost it reconnects, at once and then with a growing delay, until `stop`.
 */
export class CommitListener {
  private client: pg.Client | undefined;
  private connecting: Promise<number> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  private constructor(
    private readonly config: pg.ClientConfig,
    private readonly on: ListenHandlers,
  ) {}

  /** Connects and LISTENs; resolves with the listener and the head read once LISTEN was in place. */
  static async start(config: pg.ClientConfig, on: ListenHandlers): Promise<{ listener: CommitListener; head: number }> {
    const listener = new CommitListener(config, on);
    const head = await listener.connect();
    return { listener, head };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    await this.connecting?.catch(() => undefined);
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    // Closing: an error here has nobody left to matter to; a server that stopped answering may never let the
    // connection finish closing, so after the connect timeout its socket is destroyed.
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.config.connectionTimeoutMillis ?? 10_000)));
    await Promise.race([client.end().catch(() => undefined), late]);
    clearTimeout(timer);
    destroyConnection(client);
  }

  /**
   * Asks the LISTEN connection a trivial question (bounded by its query timeout); when it gets no answer, the
   * connection is closed, which reconnects it and catches up from the table. A connection nothing is sent on
   * would otherwise never notice a server that stopped answering (issue 16).
   */
  probe(): void {
    const client = this.client;
    if (!client) return;
    client.query('SELECT 1').catch((err: Error) => {
      if (client !== this.client) return;
      this.on.report(new Error(`commit feed connection not answering (${err.message}); replacing it`));
      destroyConnection(client);
    });
  }

  private connect(): Promise<number> {
    const attempt = (async () => {
      const client = new pg.Client(this.config);
      client.on('error', (err) => this.on.report(err)); // without a handler, a lost connection crashes the process
      client.on('end', () => this.lost(client));
      client.on('notification', (n) => {
        if (n.channel === COMMIT_CHANNEL && n.payload !== undefined) this.on.notice(n.payload);
      });
      try {
        await client.connect();
        // Notifications from here on reach us; the head read after it covers everything before.
        await client.query(`LISTEN ${COMMIT_CHANNEL}`);
        const { rows } = await client.query<{ last_id: number }>('SELECT last_id FROM log_head');
        if (this.stopped) throw new Error('stopped');
        this.client = client;
        return rows[0].last_id;
      } catch (err) {
        await client.end().catch(() => undefined);
        throw err;
      }
    })();
    this.connecting = attempt;
    return attempt.finally(() => {
      if (this.connecting === attempt) this.connecting = undefined;
    });
  }

  private lost(client: pg.Client): void {
    if (client !== this.client || this.stopped) return;
    this.client = undefined;
    this.on.report(new Error('commit feed connection lost; reconnecting, then catching up from the table'));
    this.retry(0);
  }

  private retry(delayMs: number): void {
    this.retryTimer = setTimeout(() => {
      this.connect().then(
        (head) => this.on.reconnected(head),
        (err: Error) => {
          if (this.stopped) return;
          this.on.report(err);
          this.retry(Math.min(Math.max(delayMs * 2, RETRY_FIRST_MS), RETRY_MAX_MS));
        },
      );
    }, delayMs);
    this.retryTimer.unref();
  }
}
