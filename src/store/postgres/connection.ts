import pg from 'pg';

/** The connections of one PostgresStore: a pool for queries and group commits, and the LISTEN client's config. */
export interface Connections {
  pool: pg.Pool;
  /** For the dedicated LISTEN connection: same server and type parsing, its own application_name. */
  listen: pg.ClientConfig;
  /** Ends the pool; resolves once every one of its connections has closed. */
  end(): Promise<void>;
}

export function connections(url: string, poolSize: number, applicationName: string, report: (err: Error) => void): Connections {
  const common: pg.ClientConfig = { connectionString: url, types: { getTypeParser } };
  const pool = new pg.Pool({ ...common, application_name: applicationName, max: poolSize });
  pool.on('error', report); // an idle connection that broke; the pool replaces it
  const closed = trackConnections(pool);
  return {
    pool,
    listen: { ...common, application_name: `${applicationName}:listen` },
    end: async () => {
      await pool.end();
      await closed();
    },
  };
}

/**
 * Runs `work` in a transaction on one connection; commits if it returns a value, rolls back if it returns
 * undefined. On an error the connection is released as broken: the pool closes it, which rolls back what is open.
 */
export async function inTransaction<T>(pool: pg.Pool, work: (tx: pg.PoolClient) => Promise<T | undefined>): Promise<T | undefined> {
  const tx = await pool.connect();
  let broken: Error | undefined;
  try {
    await tx.query('BEGIN');
    const result = await work(tx);
    await tx.query(result === undefined ? 'ROLLBACK' : 'COMMIT');
    return result;
  } catch (err) {
    broken = err as Error;
    throw err;
  } finally {
    tx.release(broken);
  }
}

/**
 * pg-pool's `end()` resolves once it has asked its connections to end, before they have: the returned
 * function resolves when every one has (pg-pool emits 'remove' after a connection's `end` completed).
 */
function trackConnections(pool: pg.Pool): () => Promise<void> {
  const open = new Set<pg.PoolClient>();
  let settle: (() => void) | undefined;
  pool.on('connect', (client) => open.add(client));
  pool.on('remove', (client) => {
    open.delete(client);
    if (open.size === 0) settle?.();
  });
  return () => (open.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => (settle = resolve)));
}

/** bigint columns (ids, epoch ms) as numbers: both stay far below 2^53. */
function getTypeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
  if (oid === pg.types.builtins.INT8 && format !== 'binary') return Number;
  return pg.types.getTypeParser(oid, format as 'text');
}
