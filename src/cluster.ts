/**
 * Cluster mode (REDIS_URL set): what the nodes behind one proxy share, built before the app (issue 10).
 *
 * - Messages do not travel through Redis. Every node's PostgresStore hears every commit, in commit order, from
 *   the database itself (store/postgres/: LISTEN/NOTIFY with catch-up from the table), and delivers it to its
 *   own sockets (realtime/delivery.ts). So a Redis outage cannot make a client miss a message, and each node
 *   delivers in id order, which the resume cursor relies on (docs/protocol.md, "The delivery guarantee").
 * - Everything else that crosses nodes goes through the Socket.IO Redis Streams adapter: presence and typing
 *   events, msg1 notices, POST /api/push, and room operations (disconnecting a retired user's sockets). It reads
 *   one Redis stream from the last offset it saw, so a short Redis outage delays these events instead of
 *   dropping them (the Pub/Sub adapter would drop them).
 * - Presence is RedisPresence (presence/redis.ts); rate limits count in Redis (limits/rate-limits.ts), on a
 *   connection of their own that fails fast, so that a node without Redis still takes messages at once.
 */
import { createAdapter } from '@socket.io/redis-streams-adapter';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from './config';
import { defaultNodeId } from './presence/node-id';
import { RedisPresence } from './presence/redis';

export interface Cluster {
  nodeId: string;
  /** The connection the adapter publishes on (it and presence open their own copies for reading). */
  redis: Redis;
  /**
   * The rate limits' connection: never queues nor retries a command, so with Redis unreachable a count fails at
   * once and the limiter's in-memory insurance answers instead (limits/rate-limits.ts).
   */
  limitsRedis: Redis;
  adapter: ReturnType<typeof createAdapter>;
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

export async function joinCluster(config: Config & { redisUrl: string }, log: Logger): Promise<Cluster> {
  const nodeId = config.nodeId ?? defaultNodeId({ host: config.host, port: config.port });
  // ioredis reconnects by itself; the adapter's stream writes wait in its offline queue meanwhile, which is
  // what carries them over a short outage.
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
  const presence = await RedisPresence.start({ redis, nodeId, prefix: `${PREFIX}:presence:`, log });
  const adapter = createAdapter(redis, { streamName: `${PREFIX}:socket.io`, channelPrefix: `${PREFIX}:socket.io`, blockTimeInMs: 1000 });
  log.info({ nodeId }, 'joined the cluster');
  return {
    nodeId,
    redis,
    limitsRedis,
    adapter,
    presence,
    async close() {
      await presence.close();
      limitsRedis.disconnect();
      redis.disconnect();
    },
  };
}
