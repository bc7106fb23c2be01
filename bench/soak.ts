/**
 * `npm run bench -- --soak [--soak-minutes 10]` (issue 18): the SQLite node under churn for a while, to see
 * whether memory stays flat and latency does not drift. Every second, in 20 even steps, some clients leave
 * abruptly and others connect and log in (new names and returning ones); meanwhile public and private
 * messages, history, sync and user-list calls, and room messages when the server has rooms, go on at fixed
 * rates. Every sample interval
 * the server's memory is read after a full GC, with its event-loop delay and the public latency of the
 * interval. At the end: a verdict (memory slope and latency drift after the warm-up), docs/bench/soak.json and
 * docs/bench/soak.svg. A program that prints figures, not a test: nothing is asserted.
 */
import fs from 'node:fs';
import path from 'node:path';
import { sleep } from './fleet';
import type { Options } from './options';
import { cpuMicros } from './proc';
import { ServerGroup } from './server-group';
import { Samples, nowMicros, readStamp, stampedText } from './stats';
import { describeSteal, measureSteal } from './steal';
import { WireClient, socketUrl, type EventSink } from './wire-client';
import { renderSoakChart } from './soak-chart';

/** Connected clients kept at all times. */
const POPULATION = 400;
/** Clients that leave (abruptly) and others that arrive, every second. */
const CHURN_PER_SECOND = 10;
/** Names drawn for arrivals: a returning name logs in with its token, a new one creates a user. */
const RETURNING_SHARE = 0.5;
const RATES = { publicMsg: 20, privateMsg: 20, roomMsg: 10, history: 5, sync: 5, users: 2 };
const SAMPLE_SECONDS = 10;
/** The rates above are sent in this many even steps a second. */
const TICKS_PER_SECOND = 20;
/** The first share of the run is warm-up: caches fill, the heap finds its size. The verdict reads the rest. */
const WARMUP_SHARE = 0.2;
/** Memory is flat when it grows less than this per minute after the warm-up (least squares). */
const FLAT_MB_PER_MINUTE = 1;
/** Latency does not drift when the p99 of the last third is at most this times that of the first third. */
const DRIFT_LIMIT = 1.5;
const LATENCY_RECEIVERS = 50;
const TIMEOUT_MS = 30_000;

export interface SoakSample {
  /** Seconds since the load started. */
  at: number;
  rssMb: number;
  heapMb: number;
  /** Memory V8 holds for the main thread's heap (its spaces' committed pages), used or not. */
  heapCommittedMb: number;
  loopDelayP99Ms: number;
  publicP99Ms: number | undefined;
  /** Server CPU over the interval, % of a core. */
  cpuPercent: number;
  clients: number;
  logins: number;
  failures: number;
}

export interface SoakResult {
  minutes: number;
  rooms: boolean;
  samples: SoakSample[];
  rssSlopeMbPerMinute: number;
  heapSlopeMbPerMinute: number;
  p99Drift: number;
  memoryFlat: boolean;
  latencySteady: boolean;
  stealPercent: number;
}

interface Member {
  client: WireClient;
  name: string;
  sampled: boolean;
}

class Soak implements EventSink {
  readonly latency = new Samples();
  private readonly members = new Map<WireClient, Member>();
  private readonly tokens = new Map<string, string>();
  private nextIndex = 0;
  private nextName = 0;
  logins = 0;
  failures = 0;
  rooms = false;

  constructor(private readonly port: number) {}

  onEvent(client: WireClient, frame: Buffer): void {
    if (frame[4] !== 0x61 || !this.members.get(client)?.sampled) return; // allmessage at a sampled receiver
    const sent = readStamp(frame);
    if (sent >= 0) this.latency.push((nowMicros() - sent) / 1000);
  }

  get size(): number {
    return this.members.size;
  }

  /** Connects and logs in one client: a returning name (with its token) or a new one. */
  async arrive(): Promise<void> {
    const returning = this.tokens.size > 0 && Math.random() < RETURNING_SHARE;
    const name = returning ? this.absentName() : `soak${this.nextName++}`;
    if (name === undefined) return this.arrive();
    const client = new WireClient(this.nextIndex++, name, this);
    try {
      await client.connect(socketUrl(this.port), TIMEOUT_MS);
      const token = this.tokens.get(name);
      const ack = JSON.parse(await client.request('login', token ? { username: name, token } : { username: name }, TIMEOUT_MS)) as [{ ok: boolean; token?: string }];
      if (!ack[0].ok) throw new Error(`login refused: ${JSON.stringify(ack[0])}`);
      if (ack[0].token) this.tokens.set(name, ack[0].token);
      this.logins++;
      this.members.set(client, { client, name, sampled: this.sampledCount() < LATENCY_RECEIVERS });
      if (this.rooms) client.emit('joinRoom' as never, { room: 'soak' } as never, () => undefined);
    } catch {
      this.failures++;
      client.terminate();
    }
  }

  /** One member leaves without a close handshake, as a network cut or a killed browser does. */
  leave(): void {
    const members = [...this.members.values()];
    const member = members[Math.floor(Math.random() * members.length)];
    if (!member) return;
    this.members.delete(member.client);
    member.client.terminate();
  }

  /** A random member that sends; undefined while nobody is connected. */
  someone(): Member | undefined {
    const members = [...this.members.values()];
    return members[Math.floor(Math.random() * members.length)];
  }

  /** Whether the server has rooms (issue 17): creates the soak's room if so. */
  async detectRooms(): Promise<void> {
    const member = this.someone();
    if (!member) return;
    const body = await member.client.request('createRoom' as never, { name: 'soak' } as never, TIMEOUT_MS).catch(() => '');
    this.rooms = body.includes('"ok":true') || body.includes('room_taken');
  }

  closeAll(): void {
    for (const { client } of this.members.values()) client.terminate();
    this.members.clear();
  }

  private sampledCount(): number {
    let n = 0;
    for (const m of this.members.values()) if (m.sampled) n++;
    return n;
  }

  private absentName(): string | undefined {
    const present = new Set([...this.members.values()].map((m) => m.name));
    const names = [...this.tokens.keys()].filter((n) => !present.has(n));
    return names[Math.floor(Math.random() * names.length)];
  }
}

export async function soak(o: Options, workDir: string, log: (line: string) => void): Promise<SoakResult> {
  const dir = fs.mkdtempSync(path.join(workDir, 'soak-'));
  const server = await ServerGroup.start('project', dir);
  const node = server.nodes[0];
  const run = new Soak(server.ports[0]);
  const steal = measureSteal();
  const samples: SoakSample[] = [];
  let timer: NodeJS.Timeout | undefined;
  try {
    log(`soak: ${o.soakMinutes} min, ${POPULATION} clients, ${CHURN_PER_SECOND} leaving and arriving every second`);
    for (let i = 0; i < POPULATION; i += 20) await Promise.all(Array.from({ length: 20 }, () => run.arrive()));
    await run.detectRooms();
    log(`soak: rooms ${run.rooms ? 'on (roomMsg to one room everyone joins)' : 'not served; room messages skipped'}`);
    let cursor = 0;
    let sequence = 0;
    // Spread over the second in TICKS_PER_SECOND ticks: the same rates sent in one burst a second made the
    // server's loop delay and the public p99 measure the burst (a 20-message fan-out to 400 clients and ten
    // logins queued at once), not the server.
    const due = new Map<string, number>();
    const times = (what: string, perSecond: number) => {
      const owed = (due.get(what) ?? 0) + perSecond / TICKS_PER_SECOND;
      const now = Math.floor(owed);
      due.set(what, owed - now);
      return now;
    };
    const tick = () => {
      const r = RATES;
      for (let i = times('leave', CHURN_PER_SECOND); i > 0; i--) run.leave();
      for (let i = times('arrive', CHURN_PER_SECOND); i > 0; i--) void run.arrive();
      for (let i = times('publicMsg', r.publicMsg); i > 0; i--) run.someone()?.client.emit('sendMsg', { text: stampedText(++sequence) }, () => undefined);
      for (let i = times('privateMsg', r.privateMsg); i > 0; i--) {
        const [a, b] = [run.someone(), run.someone()];
        if (a && b && a !== b) a.client.emit('privateMsg', { to: b.name, text: `soak ${++sequence}` }, () => undefined);
      }
      if (run.rooms) {
        for (let i = times('roomMsg', r.roomMsg); i > 0; i--) run.someone()?.client.emit('roomMsg' as never, { room: 'soak', text: `soak ${++sequence}` } as never, () => undefined);
      }
      for (let i = times('history', r.history); i > 0; i--) run.someone()?.client.emit('history', { limit: 50 }, () => undefined);
      for (let i = times('sync', r.sync); i > 0; i--) {
        cursor = Math.max(0, sequence - 200);
        run.someone()?.client.emit('sync', { after: cursor }, () => undefined);
      }
      for (let i = times('users', r.users); i > 0; i--) run.someone()?.client.emit('users', {}, () => undefined);
    };
    const began = performance.now();
    const end = began + o.soakMinutes * 60_000;
    let lastCpu = cpuMicros(node.pid) ?? 0;
    let lastSample = performance.now();
    await node.loopDelay(); // counts from here
    timer = setInterval(tick, 1000 / TICKS_PER_SECOND);
    while (performance.now() < end) {
      await sleep(SAMPLE_SECONDS * 1000);
      const latency = run.latency.summary();
      run.latency.reset();
      const [memory, delay] = await Promise.all([node.gc(), node.loopDelay()]);
      const now = performance.now();
      const cpu = cpuMicros(node.pid) ?? lastCpu;
      const sample: SoakSample = {
        at: Math.round((now - began) / 1000),
        rssMb: memory.rss / 2 ** 20,
        heapMb: memory.heapUsed / 2 ** 20,
        heapCommittedMb: (memory.spaces ?? []).reduce((sum, space) => sum + space.committed, 0) / 2 ** 20,
        loopDelayP99Ms: delay.p99,
        publicP99Ms: latency?.p99,
        cpuPercent: (cpu - lastCpu) / ((now - lastSample) * 10),
        clients: run.size,
        logins: run.logins,
        failures: run.failures,
      };
      lastCpu = cpu;
      lastSample = now;
      samples.push(sample);
      log(
        `  ${String(sample.at).padStart(4)} s  RSS ${sample.rssMb.toFixed(1).padStart(6)} MB  heap ${sample.heapMb.toFixed(1).padStart(5)} MB (of ${sample.heapCommittedMb.toFixed(1).padStart(5)})  ` +
          `loop p99 ${sample.loopDelayP99Ms.toFixed(1).padStart(5)} ms  public p99 ${sample.publicP99Ms?.toFixed(1).padStart(6) ?? '     —'} ms  ` +
          `CPU ${sample.cpuPercent.toFixed(0).padStart(3)} %  ${sample.clients} clients, ${sample.logins} logins, ${sample.failures} failed`,
      );
    }
  } finally {
    clearInterval(timer);
    await server.stop();
    run.closeAll();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return verdict(o.soakMinutes, run.rooms, samples, steal());
}

function verdict(minutes: number, rooms: boolean, samples: SoakSample[], stealPercent: number): SoakResult {
  const steady = samples.slice(Math.floor(samples.length * WARMUP_SHARE));
  const slope = (pick: (s: SoakSample) => number) => 60 * leastSquaresSlope(steady.map((s) => [s.at, pick(s)]));
  const third = Math.max(1, Math.floor(steady.length / 3));
  const p99 = (part: SoakSample[]) => median(part.map((s) => s.publicP99Ms).filter((v): v is number => v !== undefined));
  const p99Drift = p99(steady.slice(-third)) / p99(steady.slice(0, third));
  const rssSlope = slope((s) => s.rssMb);
  const heapSlope = slope((s) => s.heapMb);
  return {
    minutes,
    rooms,
    samples,
    rssSlopeMbPerMinute: rssSlope,
    heapSlopeMbPerMinute: heapSlope,
    p99Drift,
    memoryFlat: rssSlope < FLAT_MB_PER_MINUTE && heapSlope < FLAT_MB_PER_MINUTE,
    latencySteady: p99Drift <= DRIFT_LIMIT,
    stealPercent,
  };
}

export function formatSoak(r: SoakResult): string {
  return [
    `soak (${r.minutes} min): after the first ${WARMUP_SHARE * 100} %, RSS grew ${r.rssSlopeMbPerMinute.toFixed(2)} MB/min and the ` +
      `JS heap ${r.heapSlopeMbPerMinute.toFixed(2)} MB/min: ${r.memoryFlat ? 'flat' : 'NOT flat'} (limit ${FLAT_MB_PER_MINUTE} MB/min)`,
    `public p99, last third against first third (medians of the ${SAMPLE_SECONDS}-s intervals): ×${r.p99Drift.toFixed(2)}: ` +
      `${r.latencySteady ? 'no drift' : 'DRIFTS'} (limit ×${DRIFT_LIMIT})`,
    describeSteal(r.stealPercent),
  ].join('\n');
}

/** Writes soak.json and soak.svg into `out`. */
export function writeSoak(r: SoakResult, out: string): void {
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, 'soak.json'), JSON.stringify(r, null, 2) + '\n');
  fs.writeFileSync(path.join(out, 'soak.svg'), renderSoakChart(r));
}

function leastSquaresSlope(points: Array<[number, number]>): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  const num = points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0);
  const den = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}
