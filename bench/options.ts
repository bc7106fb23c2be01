/** Command-line flags of `npm run bench -- [flags]`, with every problem reported at once. */
import path from 'node:path';
import { DESCRIPTIONS, SERVER_KINDS, type ServerKind } from './server-group';

export interface Options {
  clients: number[];
  servers: ServerKind[];
  /** Saturation window, seconds (after warm-up). */
  seconds: number;
  /** Saturation windows per server and client count; the median is reported. */
  rounds: number;
  /** Fixed-rate latency windows, seconds. */
  latencySeconds: number;
  privateSeconds: number;
  warmupSeconds: number;
  senders: number;
  /** Public messages per second in the latency run; undefined: half the first server's saturation rate. */
  rate: number | undefined;
  privateRate: number;
  privatePairs: number;
  /** Clients writing privateMsg in a closed loop during the store-writes phase; 0 skips the phase. */
  storeWriters: number;
  storeSeconds: number;
  /** Connects + logins in flight during setup. */
  concurrency: number;
  /** Deliveries outstanding during the saturation run (bounds the server's output buffers). */
  windowDeliveries: number;
  /** Seconds one server may take to connect and log in its clients before that run is abandoned. */
  setupSeconds: number;
  profile: boolean;
  /** How long to wait for other processes to calm down before a run or a repeated phase. */
  quietWaitSeconds: number;
  out: string;
  /** Seconds after which no run starts and no disturbed phase is repeated (grows with the servers run). */
  budgetSeconds: number;
  /** The slow-disk scenario's fsync delay (slow-disk.ts), ms; 0 skips it. */
  fsyncDelayMs: number;
  /** Run the soak (soak.ts) instead of the comparison, for this many minutes. */
  soak: boolean;
  soakMinutes: number;
  /** The whole comparison this many times in a row, to show how much a figure varies (stability section). */
  repeat: number;
}

export const USAGE = `usage: npm run bench -- [--quick | --full] [flags]
  --quick                 100 and 1,000 clients, short windows (about 4 minutes on a quiet machine)
  --full                  100, 1,000, 3,000 and 10,000 clients
  --clients 100,1000      client counts (default 1000)
  --servers LIST          which servers, run in this order (default: all):
${SERVER_KINDS.map((k) => `                            ${k.padEnd(10)} ${DESCRIPTIONS[k]}`).join('\n')}
  --duration S            saturation window in seconds (latency windows follow it)
  --rounds N              saturation windows per run, median reported (default 3, --quick 1)
  --senders N             senders of public messages (default 4)
  --rate R                public messages/s for the latency run (default: half the first server's saturation)
  --private-rate R        private messages/s (default 200)
  --store-writers N       privateMsg writers in the store-writes phase (default 200, at most N−1; 0 skips it)
  --concurrency N         connects+logins in flight during setup (default 64)
  --fsync-delay MS        the slow-disk scenario: the SQLite node with every fsync delayed MS (default 20; 0 skips it)
  --repeat N              everything N times in a row; the report adds how much each figure varied (default 1)
  --soak                  instead of all that: the SQLite node under 10 minutes of churn, memory and latency over time
  --soak-minutes M        how long the soak runs (default 10)
  --profile               CPU-profile each server while clients log in and at saturation
  --out DIR               where results.json and chart.svg go (default docs/bench)`;

const ROOT = path.resolve(__dirname, '..', '..');

export function parseOptions(argv: string[]): Options {
  const flags = new Map<string, string>();
  const problems: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) problems.push(`unexpected argument "${arg}"`);
    else if (['--quick', '--full', '--profile', '--soak', '--help'].includes(arg)) flags.set(arg, 'true');
    else if (i + 1 < argv.length) flags.set(arg, argv[++i]);
    else problems.push(`${arg} needs a value`);
  }
  if (flags.has('--help')) throw new UsageError([]);
  const quick = flags.has('--quick');
  const full = flags.has('--full');
  const number = (flag: string, fallback: number, min = 1) => {
    const raw = flags.get(flag);
    flags.delete(flag);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < min) problems.push(`${flag} must be a number ≥ ${min}`);
    return value;
  };
  const list = (flag: string, fallback: string) => (flags.get(flag) ?? fallback).split(',').map((s) => s.trim());
  const defaultClients = quick ? '100,1000' : full ? '100,1000,3000,10000' : '1000';
  const clients = list('--clients', defaultClients).map(Number);
  if (clients.some((n) => !Number.isInteger(n) || n < 2)) problems.push('--clients takes integers ≥ 2, like 100,1000');
  const servers = list('--servers', SERVER_KINDS.join(','));
  const unknown = servers.filter((s) => !(SERVER_KINDS as readonly string[]).includes(s));
  if (unknown.length > 0) problems.push(`--servers: unknown ${unknown.join(', ')}; it takes ${SERVER_KINDS.join(', ')}`);
  const seconds = number('--duration', quick ? 3 : 8);
  const rate = flags.has('--rate') ? number('--rate', 0) : undefined;
  const options: Options = {
    clients,
    servers: SERVER_KINDS.filter((k) => servers.includes(k)),
    seconds,
    rounds: number('--rounds', quick ? 1 : 3),
    latencySeconds: Math.max(2, Math.round(seconds * 0.75)),
    privateSeconds: Math.max(2, Math.round(seconds / 2)),
    warmupSeconds: quick ? 1 : 1.5,
    senders: number('--senders', 4),
    rate,
    privateRate: number('--private-rate', 200),
    privatePairs: 20,
    storeWriters: number('--store-writers', 200, 0),
    storeSeconds: Math.max(2, Math.round(seconds * 0.75)),
    concurrency: number('--concurrency', 64),
    windowDeliveries: 50_000,
    setupSeconds: quick ? 120 : 420,
    profile: flags.has('--profile'),
    quietWaitSeconds: quick ? 10 : 30,
    out: path.resolve(flags.get('--out') ?? path.join(ROOT, 'docs', 'bench')),
    budgetSeconds: (quick ? 140 : 470) * Math.max(1, servers.length) * Math.max(1, Number(flags.get('--repeat') ?? 1) || 1),
    fsyncDelayMs: servers.includes('project') ? number('--fsync-delay', 20, 0) : 0,
    soak: flags.has('--soak'),
    soakMinutes: number('--soak-minutes', 10, 0.5),
    repeat: number('--repeat', 1),
  };
  for (const flag of ['--quick', '--full', '--profile', '--soak', '--clients', '--servers', '--out']) flags.delete(flag);
  for (const flag of flags.keys()) problems.push(`unknown flag ${flag}`);
  if (problems.length > 0) throw new UsageError(problems);
  return options;
}

export class UsageError extends Error {
  constructor(readonly problems: string[]) {
    super([...problems, USAGE].join('\n'));
    this.name = 'UsageError';
  }
}
