/**
 * Child process: the project's server as a user would run it — createApp with the configuration read by
 * loadConfig (SQLite file with its default durability, schema validation, logging at `warn`, rate limits off), listening on
 * an ephemeral port of 127.0.0.1. BENCH_DB names the SQLite file.
 */
import { createApp } from '../src/app';
import { loadConfig } from '../src/config';
import { serveControl } from './child-control';

async function main(): Promise<void> {
  const file = process.env.BENCH_DB;
  if (!file) throw new Error('BENCH_DB must name the SQLite file');
  // RATE_LIMITS=off: every generated client shares one address and sends far beyond a human's rate.
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', DATABASE_URL: file, LOG_LEVEL: 'warn', RATE_LIMITS: 'off' });
  const app = createApp(config);
  serveControl(await app.listen());
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
