/**
 * What anonymous readers can do to everyone else (issue 16): a logged-in user's private-message ack times, quiet
 * and while one address floods the reads anyone may send. A program that prints figures, not a test.
 *
 *   npm run bench:reads
 *   npm run bench:reads -- --users 20000 --messages 3000 --seconds 20 --sockets 12
 *
 * The built server (dist/index.js) runs on a SQLite file with the defaults an operator gets (limits on,
 * fsync on every commit) and TRUST_PROXY, so that each client names its own address. First it is filled
 * (`--users` users logged in once, `--messages` public messages of 4,000 characters; limits off while filling),
 * then restarted with the defaults. Four people, each from an address of their own, write private messages at a
 * pace the default limits allow (one every 700 ms) for `--seconds`, once alone ("quiet") and once while
 * `--sockets` anonymous sockets of one other address loop `users`, `sync {after: 0}` and `history` (reconnecting
 * when cut off) beside two HTTP loops on GET /api/users and /api/messages ("flooded"). The machine's CPU steal
 * during each phase is printed beside the figures: a busy host shows as latency that is not the server's doing.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Socket } from 'socket.io-client';
import { startBuiltServer, type BuiltServer } from './built-server';
import { machineTimes, stealPercent } from './meter';
import { httpLoop, privateWriter, readFlooder, readTally, signedIn, type ReadTally, type WriterTally } from './read-flood-clients';
import { Samples } from './stats';
import { printTable } from './table';

interface Options {
  users: number;
  messages: number;
  seconds: number;
  sockets: number;
}

const PEOPLE = 4;
const WRITE_EVERY_MS = 700;
const FLOODER_ADDRESS = '203.0.113.9';
const LONG_TEXT = 'x'.repeat(3990);

function parseOptions(argv: string[]): Options {
  const options: Options = { users: 5000, messages: 1000, seconds: 15, sockets: 8 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const n = Number(argv[++i]);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} takes a positive integer`);
    if (flag === '--users') options.users = n;
    else if (flag === '--messages') options.messages = n;
    else if (flag === '--seconds') options.seconds = n;
    else if (flag === '--sockets') options.sockets = n;
    else throw new Error(`unknown flag ${flag}; usage: npm run bench:reads -- [--users N] [--messages N] [--seconds N] [--sockets N]`);
  }
  return options;
}

/** Creates the users (handshake logins, 50 at a time) and the long public messages, limits off. */
async function fill(url: string, options: Options): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < options.users) {
      const socket = await signedIn(url, '192.0.2.1', `user${next++}`);
      socket.close();
    }
  };
  await Promise.all(Array.from({ length: 50 }, worker));
  const writer = await signedIn(url, '192.0.2.1', 'writer');
  for (let i = 0; i < options.messages; i += 50) {
    const batch = Array.from({ length: Math.min(50, options.messages - i) }, (_, j) => writer.timeout(30_000).emitWithAck('sendMsg', { text: `${i + j} ${LONG_TEXT}` }));
    await Promise.all(batch);
  }
  writer.close();
}

interface Phase {
  label: string;
  writers: WriterTally[];
  sockets?: ReadTally;
  http?: ReadTally;
  stealPercent: number;
}

async function measure(server: BuiltServer, people: Socket[], options: Options, flooded: boolean): Promise<Phase> {
  const before = machineTimes();
  const deadline = performance.now() + options.seconds * 1000;
  const sockets = readTally();
  const http = readTally();
  const floods = flooded
    ? [
        ...Array.from({ length: options.sockets }, () => readFlooder(server.url, FLOODER_ADDRESS, sockets, deadline)),
        ...Array.from({ length: 2 }, () => httpLoop(server.url, FLOODER_ADDRESS, http, deadline)),
      ]
    : [];
  // Person i writes to person i + PEOPLE, who only receives.
  const writers = await Promise.all(Array.from({ length: PEOPLE }, (_, i) => privateWriter(people[i], `person${i + PEOPLE}`, WRITE_EVERY_MS, deadline)));
  await Promise.all(floods);
  const after = machineTimes();
  return { label: flooded ? 'flooded' : 'quiet', writers, ...(flooded && { sockets, http }), stealPercent: stealPercent(before, after) };
}

function report(phases: Phase[], options: Options): void {
  console.log(`reads: ${options.users} users, ${options.messages} messages of 4,000 characters, ${options.seconds} s per phase,`);
  console.log(`${options.sockets} anonymous sockets + 2 HTTP loops from one address in the flooded phase; ${PEOPLE} people, one private message each every ${WRITE_EVERY_MS} ms`);
  const header = ['phase', 'private acks', 'p50 ms', 'max ms', 'not ok', 'socket reads ok/refused/other', 'cut off', 'conn refused', 'HTTP ok/429/other', 'CPU steal %'];
  const rows = phases.map((p) => {
    const all = new Samples();
    for (const w of p.writers) for (const ms of w.ackMs) all.push(ms);
    const s = all.summary();
    const reads = (t?: ReadTally) => (t ? `${t.ok}/${t.refused}/${t.other}` : '-');
    return [
      p.label,
      String(s?.count ?? 0),
      s ? s.p50.toFixed(1) : '-',
      s ? s.max.toFixed(1) : '-',
      String(p.writers.reduce((n, w) => n + w.failed, 0)),
      reads(p.sockets),
      p.sockets ? String(p.sockets.cutOff) : '-',
      p.sockets ? String(p.sockets.refusedConnections) : '-',
      reads(p.http),
      p.stealPercent.toFixed(1),
    ];
  });
  printTable(header, rows);
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-reads-'));
  const env = { DATABASE_URL: path.join(dir, 'chat.db'), TRUST_PROXY: 'true' };
  try {
    console.log(`filling: ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'}), node ${process.version}`);
    const filling = await startBuiltServer({ ...env, RATE_LIMITS: 'off' }, path.join(dir, 'fill.log'));
    try {
      await fill(filling.url, options);
    } finally {
      await filling.stop();
    }
    const server = await startBuiltServer(env, path.join(dir, 'server.log'));
    const phases: Phase[] = [];
    const people = await Promise.all(Array.from({ length: PEOPLE * 2 }, (_, i) => signedIn(server.url, `198.51.100.${i + 1}`, `person${i}`)));
    try {
      phases.push(await measure(server, people, options, false));
      phases.push(await measure(server, people, options, true));
    } finally {
      for (const person of people) person.close();
      await server.stop();
    }
    report(phases, options);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
