/** The figures the benchmark reports, in the order the table and the chart show them, and the comparisons between servers. */
import type { RunResult } from './measure';
import type { ServerKind } from './server-group';

export interface Figure {
  id: string;
  /** The measurement it comes from (to flag figures measured while other processes competed). */
  phase: 'setup' | 'memory' | 'saturation' | 'light' | 'latency' | 'private' | 'storeAlone' | 'store';
  label: string;
  /** For the chart's panel titles, when `label` is too long for them. */
  short?: string;
  unit: string;
  better: 'higher' | 'lower';
  /** The figure in one run; undefined when that run did not get as far. */
  value(run: RunResult): number | undefined;
  /** Digits after the decimal point in the table. */
  digits: number;
}

export const KB = 1024;

export const FIGURES: Figure[] = [
  {
    id: 'deliveries',
    phase: 'saturation',
    label: 'fan-out at saturation',
    unit: 'deliveries/s',
    better: 'higher',
    value: (r) => r.saturation?.deliveriesPerSecond,
    digits: 0,
  },
  {
    id: 'writes',
    phase: 'saturation',
    label: 'messages stored and acked at saturation',
    short: 'messages stored/s at saturation',
    unit: 'msg/s',
    better: 'higher',
    value: (r) => r.saturation?.messagesPerSecond,
    digits: 0,
  },
  {
    id: 'storeWritesAlone',
    phase: 'storeAlone',
    label: 'store writes acked, 200 writers, no fan-out',
    short: 'store writes/s, no fan-out',
    unit: 'msg/s',
    better: 'higher',
    value: (r) => r.storeAlone?.writesPerSecond,
    digits: 0,
  },
  {
    id: 'storeWrites',
    phase: 'store',
    label: 'store writes acked under fan-out',
    short: 'store writes/s under fan-out',
    unit: 'msg/s',
    better: 'higher',
    value: (r) => r.store?.writesPerSecond,
    digits: 0,
  },
  {
    id: 'cpuPerDelivery',
    phase: 'saturation',
    label: 'server CPU per delivery',
    unit: 'µs',
    better: 'lower',
    value: (r) => r.saturation?.serverCpuMicrosPerDelivery,
    digits: 2,
  },
  {
    id: 'lightP50',
    phase: 'light',
    label: 'public latency p50 under light load',
    short: 'public latency p50, light load',
    unit: 'ms',
    better: 'lower',
    value: (r) => r.light?.latencyMs?.p50,
    digits: 2,
  },
  {
    id: 'lightP99',
    phase: 'light',
    label: 'public latency p99 under light load',
    short: 'public latency p99, light load',
    unit: 'ms',
    better: 'lower',
    value: (r) => r.light?.latencyMs?.p99,
    digits: 2,
  },
  {
    id: 'latencyP50',
    phase: 'latency',
    label: 'public latency p50 at half saturation',
    short: 'public latency p50, half saturation',
    unit: 'ms',
    better: 'lower',
    value: (r) => r.latency?.latencyMs?.p50,
    digits: 2,
  },
  {
    id: 'latencyP99',
    phase: 'latency',
    label: 'public latency p99 at half saturation',
    short: 'public latency p99, half saturation',
    unit: 'ms',
    better: 'lower',
    value: (r) => r.latency?.latencyMs?.p99,
    digits: 2,
  },
  {
    id: 'privateP99',
    phase: 'private',
    label: 'private latency p99',
    unit: 'ms',
    better: 'lower',
    value: (r) => r.private?.latencyMs?.p99,
    digits: 2,
  },
  {
    id: 'rssPerConnection',
    phase: 'memory',
    label: 'RSS per idle connection',
    unit: 'KiB',
    better: 'lower',
    value: (r) => (r.memory ? r.memory.rssPerConnectionBytes / KB : undefined),
    digits: 1,
  },
  {
    id: 'logins',
    phase: 'setup',
    label: 'connections opened (connect + login)',
    short: 'connections opened/s',
    unit: 'per s',
    better: 'higher',
    value: (r) => r.setup?.perSecond,
    digits: 0,
  },
];

/** Whether other processes took a noticeable share of the CPU while `figure` was measured in `run`. */
export function disturbed(figure: Figure, run: RunResult, threshold: number): boolean {
  if (figure.phase === 'setup' || figure.phase === 'memory') return false;
  return (run[figure.phase]?.otherCpuPercent ?? 0) >= threshold;
}

/** A ratio shown beside the figures: one server's figure over another's, measured in the same run. */
export interface Comparison {
  of: ServerKind;
  to: ServerKind;
  /** Column heading. */
  name: string;
}

export const COMPARISONS: Comparison[] = [
  { of: 'project', to: 'reference', name: 'project/ref' },
  { of: 'cluster', to: 'pg', name: 'cluster/pg' },
];

/** of/to, or undefined when either is missing. */
export function ratio(figure: Figure, of: RunResult | undefined, to: RunResult | undefined) {
  const a = of && figure.value(of);
  const b = to && figure.value(to);
  if (a === undefined || b === undefined || b === 0) return undefined;
  return a / b;
}

/** Whether a ratio is at least as good (good), within 10 % (neither) or worse by more (bad). */
export function verdict(figure: Figure, r: number): 'good' | 'bad' | undefined {
  if (figure.better === 'higher' ? r >= 1 : r <= 1) return 'good';
  if (figure.better === 'higher' ? r < 0.9 : r > 1.1) return 'bad';
  return undefined;
}
