/**
 * Cross-node events that never wait for Redis (issue 16). The Redis Streams adapter publishes an event to Redis
 * and only then delivers it to this node's own sockets, on a connection that queues without bound while Redis
 * is away: a typing notice between two sockets of one node waited for Redis to come back, an outage piled up
 * every event in memory (96,000 typing events: +208 MB), and a socket that connected after it was sent them
 * all. Wrapped here, each adapter:
 * - answers its publish at once, so this node's sockets get every event immediately, whatever Redis does;
 * - keeps what is to be published in an outbox, sent in order while the connection is ready, at most
 *   OUTBOX_MAX_EVENTS of them (the oldest dropped beyond) and, for events (broadcasts and server-side emits:
 *   typing, presence, notices), none older than `maxAgeMs` (dropped as stale);
 * - stamps each event with the time it happened; a node that reads it from the stream drops it when it is older
 *   than `maxAgeMs`, and otherwise, when it comes late, delivers it only to the sockets that were already
 *   connected when it happened: nobody is sent what happened before they connected (a node that reads again
 *   after an outage used to replay everything to sockets that connected meanwhile). Times are the nodes'
 *   clocks (and Redis's for an event without a stamp): keep them in sync.
 * Room operations and disconnections (a securing owner ending an intruder's connection) are not events: they
 * are never dropped for their age, only beyond the outbox's bound.
 *
 * Messages never travel this way: every node hears them from PostgreSQL (cluster.ts), untouched by this.
 */
import type { Redis } from 'ioredis';
import type { Namespace } from 'socket.io';
import { MessageType, type ClusterAdapter, type ClusterMessage } from 'socket.io-adapter';
import type { Logger } from 'pino';

/** Events waiting for Redis at most; beyond, the oldest is dropped. */
export const OUTBOX_MAX_EVENTS = 1000;
/** Publications in flight on the connection at once (pipelined, so in order). */
const MAX_IN_FLIGHT = 64;
/** An event read this much after it happened is late: sockets that connected since do not get it. */
const LATE_MS = 200;

/** Message types that are events a person sees: stale after a few seconds. */
const EVENTS: ReadonlySet<number> = new Set([MessageType.BROADCAST, MessageType.SERVER_SIDE_EMIT]);

export interface ClusterEventStats {
  /** Waiting for Redis now. */
  queued: number;
  /** Dropped so far: stale, beyond the bound, or lost with the connection. */
  dropped: number;
}

type Adapter = ClusterAdapter & {
  doPublish(message: ClusterMessage): Promise<string>;
  onRawMessage(raw: RawMessage, offset: string): void;
};

/** A stream entry as the adapter reads it: `data` is JSON for events (they never carry binary here). */
interface RawMessage {
  type: string;
  data?: string;
}

/** What an event's JSON data holds that matters here. */
interface EventData {
  /** When it happened, by the publishing node's clock (stamped below). */
  happenedAt?: number;
  /** A broadcast's options, encoded: socket ids in `except` are left out. */
  opts?: { except?: string[] };
}

export interface LocalFirstOptions {
  /**
   * The adapter's publishing connection, which must neither queue nor resend (enableOfflineQueue false,
   * maxRetriesPerRequest 0, autoResendUnfulfilledCommands false): the outbox sends only while it is ready, and a
   * publication lost with it fails and is counted as dropped.
   */
  redis: Redis;
  maxAgeMs: number;
  log: Pick<Logger, 'warn' | 'info'>;
  now?: () => number;
}

/**
 * Wraps the adapters `create` makes (one per namespace) as described above; `stats` covers all of them.
 */
export function localFirst(create: (nsp: Namespace) => unknown, options: LocalFirstOptions) {
  const outboxes = new Set<Outbox>();
  const now = options.now ?? Date.now;
  // A function, not an arrow: Socket.IO calls it with `new` (the object it returns is the adapter).
  const adapter = function (nsp: Namespace) {
    const inner = create(nsp) as Adapter;
    const outbox = new Outbox(inner.doPublish.bind(inner), options);
    outboxes.add(outbox);
    inner.doPublish = (message) => {
      if (EVENTS.has(message.type)) Object.assign(message, { data: { ...(message as { data: object }).data, happenedAt: now() } });
      outbox.push(message);
      return Promise.resolve(''); // the offset only matters to connection state recovery, which is off
    };
    const read = inner.onRawMessage.bind(inner);
    inner.onRawMessage = (raw, offset) => {
      if (!EVENTS.has(Number(raw.type)) || !raw.data?.startsWith('{')) return read(raw, offset);
      const data = JSON.parse(raw.data) as EventData;
      const happenedAt = data.happenedAt ?? Number(offset.split('-')[0]);
      if (outbox.stale(happenedAt)) return outbox.drop(1);
      if (now() - happenedAt < LATE_MS || !data.opts) return read(raw, offset);
      // Late: not for the sockets that connected after it happened.
      const since = [...nsp.sockets.values()].filter((socket) => socket.handshake.issued > happenedAt).map((socket) => socket.id);
      if (since.length === 0) return read(raw, offset);
      data.opts.except = [...(data.opts.except ?? []), ...since];
      read({ ...raw, data: JSON.stringify(data) }, offset);
    };
    const close = inner.close.bind(inner);
    inner.close = () => {
      outboxes.delete(outbox);
      outbox.close();
      return close();
    };
    return inner;
  };
  const stats = (): ClusterEventStats => {
    let queued = 0;
    let dropped = 0;
    for (const outbox of outboxes) {
      queued += outbox.queued;
      dropped += outbox.dropped;
    }
    return { queued, dropped };
  };
  return { adapter, stats };
}

/** What one adapter has to publish, in order, bounded in count and (for events) in age. */
class Outbox {
  private readonly waiting: Array<{ message: ClusterMessage; at: number }> = [];
  private inFlight = 0;
  dropped = 0;
  private readonly now: () => number;
  private droppedSinceReady = 0;
  private readonly pump = () => {
    if (this.droppedSinceReady > 0) {
      this.options.log.warn({ dropped: this.droppedSinceReady, queued: this.waiting.length }, 'Redis is back; cluster events dropped while it was away (stale or beyond the bound)');
      this.droppedSinceReady = 0;
    }
    this.send();
  };

  constructor(
    private readonly publish: (message: ClusterMessage) => Promise<string>,
    private readonly options: LocalFirstOptions,
  ) {
    this.now = options.now ?? Date.now;
    options.redis.on('ready', this.pump);
  }

  get queued(): number {
    return this.waiting.length;
  }

  push(message: ClusterMessage): void {
    if (this.waiting.length >= OUTBOX_MAX_EVENTS) this.drop(this.waiting.splice(0, 1).length);
    this.waiting.push({ message, at: this.now() });
    this.send();
  }

  /** Whether an event from `at` (epoch ms) is too old to show anyone. */
  stale(at: number): boolean {
    return this.now() - at > this.options.maxAgeMs;
  }

  drop(count: number): void {
    this.dropped += count;
    this.droppedSinceReady += count;
  }

  close(): void {
    this.options.redis.off('ready', this.pump);
  }

  private send(): void {
    while (this.options.redis.status === 'ready' && this.inFlight < MAX_IN_FLIGHT && this.waiting.length > 0) {
      const { message, at } = this.waiting.shift()!;
      if (EVENTS.has(message.type) && this.stale(at)) {
        this.drop(1);
        continue;
      }
      this.inFlight++;
      this.publish(message)
        .catch(() => this.drop(1)) // lost with the connection: not resent later, when it would be stale
        .finally(() => {
          this.inFlight--;
          this.send();
        });
    }
  }
}
