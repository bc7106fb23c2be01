/**
 * Child process: one node of the project's server as a user runs it, composed as src/index.ts composes it —
 * the store the configuration names (openStore), cluster mode when a Redis is named (joinCluster), then
 * createApp — with schema validation, logging at `warn` and rate limits off, listening on an ephemeral port of
 * 127.0.0.1. BENCH_DATABASE_URL is the DATABASE_URL (a SQLite file, or postgres://…); BENCH_REDIS_URL, when
 * set, makes it a cluster node named BENCH_NODE_ID.
 */
import { createApp } from '../src/app';
import { joinCluster } from '../src/cluster';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/log';
import { openStore } from '../src/store';
import { serveControl } from './child-control';

async function main(): Promise<void> {
  const { BENCH_DATABASE_URL: database, BENCH_REDIS_URL: redis, BENCH_NODE_ID: nodeId } = process.env;
  if (!database) throw new Error('BENCH_DATABASE_URL must name the store');
  // RATE_LIMITS=off: every generated client shares one address and sends far beyond a human's rate.
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: database,
    LOG_LEVEL: 'warn',
    RATE_LIMITS: 'off',
    ...(redis && { REDIS_URL: redis, NODE_ID: nodeId }),
  });
  const log = createLogger(config.logLevel);
  const store = await openStore(config.storage, { onError: (err) => log.warn({ err }, 'storage trouble (recovering)') });
  const cluster = config.redisUrl === undefined ? undefined : await joinCluster({ ...config, redisUrl: config.redisUrl }, log);
  const app = createApp(config, { log, store, presence: cluster?.presence, adapter: cluster?.adapter, redis: cluster?.redis });
  serveControl(await app.listen());
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
