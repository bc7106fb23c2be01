import type pg from 'pg';
import { MIGRATIONS } from './schema';
import { SchemaTooNewError } from '../schema-version';

/**
 * Key of the advisory lock every node takes around its migrations (any fixed number; advisory locks are per
 * database). Nodes that start together wait for the first one; they then find its migrations recorded.
 */
export const MIGRATION_LOCK = 0x63686174; // "chat"

/**
 * Applies the migrations not yet recorded in `schema_migrations`, each in its own transaction. On any failure
 * the connection is destroyed, not returned to the pool: that rolls back the open transaction and releases
 * the lock.
 */
export async function migrate(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  let failure: Error | undefined;
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await client.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         version    integer PRIMARY KEY,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    const { rows } = await client.query<{ done: number }>('SELECT coalesce(max(version), 0) AS done FROM schema_migrations');
    if (rows[0].done > MIGRATIONS.length) throw new SchemaTooNewError(rows[0].done, MIGRATIONS.length);
    for (let v = rows[0].done; v < MIGRATIONS.length; v++) {
      await client.query('BEGIN');
      const migration = MIGRATIONS[v];
      if (typeof migration === 'string') await client.query(migration);
      else await migration(client);
      await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [v + 1]);
      await client.query('COMMIT');
    }
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
  } catch (err) {
    failure = err as Error;
    throw err;
  } finally {
    client.release(failure);
  }
}
