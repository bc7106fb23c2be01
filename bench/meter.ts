/**
 * Readings taken at the edges of a measured window: wall time, what the fleet received, the server child's
 * CPU (from /proc), this process's own CPU (the load generator) and the whole machine's busy time. The
 * difference of two readings gives rates and CPU shares. A generator near 100% of a core means the figures
 * measure the generator; a large "other" share means something else on the machine (a test run, the
 * kernel's loopback work) competed for the cores.
 */
import fs from 'node:fs';
import type { Counters, Fleet } from './fleet';
import type { ServerProcess } from './server-process';

export interface Reading {
  ms: number;
  counts: Counters;
  serverCpuMicros: number;
  serverWriteSyscalls: number;
  generatorCpuMicros: number;
  machine: MachineTimes;
}

export interface Window {
  seconds: number;
  /** allmessage frames received by all clients. */
  deliveries: number;
  privateDeliveries: number;
  serverCpuPercent: number;
  generatorCpuPercent: number;
  serverCpuMicros: number;
  serverWriteSyscalls: number;
  /** CPU of other processes on the machine (a test run, an editor): interference, not load. */
  otherCpuPercent: number;
  /**
   * Interrupt and softirq time, which Linux does not charge to any process: mostly the loopback TCP work of
   * this very benchmark, which grows with the number of connections.
   */
  kernelIrqPercent: number;
}

export function read(fleet: Fleet, server: ServerProcess): Reading {
  const own = process.cpuUsage();
  const sample = server.sample();
  return {
    ms: performance.now(),
    counts: { ...fleet.counts },
    serverCpuMicros: sample.cpuMicros,
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
    deliveries: b.counts.allmessage - a.counts.allmessage,
    privateDeliveries: b.counts.privateMsg - a.counts.privateMsg,
    serverCpuPercent: serverCpuMicros / (seconds * 1e4),
    generatorCpuPercent: (b.generatorCpuMicros - a.generatorCpuMicros) / (seconds * 1e4),
    serverCpuMicros,
    serverWriteSyscalls: b.serverWriteSyscalls - a.serverWriteSyscalls,
    otherCpuPercent: Math.max(
      0,
      (b.machine.processes - a.machine.processes - serverCpuMicros - (b.generatorCpuMicros - a.generatorCpuMicros)) /
        (seconds * 1e4),
    ),
    kernelIrqPercent: (b.machine.interrupts - a.machine.interrupts) / (seconds * 1e4),
  };
}

const MICROS_PER_TICK = 1e6 / 100; // USER_HZ, see server-process.ts

export interface MachineTimes {
  /** CPU time all processes used since boot, microseconds. */
  processes: number;
  /** CPU time spent in interrupts and softirqs since boot, microseconds. */
  interrupts: number;
}

/** From the `cpu` line of /proc/stat (user nice system idle iowait irq softirq …). */
export function machineTimes(): MachineTimes {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
  const [user, nice, system, , , irq, softirq] = line.trim().split(/\s+/).slice(1).map(Number);
  return { processes: (user + nice + system) * MICROS_PER_TICK, interrupts: (irq + softirq) * MICROS_PER_TICK };
}
