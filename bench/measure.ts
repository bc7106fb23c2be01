/**
 * One server, one client count: start the server child, connect and log in the clients, then measure in
 * turn idle memory, saturation, public latency under light load and at half saturation, private latency and store writes under fan-out. A failed phase ends the
 * run and is reported in `error`; what was measured before it is kept.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Fleet, sleep, type SetupResult } from './fleet';
import { fixedRate, type FixedRateResult } from './fixed-rate';
import type { Options } from './options';
import { summarizeProfile, type ProfileSummary } from './profile';
import { rerunIfDisturbed } from './interference';
import { between, read } from './meter';
import { saturate, type SaturationResult } from './saturation';
import { storeWrites, type StoreWritesResult } from './store-writes';
import type { MemoryReport } from './child-control';
import { ServerGroup, type ServerKind } from './server-group';

export interface MemoryResult {
  /** After GC, before any client connected. */
  baseRssBytes: number;
  /** After GC, with every client connected, logged in and idle. */
  idleRssBytes: number;
  rssPerConnectionBytes: number;
  heapPerConnectionBytes: number;
  /** Peak RSS over the whole run (VmHWM), read at the end. */
  peakRssBytes?: number;
}

export interface RunResult {
  server: ServerKind;
  clients: number;
  /** What its server CPU figures add up (the node processes, redis-server, PostgreSQL backends). */
  serverCpuCounts?: string;
  setup?: SetupResult & { serverCpuPercent: number; generatorCpuPercent: number };
  memory?: MemoryResult;
  /** The median round; `rounds` lists every round's deliveries/s. */
  saturation?: SaturationResult & { rounds: number[] };
  /** Public latency under light load: LIGHT_DELIVERIES per second (issue 18's light fan-out at 1,000 clients). */
  light?: FixedRateResult;
  latency?: FixedRateResult;
  private?: FixedRateResult;
  /** Private messages acked/s by many writers while public fan-out runs at the latency run's rate. */
  /** The store writers alone (no fan-out), then under fan-out. */
  storeAlone?: StoreWritesResult;
  store?: StoreWritesResult;
  /** With --profile: where the nodes' CPU went while clients logged in, at saturation and during store writes. */
  profiles?: { setup?: ProfileSummary; saturation?: ProfileSummary; storeAlone?: ProfileSummary; store?: ProfileSummary };
  /** Set when the run was skipped because its setup would have taken too long. */
  predictedSetupSeconds?: number;
  error?: string;
}

/** Generous: under the project's login burst a handshake waits behind every login already queued. */
const CONNECT_TIMEOUT_MS = 120_000;
/** Memory is read once RSS changes by less than this between two readings… */
const SETTLED_FRACTION = 0.02;
/** …or after this many: freed memory reaches the OS in steps, seconds after a burst. */
const SETTLE_TRIES = 4;
/**
 * How long a server is left alone before its memory is read. V8 keeps its young generation at the size a
 * burst grew it to (up to 32 MB) until its memory reducer runs, about 8 s after allocation slows down; a GC
 * forced every second keeps that from happening. Read too early, an idle server with 1,000 connections counted
 * 18 KiB per connection of young generation that it released a few seconds later.
 */
const IDLE_MS = 15_000;
/**
 * The light load: deliveries per second of the public latency run that comes first (2 senders; at 1,000
 * clients 20 messages a second, the light fan-out issue 18 measured). The second run, at half the saturation
 * rate, keeps a server's event loop busy 60–90 % of the time, where latency is mostly queueing.
 */
const LIGHT_DELIVERIES = 20_000;
const LIGHT_SENDERS = 2;

export interface MeasureContext {
  options: Options;
  /** Public messages/s of the latency run; undefined: half this server's saturation rate. */
  rate: number | undefined;
  workDir: string;
  log: (line: string) => void;
  /** Epoch ms after which a disturbed phase is no longer measured again (the run's time budget). */
  retryUntil: number;
}

export async function measure(kind: ServerKind, clients: number, context: MeasureContext): Promise<RunResult> {
  const { options: o, rate, workDir, log, retryUntil } = context;
  const result: RunResult = { server: kind, clients };
  const dir = fs.mkdtempSync(path.join(workDir, `${kind}-${clients}-`));
  let server: ServerGroup;
  try {
    server = await ServerGroup.start(kind, dir);
  } catch (err) {
    result.error = `could not start: ${err instanceof Error ? err.message : String(err)}`;
    log(`  ${kind}: ${result.error}`);
    fs.rmSync(dir, { recursive: true, force: true });
    return result;
  }
  const fleet = new Fleet(server.ports);
  const phaseDeadline = () => Date.now() + Math.max(60, o.seconds * 10) * 1000;
  const profiled = async <T>(phase: 'setup' | 'saturation' | 'storeAlone' | 'store', work: () => Promise<T>): Promise<T> => {
    if (!o.profile) return work();
    await server.profileStart();
    const value = await work();
    const files = await server.profileStop((node) => path.join(profileDir(), `${kind}-${clients}-${phase}-${node + 1}.cpuprofile`));
    (result.profiles ??= {})[phase] = summarizeProfile(files);
    return value;
  };
  try {
    const base = await settledMemory(server);
    log(`  ${kind}: connecting and logging in ${clients} clients`);
    const before = read(fleet, server);
    const setup = await profiled('setup', () =>
      fleet.grow(clients, o.concurrency, Date.now() + o.setupSeconds * 1000, CONNECT_TIMEOUT_MS),
    );
    const w = between(before, read(fleet, server));
    result.setup = { ...setup, serverCpuPercent: w.serverCpuPercent, generatorCpuPercent: w.generatorCpuPercent };
    log(`  ${kind}: ${Math.round(setup.perSecond)} logins/s, quiet after ${setup.quietSeconds.toFixed(1)} s more`);
    const idle = await settledMemory(server);
    result.memory = {
      baseRssBytes: base.rss,
      idleRssBytes: idle.rss,
      rssPerConnectionBytes: (idle.rss - base.rss) / clients,
      heapPerConnectionBytes: (idle.heapUsed - base.heapUsed) / clients,
    };

    const undisturbed = <T extends { otherCpuPercent: number }>(phase: () => Promise<T>) =>
      rerunIfDisturbed(phase, o.quietWaitSeconds, retryUntil, log);
    // Several rounds, median kept: one 8-second window on a 2-core VM varies by ±20 %.
    const rounds = await profiled('saturation', async () => {
      const done: SaturationResult[] = [];
      for (let round = 0; round < o.rounds; round++) {
        done.push(
          await undisturbed(() =>
            saturate(fleet, server, {
              senders: o.senders,
              ackWindow: 16,
              windowDeliveries: Math.max(o.windowDeliveries, 4 * clients),
              warmupSeconds: o.warmupSeconds,
              seconds: o.seconds,
              deadline: phaseDeadline(),
            }),
          ),
        );
      }
      return done;
    });
    const perSecond = rounds.map((r) => Math.round(r.deliveriesPerSecond));
    result.saturation = { ...medianBy(rounds, (r) => r.deliveriesPerSecond), rounds: perSecond };
    log(`  ${kind}: ${perSecond.join(', ')} deliveries/s at saturation`);

    // The same public run twice: under light load, then at half the saturation rate.
    const publicLatency = (rate: number, senders: number) =>
      undisturbed(() =>
        fixedRate(fleet, server, {
          kind: 'public',
          rate,
          senders,
          sampledReceivers: 200,
          ackWindow: 32,
          warmupSeconds: o.warmupSeconds / 2,
          seconds: o.latencySeconds,
          deadline: phaseDeadline(),
        }),
      );
    const lightPublicRate = lightRate(clients);
    result.light = await publicLatency(lightPublicRate, LIGHT_SENDERS);
    const publicRate = rate ?? autoRate(result.saturation, clients);
    result.latency = await publicLatency(publicRate, o.senders);
    result.private = await undisturbed(() =>
      fixedRate(fleet, server, {
        kind: 'private',
        rate: o.privateRate,
        senders: Math.min(o.privatePairs, Math.floor(clients / 2)),
        sampledReceivers: 0,
        ackWindow: 32,
        warmupSeconds: o.warmupSeconds / 2,
        seconds: o.privateSeconds,
        deadline: phaseDeadline(),
      }),
    );
    const p99 = (r: FixedRateResult) => r.latencyMs?.p99.toFixed(2) ?? '—';
    const where = result.latency.crossNode ? ' (cross-node)' : '';
    log(`  ${kind}: p99 ${p99(result.light)} ms public at ${lightPublicRate} msg/s, ${p99(result.latency)} ms at ${publicRate} msg/s, ${p99(result.private)} ms private${where}`);
    if (o.storeWriters > 0) {
      result.storeAlone = await profiled('storeAlone', () => undisturbed(() =>
        storeWrites(fleet, server, {
          writers: o.storeWriters,
          ackWindow: 8,
          fanoutRate: 0,
          warmupSeconds: o.warmupSeconds / 2,
          seconds: o.storeSeconds,
          deadline: phaseDeadline(),
        }),
      ));
      log(`  ${kind}: ${Math.round(result.storeAlone.writesPerSecond)} private messages acked/s by ${result.storeAlone.writers} writers, no fan-out`);
      result.store = await profiled('store', () => undisturbed(() =>
        storeWrites(fleet, server, {
          writers: o.storeWriters,
          ackWindow: 8,
          fanoutRate: publicRate,
          warmupSeconds: o.warmupSeconds / 2,
          seconds: o.storeSeconds,
          deadline: phaseDeadline(),
        }),
      ));
      log(`  ${kind}: ${Math.round(result.store.writesPerSecond)} private messages acked/s by ${result.store.writers} writers under fan-out of ${publicRate} msg/s`);
    }
  } catch (err) {
    result.error = err instanceof Error ? err.message : String(err);
    log(`  ${kind}: ${result.error}`);
  } finally {
    if (result.memory) result.memory.peakRssBytes = server.sample().peakRssBytes;
    result.serverCpuCounts = server.counted;
    await server.stop(); // first, so that the clients' departure costs the server nothing
    fleet.closeAll();
    for (const file of server.logFiles) {
      const output = fs.readFileSync(file, 'utf8').trim();
      if (output) log(`  ${path.basename(file)} (${output.split('\n').length} lines), first lines:\n${output.slice(0, 1500)}`);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return result;
}

/**
 * What a server holds once left alone: a full GC, IDLE_MS without one (so that V8's memory reducer runs),
 * another GC and a reading, then one every IDLE_MS / 3 until RSS stops falling. Right after the login burst it is inflated.
 */
async function settledMemory(server: ServerGroup): Promise<MemoryReport> {
  await server.gc();
  await sleep(IDLE_MS);
  let last = await server.gc();
  for (let i = 0; i < SETTLE_TRIES; i++) {
    await sleep(IDLE_MS / 3);
    const now = await server.gc();
    const settled = Math.abs(now.rss - last.rss) < last.rss * SETTLED_FRACTION;
    last = now;
    if (settled) break;
  }
  return last;
}

function medianBy<T>(items: T[], key: (item: T) => number): T {
  const sorted = [...items].sort((a, b) => key(a) - key(b));
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

/** Public messages per second of the light run: LIGHT_DELIVERIES spread over the clients, at least 1. */
function lightRate(clients: number): number {
  return Math.max(1, Math.round(LIGHT_DELIVERIES / clients));
}

/** Half the saturation message rate, rounded to two significant digits: clearly below saturation. */
export function autoRate(saturation: SaturationResult, clients: number): number {
  const perSecond = saturation.deliveriesPerSecond / clients / 2;
  if (perSecond < 1) return 1;
  const scale = 10 ** (Math.floor(Math.log10(perSecond)) - 1);
  return Math.round(perSecond / scale) * scale;
}

/** Profiles go to bench/results/tmp/ (git-ignored): they are large and machine-specific. */
function profileDir(): string {
  const dir = path.resolve(__dirname, '..', '..', 'bench', 'results', 'tmp');
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}
