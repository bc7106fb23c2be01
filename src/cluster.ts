/**
 * Cluster mode (REDIS_URL set): what the nodes behind one proxy share, built before the app (issue 10).
 *
 * - Messages do not travel through Redis. Every node's PostgresStore hears every commit, in commit order, from
 *   the database itself (store/postgres/: LISTEN/NOTIFY with catch-up from the table), and delivers it to its
 *   own sockets (realtime/delivery.ts). So a Redis outage cannot make a client miss a message, and each node
 *   delivers in id order, which the resume cursor relies on (docs/protocol.md, "The delivery guarantee").
 * - Everything else that crosses nodes goes through the Socket.IO Redis Streams adapter: presence and typing
 *   events, msg1 notices, POST /api/push, and room operations (disconnecting a retired user's sockets). Each
 *   node's own sockets get these at once, whatever Redis does; what waits for Redis is bounded, and events older
 *   than CLUSTER_EVENT_MAX_AGE_SECONDS are dropped rather than delivered late (cluster-events.ts, issue 16).
 * - Presence is RedisPresence (presence/redis.ts); rate limits count in Redis (limits/rate-limits.ts), on a
 *   connection of their own that fails fast, so that a node without Redis still takes messages at once.
 * - A node starts without Redis (after waiting briefly for it), serves messages, and joins the others once
 *   Redis answers: presence syncs then, the adapter's connections connect then.
 */
import { createAdapter } from '@socket.io/redis-streams-adapter';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from './config';
import { defaultNodeId } from './presence/node-id';
import { RedisPresence } from './presence/redis';
import { localFirst, type ClusterEventStats } from './cluster-events';

export interface Cluster {
  nodeId: string;
  /** The connection the adapter publishes on (it and presence open their own copies for reading). */
  redis: Redis;
  /**
   * The rate limits' connection: never queues nor retries a command, so with Redis unreachable a count fails at
   * once and the limiter's in-memory insurance answers instead (limits/rate-limits.ts).
   */
  limitsRedis: Redis;
  adapter: ReturnType<typeof localFirst>['adapter'];
  /** What waits for Redis, and what was dropped (for /metrics). */
  events: () => ClusterEventStats;
  presence: RedisPresence;
  /** Closes the connections; call after the app has closed (the adapter closes with Socket.IO). */
  close(): Promise<void>;
}

/** Stream and key prefixes: one Redis may serve other applications too. */
const PREFIX = 'chat';

/**
 * How long a rate-limit count may wait for a Redis that is connected but not answering (a network that drops
 * packets without closing the connection) before the node's stand-in decides. Healthy Redis answers in well
 * under a millisecond; this only bounds the stall.
 */
const LIMITS_COMMAND_TIMEOUT_MS = 500;

/** How long a starting node waits for Redis before it starts without it (issue 16). */
const START_WAIT_MS = 2000;

export async function joinCluster(config: Config & { redisUrl: string }, log: Logger): Promise<Cluster> {
  const nodeId = config.nodeId ?? defaultNodeId({ host: config.host, port: config.port });
  // ioredis reconnects by itself; the adapter's stream reads wait in this connection's offline queue meanwhile.
  const redis = new Redis(config.redisUrl, { lazyConnect: false, maxRetriesPerRequest: null });
  redis.on('error', (err) => log.warn({ err: err.message }, 'redis connection trouble'));
  redis.on('ready', () => log.info({ nodeId }, 'redis ready'));
  // A queued count would hold up the send, login or connection waiting for it (every one of them is counted)
  // until Redis is back. So no offline queue, no retry (maxRetriesPerRequest 0 also fails the commands in
  // flight when the connection drops, instead of resending them later) and a timeout.
  const limitsRedis = redis.duplicate({
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: LIMITS_COMMAND_TIMEOUT_MS,
  });
  limitsRedis.on('error', (err) => log.debug({ err: err.message }, 'rate limits: redis connection trouble'));
  limitsRedis.on('ready', () => log.info({ nodeId }, 'redis ready (rate limits)'));
  const presence = await RedisPresence.start({ redis, nodeId, prefix: `${PREFIX}:presence:`, log, startTimeoutMs: START_WAIT_MS, redisOptional: true });
  // The adapter publishes on a connection of its own that neither queues nor resends (what waits for Redis is
  // the outbox's to bound, and a publication lost with the connection would be stale if sent again later:
  // cluster-events.ts); the copies it makes to read the stream and subscribe are copies of `redis`, which wait
  // for Redis (a reader that failed at once while Redis is away would spin).
  const publisher = redis.duplicate({ enableOfflineQueue: false, maxRetriesPerRequest: 0, autoResendUnfulfilledCommands: false });
  publisher.on('error', (err) => log.debug({ err: err.message }, 'cluster events: redis connection trouble'));
  publisher.duplicate = (override) => redis.duplicate(override);
  // The adapter never waits for a Pub/Sub publication (a server-side emit: presence hints), so one that fails
  // (the connection lost while it was in flight) would be an unhandled rejection, which ends the process. It
  // is lost like any ephemeral event instead.
  const publish = publisher.publish.bind(publisher) as (...args: unknown[]) => Promise<number>;
  publisher.publish = ((...args: unknown[]) => {
    const sent = publish(...args);
    sent.catch((err: Error) => log.debug({ err: err.message }, 'cluster events: a publication was lost with the connection'));
    return sent;
  }) as typeof publisher.publish;
  const streams = createAdapter(publisher, { streamName: `${PREFIX}:socket.io`, channelPrefix: `${PREFIX}:socket.io`, blockTimeInMs: 1000 });
  const { adapter, stats } = localFirst(streams, { redis: publisher, maxAgeMs: config.clusterEventMaxAgeMs, log });
  log.info({ nodeId, redis: redis.status }, 'joined the cluster');
  return {
    nodeId,
    redis,
    limitsRedis,
    adapter,
    events: stats,
    presence,
    async close() {
      await presence.close();
      limitsRedis.disconnect();
      publisher.disconnect();
      redis.disconnect();
    },
  };
}
