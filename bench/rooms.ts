/**
 * `npm run bench:rooms -- [--clients N] [--duration S] [--rounds N] [--servers project,pg]`: what a room
 * message costs to fan out, against a public one (issue 17). One server at a time (bench/README.md, "What
 * runs"), N clients all logged in and all members of one room; then, in alternating rounds so that a noisy
 * machine disturbs both alike, saturation with `sendMsg` (every connection gets `allmessage`) and with
 * `roomMsg` to the room (every member's connection but the sender's gets it). Prints, per kind, the median
 * deliveries/s and server CPU µs per delivery, with the machine's CPU steal and other processes' share in each
 * window: on a shared VM a figure measured under steal is provisional. A program that prints figures; nothing is
 * asserted.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Fleet, sleep } from './fleet';
import { saturate, type SaturationResult } from './saturation';
import { ServerGroup, unavailable, type ServerKind } from './server-group';
import { killAll } from './server-process';

const ROOM = 'bench';

interface Flags {
  clients: number;
  seconds: number;
  rounds: number;
  servers: ServerKind[];
}

function parse(argv: string[]): Flags {
  const flags: Flags = { clients: 1000, seconds: 8, rounds: 3, servers: ['project'] };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === '--clients') flags.clients = Number(value);
    else if (flag === '--duration') flags.seconds = Number(value);
    else if (flag === '--rounds') flags.rounds = Number(value);
    else if (flag === '--servers') flags.servers = value.split(',') as ServerKind[];
    else throw new Error(`unknown flag ${flag}; usage: npm run bench:rooms -- [--clients N] [--duration S] [--rounds N] [--servers project,pg]`);
  }
  return flags;
}

async function measureKind(kind: ServerKind, flags: Flags, log: (line: string) => void): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `chat-bench-rooms-${kind}-`));
  const server = await ServerGroup.start(kind, dir);
  const fleet = new Fleet(server.ports);
  try {
    log(`${kind}: connecting and logging in ${flags.clients} clients`);
    await fleet.grow(flags.clients, 64, Date.now() + 600_000, 120_000);
    const [owner, ...others] = fleet.clients;
    const created = await owner.request('createRoom', { name: ROOM }, 60_000);
    if (!created.startsWith('[{"ok":true')) throw new Error(`createRoom: ${created.slice(0, 200)}`);
    log(`${kind}: ${others.length} clients joining the room`);
    for (let i = 0; i < others.length; i += 64) {
      const acks = await Promise.all(others.slice(i, i + 64).map((c) => c.request('joinRoom', { room: ROOM }, 120_000)));
      const refused = acks.find((a) => !a.startsWith('[{"ok":true'));
      if (refused) throw new Error(`joinRoom: ${refused.slice(0, 200)}`);
    }
    await fleet.waitQuiet(1000, Date.now() + 300_000); // every join is told to every member: n²/2 frames
    const rounds: Record<'public' | 'room', SaturationResult[]> = { public: [], room: [] };
    for (let round = 0; round < flags.rounds; round++) {
      for (const which of ['public', 'room'] as const) {
        const result = await saturate(fleet, server, {
          senders: 4,
          ...(which === 'room' && { room: ROOM }),
          ackWindow: 16,
          windowDeliveries: Math.max(50_000, 4 * flags.clients),
          warmupSeconds: 2,
          seconds: flags.seconds,
          deadline: Date.now() + 120_000,
        });
        rounds[which].push(result);
        log(
          `  round ${round + 1} ${which.padEnd(6)} ${Math.round(result.deliveriesPerSecond).toLocaleString('en')} deliveries/s, ` +
            `${result.serverCpuMicrosPerDelivery.toFixed(2)} µs CPU/delivery, steal ${result.stealPercent.toFixed(1)}%, ` +
            `other processes ${result.otherCpuPercent.toFixed(0)}%, refused ${result.refused}`,
        );
        await sleep(500);
      }
    }
    const median = (items: SaturationResult[], key: (r: SaturationResult) => number) => [...items].map(key).sort((a, b) => a - b)[Math.floor((items.length - 1) / 2)];
    const row = (which: 'public' | 'room') => ({
      deliveries: median(rounds[which], (r) => r.deliveriesPerSecond),
      cpu: median(rounds[which], (r) => r.serverCpuMicrosPerDelivery),
      steal: Math.max(...rounds[which].map((r) => r.stealPercent)),
      other: Math.max(...rounds[which].map((r) => r.otherCpuPercent)),
    });
    const pub = row('public');
    const room = row('room');
    console.log(`\n${kind}, ${flags.clients} clients, room of ${flags.clients}, median of ${flags.rounds} rounds of ${flags.seconds} s:`);
    console.log('| figure | allmessage (sendMsg) | roomMsg | room/public |');
    console.log('|---|---|---|---|');
    console.log(`| deliveries/s at saturation | ${Math.round(pub.deliveries).toLocaleString('en')} | ${Math.round(room.deliveries).toLocaleString('en')} | ${(room.deliveries / pub.deliveries).toFixed(2)} |`);
    console.log(`| server CPU per delivery (µs) | ${pub.cpu.toFixed(2)} | ${room.cpu.toFixed(2)} | ${(room.cpu / pub.cpu).toFixed(2)} |`);
    console.log(`| CPU steal, worst window (% of a core) | ${pub.steal.toFixed(1)} | ${room.steal.toFixed(1)} | |`);
    console.log(`| other processes, worst window (% of a core) | ${pub.other.toFixed(0)} | ${room.other.toFixed(0)} | |`);
  } finally {
    await server.stop();
    fleet.closeAll();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const flags = parse(process.argv.slice(2));
  const log = (line: string) => process.stderr.write(`${line}\n`);
  for (const kind of flags.servers) {
    const why = await unavailable(kind);
    if (why !== undefined) {
      log(`${kind}: cannot run here: ${why}`);
      process.exitCode = 1;
      continue;
    }
    await measureKind(kind, flags, log);
  }
}

process.once('exit', killAll);
main().catch((err) => {
  console.error(err);
  killAll();
  process.exit(1);
});
