/**
 * A PostgreSQL database of the benchmark's own: created fresh for each run under a unique name, dropped
 * afterwards. BENCH_POSTGRES_URL (else TEST_POSTGRES_URL, else the local server as user postgres) is an
 * admin connection that may create databases.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { findProcesses } from './proc';

export const ADMIN_URL =
  process.env.BENCH_POSTGRES_URL ?? process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const CONNECT_TIMEOUT_MS = 10_000;

/** Databases created and not dropped yet, for `dropAll` when the run is interrupted. */
const live = new Set<BenchDatabase>();

export interface BenchDatabase {
  name: string;
  url: string;
  /**
   * Pids of the server processes (backends) connected to this database, found by their process title
   * (`postgres: [cluster: ]user database address state`): only when PostgreSQL runs on this machine with
   * update_process_title on (the default on Linux).
   */
  backends(): number[];
  /** Ends whatever is still connected and drops the database (`WITH (FORCE)`). */
  drop(): Promise<void>;
}

/** Why PostgreSQL cannot be used, or undefined when the admin connection answers. */
export async function postgresMissing(): Promise<string | undefined> {
  try {
    await admin((c) => c.query('SELECT 1'));
    return undefined;
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return `PostgreSQL at ${ADMIN_URL} does not answer (${why || 'no reason given'}); start it, or set BENCH_POSTGRES_URL to an admin connection`;
  }
}

/** Version and commit durability of the server, for the report: "PostgreSQL 15.2 (synchronous_commit=on, fsync=on)". */
export async function describePostgres(): Promise<string> {
  return admin(async (c) => {
    const show = async (name: string) => Object.values((await c.query(`SHOW ${name}`)).rows[0] as object)[0] as string;
    return `PostgreSQL ${await show('server_version')} (synchronous_commit=${await show('synchronous_commit')}, fsync=${await show('fsync')})`;
  });
}

/** A fresh database named `prefix` + random hex, created through the admin connection `adminUrl`. */
export async function createDatabase(prefix = 'chat_bench_', adminUrl = ADMIN_URL): Promise<BenchDatabase> {
  const name = `${prefix}${randomBytes(5).toString('hex')}`;
  const ident = pg.escapeIdentifier(name);
  await withClient(adminUrl, (c) => c.query(`CREATE DATABASE ${ident}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const title = new RegExp(`^postgres: (?:\\S+: )?\\S+ ${name} `);
  const database: BenchDatabase = {
    name,
    url: url.toString(),
    backends: () => findProcesses((commandLine) => title.test(commandLine)),
    drop: async () => {
      live.delete(database);
      await withClient(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${ident} WITH (FORCE)`));
    },
  };
  live.add(database);
  return database;
}

/** Drops every database still there (the run was interrupted); gives up after `timeoutMs`. */
export async function dropAll(timeoutMs: number): Promise<void> {
  const timeout = new Promise((resolve) => setTimeout(resolve, timeoutMs).unref());
  await Promise.race([Promise.allSettled([...live].map((d) => d.drop())), timeout]);
}

function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  return withClient(ADMIN_URL, work);
}

/** Runs `work` on a plain connection to `url`, closed afterwards. */
export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
