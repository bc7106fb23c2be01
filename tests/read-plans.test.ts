/**
 * Every query an anonymous client can cause (issue 16: `users`, `history`, `sync` and their HTTP twins) is
 * answered through an index, on both stores: its cost follows the page it returns, not the size of the tables.
 * The queries are taken from the stores themselves (the statements SQLite's engine prepares; the SQL PostgreSQL is sent),
 * and their plans read back: no full scan, no sort of the whole table, and messages only through the index of the
 * public ones (the only ones such a client may read).
 */
import type pg from 'pg';
import Database from 'better-sqlite3';
import { PostgresStore } from '../src/store/postgres';
import { openEngine, type Engine } from '../src/store/sqlite/engine';
import type { ChatStore } from '../src/store/store';
import { createDatabase, describePostgres } from './postgres';

/** What an anonymous client's reads ask of a store. */
async function anonymousReads(store: Pick<ChatStore, 'listUsers' | 'publicHistory' | 'since' | 'prunedThrough'>): Promise<void> {
  await store.listUsers({ limit: 100 });
  await store.listUsers({ after: 'mary', limit: 100 });
  await store.publicHistory({ limit: 50 });
  await store.publicHistory({ before: 1000, limit: 50 });
  await store.since(undefined, 0, 500);
  await store.prunedThrough();
}

test('SQLite: each statement of an anonymous read searches or walks an index', async () => {
  // The store's engine opened on this thread (it normally runs on its own: sqlite/worker.ts), every statement it
  // prepares recorded, and which of them the anonymous reads run.
  const statements: Database.Statement[] = [];
  const prepare = Database.prototype.prepare;
  Database.prototype.prepare = function (this: Database.Database, source: string) {
    const statement = prepare.call(this, source) as Database.Statement;
    statements.push(statement);
    return statement;
  } as typeof prepare;
  let engine: Engine;
  try {
    engine = openEngine(':memory:', 'full', () => undefined);
  } finally {
    Database.prototype.prepare = prepare;
  }
  try {
    const used = new Set<Database.Statement>();
    for (const statement of statements) {
      const all = statement.all.bind(statement);
      const get = statement.get.bind(statement);
      statement.all = (...args: unknown[]) => (used.add(statement), all(...(args as [])));
      statement.get = (...args: unknown[]) => (used.add(statement), get(...(args as [])));
    }
    await anonymousReads(engine.calls);
    expect(used.size).toBeGreaterThanOrEqual(4);
    for (const statement of used) {
      const params = Object.fromEntries((statement.source.match(/\$\w+/g) ?? []).map((p) => [p.slice(1), 1]));
      const plan = statement.database.prepare(`EXPLAIN QUERY PLAN ${statement.source}`).all(params) as Array<{ detail: string }>;
      const sql = statement.source.replace(/\s+/g, ' ').slice(0, 120);
      for (const { detail } of plan) {
        // No table read whole (SCAN without an index), no sort of everything read (a temporary B-tree).
        expect({ sql, detail }).not.toEqual({ sql, detail: expect.stringMatching(/^SCAN \w+$|TEMP B-TREE/) });
        // An anonymous client may only read the public timeline: walking every message after a cursor to find it
        // (the primary key, filtered) costs what the private ones add (issue 16). `m` is the messages table.
        if (/\b(messages|m)\b/.test(detail)) expect({ sql, detail }).toEqual({ sql, detail: expect.stringContaining('messages_public') });
      }
    }
  } finally {
    engine.close();
  }
});

describePostgres('PostgreSQL', () => {
  test('each query of an anonymous read can be answered without a sequential scan', async () => {
    const db = await createDatabase();
    const store = await PostgresStore.open(db.url, { poolSize: 2 });
    try {
      const pool = (store as unknown as { pool: pg.Pool }).pool;
      const sent: Array<{ text: string; values?: unknown[] }> = [];
      const query = pool.query.bind(pool) as (text: string, values?: unknown[]) => Promise<unknown>;
      (pool as unknown as { query: typeof query }).query = (text, values) => {
        sent.push({ text, values });
        return query(text, values);
      };
      await anonymousReads(store);
      (pool as unknown as { query: typeof query }).query = query;
      expect(sent.length).toBeGreaterThanOrEqual(6);
      const client = await pool.connect();
      try {
        // The tables are empty, so the planner would rightly scan them; forbidding that shows whether an index
        // could serve the query at all (a plan with no usable index still has to scan).
        await client.query('SET enable_seqscan = off');
        for (const { text, values } of sent) {
          const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${text}`, values);
          const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
          expect({ text, plan }).not.toEqual({ text, plan: expect.stringMatching(/Seq Scan on (users|messages)/) });
          if (/ on messages\b/.test(plan)) expect({ text, plan }).toEqual({ text, plan: expect.stringContaining('messages_public') });
        }
      } finally {
        client.release();
      }
    } finally {
      await store.close();
      await db.drop();
    }
  });
});
