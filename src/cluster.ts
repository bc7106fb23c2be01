/**
 * Cluster mode (REDIS_URL set): what the nodes behind one proxy share, built before the app (issue 10).
 *
 * - Messages do not travel through Redis. Every node's PostgresStore hears every commit, in commit order, from
 *   the database itself (store/postgres.ts: LISTEN/NOTIFY with catch-up from the table), and delivers it to its
 *   own sockets (realtime/delivery.ts). So a Redis outage cannot make a client miss a message, and each node
 *   delivers in id order, which the resume cursor relies on (docs/protocol.md, "The delivery guarantee").
 * - Everything else that crosses nodes goes through the Socket.IO Redis Streams adapter: presence and typing
 *   events, msg1 notices, POST /api/push, and room operations (disconnecting a retired user's sockets). It reads
 *   one Redis stream from the last offset it saw, so a short Redis outage delays these events instead of
 *   dropping them (the Pub/Sub adapter would drop them).
 * - Presence is RedisPresence (presence/redis.ts); rate limits count in Redis (limits/rate-limits.ts).
 */
import { createAdapter } from '@socket.io/redis-streams-adapter';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from './config';
import { defaultNodeId } from './presence/node-id';
import { RedisPresence } from './presence/redis';

export interface Cluster {
  nodeId: string;
  /** The connection rate limits and the adapter use (the adapter and presence open their own copies). */
  redis: Redis;
  adapter: ReturnType<typeof createAdapter>;
  presence: RedisPresence;
  /** Closes the connections; call after the app has closed (the adapter closes with Socket.IO). */
  close(): Promise<void>;
}

/** Stream and key prefixes: one Redis may serve other applications too. */
const PREFIX = 'chat';

export async function joinCluster(config: Config & { redisUrl: string }, log: Logger): Promise<Cluster> {
  const nodeId = config.nodeId ?? defaultNodeId(config.port === 0 ? undefined : config.port);
  // ioredis reconnects by itself; commands wait in its offline queue meanwhile (the adapter's stream writes
  // and the rate limiter's counters), which is what carries them over a short outage.
  const redis = new Redis(config.redisUrl, { lazyConnect: false, maxRetriesPerRequest: null });
  redis.on('error', (err) => log.warn({ err: err.message }, 'redis connection trouble'));
  redis.on('ready', () => log.info({ nodeId }, 'redis ready'));
  const presence = await RedisPresence.start({ redis, nodeId, prefix: `${PREFIX}:presence:`, log });
  const adapter = createAdapter(redis, { streamName: `${PREFIX}:socket.io`, channelPrefix: `${PREFIX}:socket.io`, blockTimeInMs: 1000 });
  log.info({ nodeId }, 'joined the cluster');
  return {
    nodeId,
    redis,
    adapter,
    presence,
    async close() {
      await presence.close();
      redis.disconnect();
    },
  };
}
