/**
 * Memory that comes back (issue 18): rounds of logins with new names, every connection dropped abruptly (no
 * close handshake, as a network cut or a crashed browser does), then a full GC in the server and its memory
 * read once it settles. A server that keeps something per login or per connection grows round after round;
 * one whose growth is allocator memory reused by the next round levels off.
 *
 *   npm run bench:memory [-- --rounds 4 --logins 1500 --snapshots]
 *
 * With --snapshots, a V8 heap snapshot is written after the base and after each round (bench/results/tmp/),
 * to be compared in Chrome DevTools (Memory → Comparison) to find what a round left behind.
 * A program that prints figures, not a test: nothing is asserted.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Fleet, sleep } from './fleet';
import { describeSteal, measureSteal } from './steal';
import { killAll, ServerProcess } from './server-process';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '4' },
    logins: { type: 'string', default: '1500' },
    snapshots: { type: 'boolean', default: false },
  },
});
const ROUNDS = Number(values.rounds);
const LOGINS = Number(values.logins);
const MB = 1024 * 1024;

async function main(): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-bench-memory-'));
  const snapshots = path.resolve(__dirname, '..', '..', 'bench', 'results', 'tmp');
  if (values.snapshots) fs.mkdirSync(snapshots, { recursive: true });
  const server = await ServerProcess.start('project', 'memory', work, { BENCH_DATABASE_URL: path.join(work, 'chat.db') });
  const steal = measureSteal();
  try {
    const rows: Array<{ label: string; rss: number; heap: number; external: number }> = [];
    const settle = async (label: string) => {
      let last = await server.gc();
      for (let i = 0; i < 10; i++) {
        await sleep(1000);
        const now = await server.gc();
        const settled = Math.abs(now.rss - last.rss) < last.rss * 0.01;
        last = now;
        if (settled) break;
      }
      rows.push({ label, rss: last.rss, heap: last.heapUsed, external: last.external });
      if (values.snapshots) await server.heapSnapshot(path.join(snapshots, `memory-${label.replace(/\W+/g, '-')}.heapsnapshot`));
      console.log(`${label.padEnd(10)} RSS ${(last.rss / MB).toFixed(1).padStart(7)} MB  heap ${(last.heapUsed / MB).toFixed(1).padStart(6)} MB  external ${(last.external / MB).toFixed(1).padStart(6)} MB`);
    };
    await settle('base');
    for (let round = 1; round <= ROUNDS; round++) {
      const fleet = new Fleet([server.port], `r${round}u`);
      await fleet.grow(LOGINS, 64, Date.now() + 600_000, 120_000);
      fleet.closeAll();
      await connectionsGone(server.port, 60_000);
      await settle(`round ${round}`);
    }
    const growth = rows.slice(1).map((row, i) => row.rss - rows[i].rss);
    const heapGrowth = rows[rows.length - 1].heap - rows[1].heap;
    console.log(`\nRSS growth per round: ${growth.map((g) => `${(g / MB).toFixed(1)} MB`).join(', ')}`);
    console.log(`JS heap from round 1 to round ${ROUNDS}: ${(heapGrowth / MB).toFixed(2)} MB (${((heapGrowth / ((ROUNDS - 1) * LOGINS)) || 0).toFixed(0)} bytes per login)`);
    console.log(describeSteal(steal()));
  } finally {
    await server.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** Waits until the server reports no open connection (its /metrics gauge), bounded. */
async function connectionsGone(port: number, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const open = Number(/^chat_connections (\d+)/m.exec(text)?.[1] ?? NaN);
    if (open === 0) return;
    if (Date.now() > until) throw new Error(`${open} connections still open after ${timeoutMs} ms`);
    await sleep(200);
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    killAll();
    process.exit(1);
  },
);
