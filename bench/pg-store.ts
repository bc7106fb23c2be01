/**
 * The PostgreSQL store's write rate: appends acked per second and append latency (p50/p99) with W writers,
 * each in a closed loop (await its append, then the next), against one node or two nodes sharing the
 * database; the SQLite file store (default durability) under the same load is the reference in the same run.
 *
 *   tsc -p bench/tsconfig.json && node dist-bench/bench/pg-store.js [--writers 10,200] [--seconds 5]
 *
 * Each run gets a fresh database, dropped afterwards (postgres-database.ts: BENCH_POSTGRES_URL names the admin
 * connection). It prints figures; it asserts nothing.
 * "per commit" is the mean group-commit batch: messages per commit notification heard in the window (each
 * batch that stores something notifies once, with its id range).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { PostgresStore } from '../src/store/postgres';
import { COMMIT_CHANNEL } from '../src/store/postgres-schema';
import { SqliteStore } from '../src/store/sqlite';
import type { ChatStore } from '../src/store/store';
import { createDatabase } from './postgres-database';
import { Samples } from './stats';

const WARMUP_MS = 1000;

interface Setup {
  label: string;
  stores: ChatStore[];
  /** Counts commits and the messages they stored while `counting` (PostgreSQL only). */
  batches?: { counting: boolean; commits: number; messages: number };
  close(): Promise<void>;
}

async function postgres(nodes: number): Promise<Setup> {
  const database = await createDatabase();
  const stores = await Promise.all(
    Array.from({ length: nodes }, (_, i) => PostgresStore.open(database.url, { applicationName: `bench-${i}` })),
  );
  const batches = { counting: false, commits: 0, messages: 0 };
  const listener = new pg.Client({ connectionString: database.url });
  await listener.connect();
  listener.on('notification', (n) => {
    if (!batches.counting || n.payload === undefined) return;
    const { f, l } = JSON.parse(n.payload) as { f: number; l: number };
    batches.commits++;
    batches.messages += l - f + 1;
  });
  await listener.query(`LISTEN ${COMMIT_CHANNEL}`);
  return {
    label: `postgres, ${nodes} node${nodes > 1 ? 's' : ''}`,
    stores,
    batches,
    close: async () => {
      await listener.end();
      await Promise.all(stores.map((s) => s.close()));
      await database.drop();
    },
  };
}

async function sqlite(): Promise<Setup> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-bench-pg-'));
  const store = SqliteStore.open(path.join(dir, 'chat.db'));
  return {
    label: 'sqlite file (reference)',
    stores: [store],
    close: async () => {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

interface Figures {
  appendsPerSecond: number;
  p50: number;
  p99: number;
  appendsPerCommit?: number;
}

/** `writers` closed loops spread over the setup's stores; counts what completes inside the window. */
async function measure(setup: Setup, writers: number, seconds: number): Promise<Figures> {
  const senders = await Promise.all(
    setup.stores.map(async (store, i) => {
      const u = await store.createUser({ name: `w${i}`, key: `w${i}`, tokenHash: `h${i}`, now: Date.now(), provisional: false });
      return { id: u!.id, name: u!.name };
    }),
  );
  const samples = new Samples();
  const start = performance.now() + WARMUP_MS;
  const end = start + seconds * 1000;
  let acked = 0;
  const count = (on: boolean) => void (setup.batches && (setup.batches.counting = on));
  const started = setTimeout(() => count(true), WARMUP_MS);
  const ended = setTimeout(() => count(false), WARMUP_MS + seconds * 1000);
  const loop = async (w: number) => {
    const k = w % setup.stores.length;
    for (let i = 0; ; i++) {
      const began = performance.now();
      if (began >= end) return;
      await setup.stores[k].appendPublic({ sender: senders[k], text: `writer ${w} message ${i}`, ts: Date.now(), clientId: `${w}-${i}` });
      const done = performance.now();
      if (began >= start && done <= end) {
        acked++;
        samples.push(done - began);
      }
    }
  };
  await Promise.all(Array.from({ length: writers }, (_, w) => loop(w)));
  clearTimeout(started);
  clearTimeout(ended);
  const s = samples.summary()!;
  const b = setup.batches;
  return {
    appendsPerSecond: acked / seconds,
    p50: s.p50,
    p99: s.p99,
    appendsPerCommit: b && b.commits > 0 ? b.messages / b.commits : undefined,
  };
}

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] ? process.argv[at + 1] : fallback;
}

async function main(): Promise<void> {
  const writerCounts = option('writers', '10,200').split(',').map(Number);
  const seconds = Number(option('seconds', '5'));
  const row = (cells: string[]) => console.log(cells.map((c, i) => (i === 0 ? c.padEnd(26) : c.padStart(12))).join(''));
  row(['store', 'writers', 'appends/s', 'p50 ms', 'p99 ms', 'per commit']);
  for (const writers of writerCounts) {
    for (const open of [() => postgres(1), () => postgres(2), sqlite]) {
      const setup = await open();
      try {
        const f = await measure(setup, writers, seconds);
        row([
          setup.label,
          String(writers),
          f.appendsPerSecond.toFixed(0),
          f.p50.toFixed(2),
          f.p99.toFixed(2),
          f.appendsPerCommit === undefined ? '' : f.appendsPerCommit.toFixed(1),
        ]);
      } finally {
        await setup.close();
      }
    }
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
