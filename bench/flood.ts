/**
 * What one flooding socket can do to the chat, with rate limits off and on (issue 11). A program that prints
 * figures, not a test.
 *
 *   npm run bench:flood
 *   npm run bench:flood -- --seconds 20 --in-flight 60 --no-reconnect
 *
 * For each scenario the built server (dist/index.js) starts on a fresh SQLite file with the defaults an
 * operator gets (fsync on every commit), RATE_LIMITS=off or on. For `--seconds` one socket keeps
 * `--in-flight` sendMsg waiting for their answer (each answer sends the next), while a person sends one
 * message a second. Scenarios: limits off; limits on, the flooder gone once cut off; limits on, the flooder
 * logging in again with its token each time it is cut off (skipped with --no-reconnect). After each, the
 * server is stopped and its file read: what each sender got stored is counted there, beside what the senders
 * counted from their acks.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { startBuiltServer } from './built-server';
import { flooder, person, type Tally } from './flood-clients';
import { printTable } from './table';

interface Options {
  seconds: number;
  inFlight: number;
  reconnect: boolean;
}

interface Scenario {
  label: string;
  limits: 'on' | 'off';
  reconnect: boolean;
}

interface Result {
  scenario: Scenario;
  flooder: Tally;
  person: Tally;
  /** Messages in the database per sender name. */
  inStore: Record<string, number>;
}

function parseOptions(argv: string[]): Options {
  const options: Options = { seconds: 10, inFlight: 60, reconnect: true };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} takes a positive integer`);
      return n;
    };
    if (flag === '--seconds') options.seconds = value();
    else if (flag === '--in-flight') options.inFlight = value();
    else if (flag === '--no-reconnect') options.reconnect = false;
    else throw new Error(`unknown flag ${flag}; usage: npm run bench:flood -- [--seconds N] [--in-flight N] [--no-reconnect]`);
  }
  return options;
}

async function runScenario(scenario: Scenario, options: Options, dir: string): Promise<Result> {
  const name = `${scenario.limits}${scenario.reconnect ? '-reconnect' : ''}`;
  const db = path.join(dir, `${name}.db`);
  const server = await startBuiltServer({ DATABASE_URL: db, RATE_LIMITS: scenario.limits }, path.join(dir, `${name}.log`));
  let tallies: [Tally, Tally];
  try {
    const deadline = performance.now() + options.seconds * 1000;
    tallies = await Promise.all([
      flooder(server.url, 'flooder', { inFlight: options.inFlight, reconnect: scenario.reconnect, deadline }),
      person(server.url, 'person', deadline),
    ]);
  } finally {
    await server.stop();
  }
  return { scenario, flooder: tallies[0], person: tallies[1], inStore: storedPerSender(db) };
}

/** Read after the server has exited. The query knows the SQLite schema (src/store/sqlite/schema.ts). */
function storedPerSender(file: string): Record<string, number> {
  const db = new Database(file, { readonly: true });
  try {
    const rows = db.prepare('SELECT sender_name AS name, COUNT(*) AS n FROM messages GROUP BY sender_name').all() as Array<{ name: string; n: number }>;
    return Object.fromEntries(rows.map((r) => [r.name, r.n]));
  } finally {
    db.close();
  }
}

function report(results: Result[], options: Options): void {
  const header = ['scenario', 'sender', 'sent', 'stored (acks)', 'stored (db)', 'per s', 'refused', 'lost', 'cut off', 'logins refused', 'ack ms p50/max'];
  const rows = results.flatMap(({ scenario, flooder: f, person: p, inStore }) =>
    ([['flooder', f], ['person', p]] as const).map(([who, t]) => [
      who === 'flooder' ? scenario.label : '',
      who === 'flooder' ? `flooder (${options.inFlight} in flight)` : 'person (1 msg/s)',
      t.sent,
      t.stored,
      inStore[who] ?? 0,
      ((inStore[who] ?? 0) / options.seconds).toFixed(1),
      t.refused + (t.failed > 0 ? ` (+${t.failed} other errors)` : ''),
      t.lost,
      t.disconnects,
      t.refusedLogins,
      latency(t.ackMs),
    ]),
  );
  printTable(header, rows, 2);
}

function latency(ms: number[]): string {
  if (ms.length === 0) return '-';
  const sorted = [...ms].sort((a, b) => a - b);
  return `${sorted[Math.floor((sorted.length - 1) / 2)].toFixed(1)}/${sorted[sorted.length - 1].toFixed(1)}`;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const scenarios: Scenario[] = [
    { label: 'RATE_LIMITS=off', limits: 'off', reconnect: false },
    { label: 'RATE_LIMITS=on', limits: 'on', reconnect: false },
    ...(options.reconnect ? [{ label: 'RATE_LIMITS=on, reconnecting', limits: 'on' as const, reconnect: true }] : []),
  ];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-flood-'));
  try {
    console.log(`flood: ${options.seconds} s per scenario, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'}), node ${process.version}`);
    const results: Result[] = [];
    for (const scenario of scenarios) results.push(await runScenario(scenario, options, dir));
    report(results, options);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
