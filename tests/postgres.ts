/**
 * A real PostgreSQL for tests: each test gets a database of its own, created here and dropped afterwards.
 * TEST_POSTGRES_URL names an admin connection (default: the local server, user postgres). When it does not
 * answer, PostgreSQL suites skip with the reason printed, except under CI=true, where that is a failure.
 */
import { spawnSync } from 'node:child_process';
import { createDatabase as createBenchDatabase, type BenchDatabase } from '../bench/postgres-database';

export const ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * Why PostgreSQL cannot be used, or undefined when it answers. Synchronous (a child process), because jest
 * decides between describe and describe.skip while collecting tests.
 */
function unavailable(): string | undefined {
  const probe = `
    const pg = require(${JSON.stringify(require.resolve('pg'))});
    const client = new pg.Client({ connectionString: process.argv[1], connectionTimeoutMillis: 10000 });
    client.connect().then(() => client.query('SELECT 1')).then(() => client.end())
      .then(() => process.exit(0), (err) => { console.error(err.message); process.exit(1); });`;
  const result = spawnSync(process.execPath, ['-e', probe, ADMIN_URL], { encoding: 'utf8', timeout: 30_000 });
  if (result.status === 0) return undefined;
  return `${ADMIN_URL} does not answer (${(result.stderr || result.error?.message || 'no reason given').trim()})`;
}

const reason = unavailable();
if (reason !== undefined && process.env.CI === 'true') throw new Error(`PostgreSQL is required under CI: ${reason}`);
if (reason !== undefined) console.warn(`skipping PostgreSQL tests: ${reason} (set TEST_POSTGRES_URL)`);

export const postgresReason = reason;
export const describePostgres = reason === undefined ? describe : describe.skip;

/** A database of a test's own (bench/postgres-database.ts makes it): `drop()` ends its connections and drops it. */
export type TestDatabase = BenchDatabase;

export function createDatabase(): Promise<TestDatabase> {
  return createBenchDatabase('chat_test_', ADMIN_URL);
}
