/**
 * A real PostgreSQL for tests: each test gets a database of its own, created here and dropped afterwards.
 * TEST_POSTGRES_URL names an admin connection (default: the local server, user postgres). When it does not
 * answer, PostgreSQL suites skip with the reason printed, except under CI=true, where that is a failure.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import pg from 'pg';

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

export interface TestDatabase {
  url: string;
  name: string;
  /** Terminates whatever is still connected to it and drops it. */
  drop(): Promise<void>;
}

export async function createDatabase(): Promise<TestDatabase> {
  const name = `chat_test_${randomBytes(6).toString('hex')}`;
  const ident = pg.escapeIdentifier(name);
  await withClient(ADMIN_URL, (c) => c.query(`CREATE DATABASE ${ident}`));
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: () =>
      withClient(ADMIN_URL, async (c) => {
        await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name]);
        await c.query(`DROP DATABASE IF EXISTS ${ident} WITH (FORCE)`);
      }),
  };
}

/** Runs `work` on a plain connection to `url`, closed afterwards. */
export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
