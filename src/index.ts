/**
 * The process entry point: reads the configuration (environment, plus `.env` when present), starts the
 * server, and shuts it down cleanly on SIGTERM/SIGINT.
 */
import fs from 'node:fs';
import { createApp } from './app';
import { ConfigError, loadConfig } from './config';
import { createLogger } from './log';
import { joinCluster } from './cluster';
import { openStore } from './store';

/** How long a graceful shutdown may take before the process exits anyway. */
const SHUTDOWN_DEADLINE_MS = 10_000;

async function main(): Promise<void> {
  if (fs.existsSync('.env')) process.loadEnvFile('.env');
  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      // Before the configuration is known the log level is not either; refusing to start is worth a line anyway.
      createLogger('info').fatal({ problems: err.problems }, err.message);
      process.exit(2);
    }
    throw err;
  }

  const log = createLogger(config.logLevel);
  const store = await openStore(config.storage, { onError: (err) => log.warn({ err }, 'storage trouble (recovering)') });
  // Cluster mode (REDIS_URL): the adapter, presence and rate limits go through Redis (cluster.ts).
  const cluster = config.redisUrl === undefined ? undefined : await joinCluster({ ...config, redisUrl: config.redisUrl }, log);
  const app = createApp(config, {
    log,
    store,
    presence: cluster?.presence,
    adapter: cluster?.adapter,
    redis: cluster?.limitsRedis,
    clusterEvents: cluster?.events,
  });
  // Node prints its warnings (deprecations, listener leaks) to stderr; everything the server says goes to the log.
  process.removeAllListeners('warning');
  process.on('warning', (warning) => app.services.log.warn({ err: warning }, 'process warning'));
  await app.listen();

  const shutdown = (signal: NodeJS.Signals) => {
    app.services.log.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => {
      app.services.log.error('shutdown deadline passed; exiting');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    app.close().then(
      async () => {
        await cluster?.close();
        process.exit(0);
      },
      (err) => {
        app.services.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main().catch((err) => {
  createLogger('info').fatal({ err }, 'the server could not start');
  process.exit(1);
});
