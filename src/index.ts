/**
 * The process entry point: reads the configuration (environment, plus `.env` when present), starts the
 * server, and shuts it down cleanly on SIGTERM/SIGINT.
 */
import fs from 'node:fs';
import { parseEnv } from 'node:util';
import { createApp, type ChatApp } from './app';
import { ConfigError, loadConfig, type Config } from './config';
import { createLogger } from './log';
import { joinCluster, type Cluster } from './cluster';
import { openStore } from './store';
import { configFailure, startupFailure, type StartupFailure, type StartupStage } from './startup/failures';
import { reportStartupFailure } from './startup/report';

/** How long a graceful shutdown may take before the process exits anyway. */
const SHUTDOWN_DEADLINE_MS = 10_000;

/** Says what went wrong and what to do (startup/), and exits. */
function refuse(failure: StartupFailure): never {
  reportStartupFailure(failure);
  process.exit(failure.exitCode);
}

/** Runs one step of the start-up; a failure of it is explained in the terms of that step. */
async function step<T>(stage: StartupStage, config: Config | undefined, run: () => T | Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    return refuse(startupFailure(stage, err, config));
  }
}

/**
 * `.env` in the working directory, when there is one: its variables, except those the environment sets. (Read
 * here rather than with process.loadEnvFile, which reports an unreadable file as missing.)
 */
function readEnvFile(): void {
  if (!fs.existsSync('.env')) return;
  for (const [name, value] of Object.entries(parseEnv(fs.readFileSync('.env', 'utf8')))) process.env[name] ??= value;
}

async function main(): Promise<void> {
  await step('env-file', undefined, readEnvFile);
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) refuse(configFailure(err));
    throw err;
  }

  const log = createLogger(config.logLevel);
  const store = await step('storage', config, () =>
    openStore(config.storage, { onError: (err) => log.warn({ err }, 'storage trouble (recovering)') }),
  );
  // Cluster mode (REDIS_URL): the adapter, presence and rate limits go through Redis (cluster.ts).
  const { redisUrl } = config;
  const cluster = redisUrl === undefined ? undefined : await step('cluster', config, () => joinCluster({ ...config, redisUrl }, log));
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
  // Before listening: a signal that arrives as soon as the `listening` line is out must find the handlers.
  stopOnSignals(app, cluster);
  await step('listen', config, () => app.listen());
}

/**
 * One graceful shutdown on SIGTERM or SIGINT, however many of them arrive: Ctrl+C in a terminal signals the
 * whole foreground group, so `npm start` forwards its own SIGINT on top of the one this process got, and a
 * second one must not cut the shutdown short (Node's default action would end the process at once).
 */
function stopOnSignals(app: ChatApp, cluster: Cluster | undefined): void {
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    app.services.log.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => {
      app.services.log.error('shutdown deadline passed; exiting');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    app.close().then(
      async () => {
        await cluster?.close();
        app.services.log.info('stopped');
        process.exit(0);
      },
      (err) => {
        app.services.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main().catch((err) => refuse(startupFailure('start', err)));
