/**
 * The PostgreSQL store's write rate: appends acked per second and append latency (p50/p99) with W writers,
 * each in a closed loop (await its append, then the next), against one node or two nodes sharing the
 * database; the SQLite file store (default durability) under the same load is the reference in the same run.
 *
 *   tsc -p bench/tsconfig.json && node dist-bench/bench/pg-store.js [--writers 10,200] [--seconds 5]
 *     [--messages public|private|lookup]
 *
 * `--messages private` appends private messages; `lookup` looks the recipient up by name key first
 * (`findUser`), as the server's privateMsg handler does, so that the two show what the lookup costs.
 * "pg µs" is the CPU time of the database's PostgreSQL backends per append (local server only, see
 * postgres-database.ts).
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
import { COMMIT_CHANNEL } from '../src/store/postgres/schema';
import { SqliteStore } from '../src/store/sqlite';
import type { ChatStore } from '../src/store/store';
import { createDatabase } from './postgres-database';
import { ProcessSetCpu } from './proc';
import { Samples } from './stats';

const WARMUP_MS = 1000;

type Messages = 'public' | 'private' | 'lookup';

interface Setup {
  label: string;
  stores: ChatStore[];
  /** CPU time of the database's backends so far, microseconds (PostgreSQL only). */
  backendMicros?: () => number;
  /** Counts commits and the messages they stored while `counting` (PostgreSQL only). */
  batches?: { counting: boolean; commits: number; messages: number };
  close(): Promise<void>;
}

async function postgres(nodes: number): Promise<Setup> {
  const database = await createDatabase();
  const backends = new ProcessSetCpu(() => database.backends());
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
    backendMicros: () => backends.total(),
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
  backendMicrosPerAppend?: number;
}

/** `writers` closed loops spread over the setup's stores; counts what completes inside the window. */
async function measure(setup: Setup, writers: number, seconds: number, messages: Messages): Promise<Figures> {
  const user = async (store: ChatStore, name: string) => {
    const u = await store.createUser({ name, key: name, tokenHash: `h-${name}`, now: Date.now(), provisional: false });
    return { id: u!.id, name: u!.name, displayName: u!.displayName };
  };
  const senders = await Promise.all(setup.stores.map((store, i) => user(store, `w${i}`)));
  const recipients = await Promise.all(setup.stores.map((store, i) => user(store, `r${i}`)));
  const append = async (k: number, text: string, clientId: string) => {
    const store = setup.stores[k];
    const sender = senders[k];
    if (messages === 'public') return store.appendPublic({ sender, text, ts: Date.now(), clientId });
    const recipient = messages === 'lookup' ? (await store.findUser(recipients[k].name))! : recipients[k];
    return store.appendPrivate({ sender, recipient: { id: recipient.id, name: recipient.name, displayName: recipient.displayName }, text, ts: Date.now(), clientId });
  };
  const samples = new Samples();
  const start = performance.now() + WARMUP_MS;
  const end = start + seconds * 1000;
  let acked = 0;
  const cpu: number[] = [];
  const count = (on: boolean) => {
    if (setup.batches) setup.batches.counting = on;
    if (setup.backendMicros) cpu.push(setup.backendMicros());
  };
  const started = setTimeout(() => count(true), WARMUP_MS);
  const ended = setTimeout(() => count(false), WARMUP_MS + seconds * 1000);
  const loop = async (w: number) => {
    const k = w % setup.stores.length;
    for (let i = 0; ; i++) {
      const began = performance.now();
      if (began >= end) return;
      await append(k, `writer ${w} message ${i}`, `${w}-${i}`);
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
    backendMicrosPerAppend: cpu.length === 2 && acked > 0 ? (cpu[1] - cpu[0]) / acked : undefined,
  };
}

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] ? process.argv[at + 1] : fallback;
}

async function main(): Promise<void> {
  const writerCounts = option('writers', '10,200').split(',').map(Number);
  const seconds = Number(option('seconds', '5'));
  const messages = option('messages', 'public') as Messages;
  if (!['public', 'private', 'lookup'].includes(messages)) throw new Error('--messages takes public, private or lookup');
  console.log(`${messages} messages`);
  const row = (cells: string[]) => console.log(cells.map((c, i) => (i === 0 ? c.padEnd(26) : c.padStart(12))).join(''));
  row(['store', 'writers', 'appends/s', 'p50 ms', 'p99 ms', 'per commit', 'pg µs']);
  for (const writers of writerCounts) {
    for (const open of [() => postgres(1), () => postgres(2), sqlite]) {
      const setup = await open();
      try {
        const f = await measure(setup, writers, seconds, messages);
        row([
          setup.label,
          String(writers),
          f.appendsPerSecond.toFixed(0),
          f.p50.toFixed(2),
          f.p99.toFixed(2),
          f.appendsPerCommit === undefined ? '' : f.appendsPerCommit.toFixed(1),
          f.backendMicrosPerAppend === undefined ? '' : f.backendMicrosPerAppend.toFixed(0),
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
