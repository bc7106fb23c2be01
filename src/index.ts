/**
 * The process entry point: reads the configuration (environment, plus `.env` when present), starts the
 * server, and shuts it down cleanly on SIGTERM/SIGINT.
 */
import fs from 'node:fs';
import { createApp } from './app';
import { ConfigError, loadConfig } from './config';
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
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }

  const app = createApp(config, { store: await openStore(config.storage) });
  await app.listen();

  const shutdown = (signal: NodeJS.Signals) => {
    app.services.log.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => {
      app.services.log.error('shutdown deadline passed; exiting');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    app.close().then(
      () => process.exit(0),
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
  console.error(err);
  process.exit(1);
});
