/**
 * Readings taken at the edges of a measured window: wall time, what the fleet received, the server's CPU
 * (its processes', from /proc; see ServerGroup for what is counted), this process's own CPU (the load generator) and the whole machine's busy time. The
 * difference of two readings gives rates and CPU shares. A generator near 100% of a core means the figures
 * measure the generator; a large "other" share means something else on the machine (a test run, the
 * kernel's loopback work) competed for the cores.
 */
import fs from 'node:fs';
import type { Counters, Fleet } from './fleet';
import { MICROS_PER_TICK } from './proc';
import type { CpuParts, ServerGroup } from './server-group';

export interface Reading {
  ms: number;
  counts: Counters;
  serverCpuMicros: number;
  serverParts: CpuParts;
  serverWaitMicros: number;
  serverWriteSyscalls: number;
  generatorCpuMicros: number;
  machine: MachineTimes;
}

export interface Window {
  seconds: number;
  /** allmessage and roomMsg frames received by all clients (a phase sends one kind or the other). */
  deliveries: number;
  privateDeliveries: number;
  serverCpuPercent: number;
  generatorCpuPercent: number;
  serverCpuMicros: number;
  /** The same, by part (nodes, redis-server, PostgreSQL backends). */
  serverParts: CpuParts;
  /**
   * Share of the window a node's event loop was ready to run but waited for a CPU (mean over the nodes): CPU
   * contention on the machine, which shows as latency.
   */
  serverWaitPercent: number;
  serverWriteSyscalls: number;
  /** CPU of other processes on the machine (a test run, an editor): interference, not load. */
  otherCpuPercent: number;
  /**
   * Interrupt and softirq time, which Linux does not charge to any process: mostly the loopback TCP work of
   * this very benchmark, which grows with the number of connections.
   */
  kernelIrqPercent: number;
  /** CPU time the hypervisor gave to other guests while this one wanted it (steal), percent of one core. */
  stealPercent: number;
}

export function read(fleet: Fleet, server: ServerGroup): Reading {
  const own = process.cpuUsage();
  const sample = server.sample();
  return {
    ms: performance.now(),
    counts: { ...fleet.counts },
    serverCpuMicros: sample.cpuMicros,
    serverParts: sample.parts,
    serverWaitMicros: sample.waitMicros,
    serverWriteSyscalls: sample.writeSyscalls,
    generatorCpuMicros: own.user + own.system,
    machine: machineTimes(),
  };
}

export function between(a: Reading, b: Reading): Window {
  const seconds = (b.ms - a.ms) / 1000;
  const serverCpuMicros = b.serverCpuMicros - a.serverCpuMicros;
  return {
    seconds,
    deliveries: b.counts.allmessage + b.counts.roomMsg - a.counts.allmessage - a.counts.roomMsg,
    privateDeliveries: b.counts.privateMsg - a.counts.privateMsg,
    serverCpuPercent: serverCpuMicros / (seconds * 1e4),
    generatorCpuPercent: (b.generatorCpuMicros - a.generatorCpuMicros) / (seconds * 1e4),
    serverCpuMicros,
    serverParts: {
      nodes: b.serverParts.nodes - a.serverParts.nodes,
      ...(b.serverParts.redis !== undefined && { redis: b.serverParts.redis - (a.serverParts.redis ?? 0) }),
      ...(b.serverParts.postgres !== undefined && { postgres: b.serverParts.postgres - (a.serverParts.postgres ?? 0) }),
    },
    serverWaitPercent: (b.serverWaitMicros - a.serverWaitMicros) / (seconds * 1e4),
    serverWriteSyscalls: b.serverWriteSyscalls - a.serverWriteSyscalls,
    otherCpuPercent: Math.max(
      0,
      (b.machine.processes - a.machine.processes - serverCpuMicros - (b.generatorCpuMicros - a.generatorCpuMicros)) /
        (seconds * 1e4),
    ),
    kernelIrqPercent: (b.machine.interrupts - a.machine.interrupts) / (seconds * 1e4),
    stealPercent: (b.machine.steal - a.machine.steal) / (seconds * 1e4),
  };
}

/** Each part of `parts` divided by `divisor`: per delivery, or (divisor = seconds × 10⁴) percent of a core. */
export function scaleParts(parts: CpuParts, divisor: number): CpuParts {
  const scale = (micros: number | undefined) => (micros === undefined ? undefined : micros / divisor);
  return { nodes: parts.nodes / divisor, redis: scale(parts.redis), postgres: scale(parts.postgres) };
}

export interface MachineTimes {
  /** CPU time all processes used since boot, microseconds. */
  processes: number;
  /** CPU time spent in interrupts and softirqs since boot, microseconds. */
  interrupts: number;
  /** Time the hypervisor gave this machine's virtual CPUs to someone else (steal), microseconds. */
  steal: number;
  /** Every kind of time counted, idle included, microseconds: the whole machine's capacity so far. */
  total: number;
}

/** From the `cpu` line of /proc/stat (user nice system idle iowait irq softirq steal …). */
export function machineTimes(): MachineTimes {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
  const fields = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const [user, nice, system, , , irq, softirq, steal = 0] = fields;
  return {
    processes: (user + nice + system) * MICROS_PER_TICK,
    interrupts: (irq + softirq) * MICROS_PER_TICK,
    steal: steal * MICROS_PER_TICK,
    total: fields.reduce((a, b) => a + b, 0) * MICROS_PER_TICK,
  };
}

/** Percent of the machine's CPU time between two readings that was stolen by the hypervisor. */
export function stealPercent(a: MachineTimes, b: MachineTimes): number {
  const total = b.total - a.total;
  return total > 0 ? ((b.steal - a.steal) / total) * 100 : 0;
}
