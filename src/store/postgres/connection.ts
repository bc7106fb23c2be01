import pg from 'pg';

/** The connections of one PostgresStore: a pool for queries and group commits, and the LISTEN client's config. */
export interface Connections {
  pool: pg.Pool;
  /** For the dedicated LISTEN connection: same server and type parsing, its own application_name. */
  listen: pg.ClientConfig;
  /** Ends the pool; resolves once every one of its connections has closed. */
  end(): Promise<void>;
}

/** What node-postgres and the server are told of time (config.ts, PostgresTimeouts; issue 16). */
export interface Timeouts {
  connectTimeoutMs: number;
  queryTimeoutMs: number;
  idleTimeoutMs: number;
}

/** TCP keep-alive probes start after this long without traffic (the kernel's count and interval then apply). */
const KEEPALIVE_DELAY_MS = 10_000;

/**
 * A database that stops answering without closing its connections (a network that drops packets, a frozen
 * server) must not hold anything forever (issue 16): connecting gives up after connectTimeoutMs; a statement
 * after queryTimeoutMs, cancelled by the server if it is there (`statement_timeout`) and abandoned by the client
 * if it is not (`query_timeout`: the connection is then closed, and the pool opens a new one); a transaction
 * left idle is ended by the server after as long; idle pooled connections close after idleTimeoutMs; TCP
 * keep-alive notices a peer that vanished on a connection nothing is sent on (the LISTEN one).
 */
export function connections(url: string, poolSize: number, applicationName: string, timeouts: Timeouts, report: (err: Error) => void): Connections {
  const common: pg.ClientConfig = {
    connectionString: url,
    types: { getTypeParser },
    keepAlive: true,
    keepAliveInitialDelayMillis: KEEPALIVE_DELAY_MS,
    connectionTimeoutMillis: timeouts.connectTimeoutMs,
    query_timeout: timeouts.queryTimeoutMs,
    statement_timeout: timeouts.queryTimeoutMs,
    idle_in_transaction_session_timeout: timeouts.queryTimeoutMs,
  };
  const pool = new pg.Pool({ ...common, application_name: applicationName, max: poolSize, idleTimeoutMillis: timeouts.idleTimeoutMs });
  pool.on('error', report); // an idle connection that broke; the pool replaces it
  const closed = trackConnections(pool);
  return {
    pool,
    listen: { ...common, application_name: `${applicationName}:listen` },
    end: async () => {
      await pool.end();
      // A connection to a server that stopped answering may never finish closing: after the connect timeout,
      // its socket is destroyed.
      await closed(timeouts.connectTimeoutMs);
    },
  };
}

/** Closes `client`'s socket at once, whatever the server does (node-postgres has no public way to). */
export function destroyConnection(client: pg.ClientBase): void {
  (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
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
 * function resolves when every one has (pg-pool emits 'remove' after a connection's `end` completed), or after
 * `ms`, destroying the sockets of those still open.
 */
function trackConnections(pool: pg.Pool): (ms: number) => Promise<void> {
  const open = new Set<pg.PoolClient>();
  let settle: (() => void) | undefined;
  pool.on('connect', (client) => open.add(client));
  pool.on('remove', (client) => {
    open.delete(client);
    if (open.size === 0) settle?.();
  });
  return async (ms) => {
    if (open.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const all = new Promise<void>((resolve) => (settle = resolve));
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
    await Promise.race([all, late]);
    clearTimeout(timer);
    for (const client of open) destroyConnection(client);
  };
}

/** bigint columns (ids, epoch ms) as numbers: both stay far below 2^53. */
function getTypeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
  if (oid === pg.types.builtins.INT8 && format !== 'binary') return Number;
  return pg.types.getTypeParser(oid, format as 'text');
}
