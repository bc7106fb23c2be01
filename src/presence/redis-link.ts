import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { ADD, HEARTBEAT, REAP, REMOVE, RESYNC, SCAN, SETTLE } from './redis-scripts';

export type Reply = Array<string | number>;
type Args = Array<string | number>;
export type Connection = Redis & {
  presenceAdd(args: Args): Promise<number>;
  presenceRemove(args: Args): Promise<number>;
  presenceHeartbeat(args: Args): Promise<number>;
  presenceResync(args: Args): Promise<Reply>;
  presenceReap(args: Args): Promise<Reply>;
  presenceSettle(args: Args): Promise<Reply>;
  presenceScan(args: string[]): Promise<Reply>;
};

export type Log = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

/**
 * RedisPresence's own connection and the bookkeeping of its script calls. Each call has a sequence number;
 * it ends with a reply, or is *lost* when the connection closes first (it may or may not have run: the
 * scripts keep the transitions they reported under that number, and the next resync reads them). A call
 * waits at most `timeoutMs` for its caller's sake; a reply that arrives later is still handled.
 *
 * ioredis is told never to queue a call while disconnected nor to resend one after a reconnect: a resent
 * add could land after the resync that made it obsolete. So every call has a reply or is lost, nothing else.
 */
export class RedisLink {
  readonly conn: Connection;
  connected = false;
  private seq = 0;
  private readonly inFlight = new Map<number, () => void>();
  private readonly lostCalls = new Set<number>();

  constructor(
    redis: Redis | string,
    private readonly timeoutMs: number,
    private readonly log: Log,
    private readonly node: string,
    handlers: { ready: () => void; down: () => void },
  ) {
    const overrides = { lazyConnect: true, enableOfflineQueue: false, autoResendUnfulfilledCommands: false };
    this.conn = (typeof redis === 'string' ? new Redis(redis, overrides) : redis.duplicate(overrides)) as Connection;
    const scripts = { presenceAdd: ADD, presenceRemove: REMOVE, presenceHeartbeat: HEARTBEAT, presenceResync: RESYNC, presenceSettle: SETTLE };
    for (const [name, lua] of Object.entries(scripts)) this.conn.defineCommand(name, { lua, numberOfKeys: 9 });
    this.conn.defineCommand('presenceReap', { lua: REAP, numberOfKeys: 11 });
    this.conn.defineCommand('presenceScan', { lua: SCAN, numberOfKeys: 2, readOnly: true });
    this.conn.on('ready', () => {
      this.connected = true;
      handlers.ready();
    });
    this.conn.on('close', () => {
      const was = this.connected;
      this.connected = false;
      for (const lose of [...this.inFlight.values()]) lose();
      if (was) handlers.down();
    });
    this.conn.on('error', (err) => this.log.debug({ err, node }, 'presence: Redis connection error'));
  }

  /** Sequence numbers of lost calls not yet recovered by a resync. */
  get lost(): number[] {
    return [...this.lostCalls];
  }

  recovered(seqs: number[]): void {
    for (const seq of seqs) this.lostCalls.delete(seq);
  }

  /**
   * Sends one script call numbered `seq`; `floor` tells the script which older entries nobody needs any more.
   * Resolves with the reply, or undefined when it failed, was lost, or took longer than the timeout.
   * `onReply` runs for every reply, `late` when the caller was already answered undefined.
   */
  call<T>(
    send: (seq: number, floor: number) => Promise<T>,
    onReply: (reply: T, seq: number, late: boolean) => void,
    onLost?: () => void,
  ): Promise<T | undefined> {
    const seq = ++this.seq;
    const floor = this.floor(seq);
    return new Promise((resolve) => {
      let answered = false;
      const answer = (value: T | undefined) => {
        if (answered) return;
        answered = true;
        clearTimeout(timer);
        resolve(value);
      };
      const timer = setTimeout(() => {
        this.log.warn({ node: this.node, seq }, 'presence: Redis is slow; answering without it');
        answer(undefined);
      }, this.timeoutMs);
      const lose = () => {
        if (!this.inFlight.delete(seq)) return;
        this.lostCalls.add(seq);
        onLost?.();
        answer(undefined);
      };
      this.inFlight.set(seq, lose);
      send(seq, floor).then(
        (reply) => {
          if (!this.inFlight.delete(seq)) return;
          try {
            onReply(reply, seq, answered);
          } catch (err) {
            this.log.error({ err, node: this.node }, 'presence: handling a reply failed');
          }
          answer(reply);
        },
        (err) => {
          // Not run, or run without a reply we can read: the next resync settles which.
          this.log.warn({ err, node: this.node, seq }, 'presence: a Redis call failed');
          lose();
        },
      );
    });
  }

  /** A plain read, bounded by the timeout; undefined when Redis cannot answer now. */
  async read<T>(run: () => Promise<T>): Promise<T | undefined> {
    if (!this.connected) return undefined;
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(resolve, this.timeoutMs, undefined)));
      return await Promise.race([run(), timeout]);
    } catch (err) {
      this.log.warn({ err, node: this.node }, 'presence: a Redis read failed; answering from this node');
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  async quit(): Promise<void> {
    this.connected = false;
    await this.conn.quit().catch(() => this.conn.disconnect());
  }

  /** Every call up to the returned number has been answered, or was lost and recovered. */
  private floor(seq: number): number {
    let min = seq;
    for (const pending of this.inFlight.keys()) {
      min = Math.min(min, pending);
      break; // a Map iterates in insertion order, i.e. by seq
    }
    for (const lostSeq of this.lostCalls) min = Math.min(min, lostSeq);
    return min - 1;
  }
}
