/**
 * What /proc (Linux) says about a process: CPU time, memory and write system calls, readable while the
 * process itself is too busy to answer; and the processes whose command line matches, for servers the
 * benchmark did not start itself (PostgreSQL's backends).
 */
import fs from 'node:fs';

const CLOCK_TICKS_PER_SECOND = 100; // getconf CLK_TCK (USER_HZ); 100 on every mainstream Linux
export const MICROS_PER_TICK = 1e6 / CLOCK_TICKS_PER_SECOND;

/** User + system CPU time of `pid` (all its threads), microseconds; undefined once it has exited. */
export function cpuMicros(pid: number): number | undefined {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state) of proc(5); utime and stime are fields 14 and 15.
  return (Number(fields[11]) + Number(fields[12])) * MICROS_PER_TICK;
}

/**
 * Time the thread `pid` (for a process, its main thread: Node's event loop) spent runnable but waiting for a
 * CPU, microseconds (the second field of /proc/<pid>/schedstat); undefined once it has exited.
 */
export function runQueueWaitMicros(pid: number): number | undefined {
  try {
    return Number(fs.readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]) / 1000;
  } catch {
    return undefined;
  }
}

export interface Memory {
  rssBytes: number;
  /** Peak RSS so far (VmHWM). */
  peakRssBytes: number;
}

export function memory(pid: number): Memory {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return { rssBytes: kB(status, 'VmRSS') * 1024, peakRssBytes: kB(status, 'VmHWM') * 1024 };
}

/** write/writev/send system calls so far (syscw of /proc/<pid>/io): how well writes to sockets batch. */
export function writeSyscalls(pid: number): number {
  return Number(/^syscw:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1] ?? NaN);
}

/** Pids of the processes whose command line (arguments joined by spaces) satisfies `match`. */
export function findProcesses(match: (commandLine: string) => boolean): number[] {
  const found: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const commandLine = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0+/g, ' ').trim();
      if (match(commandLine)) found.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

function kB(status: string, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return match ? Number(match[1]) : NaN;
}

/**
 * Cumulative CPU time of a changing set of processes (PostgreSQL backends come and go with a connection
 * pool). A process's last reading is kept after it exits, so the total never falls; what it used after its
 * last reading is lost, hence `watch`: pg's pool closes a connection after 10 s idle, so reading every few
 * seconds loses nothing.
 */
export class ProcessSetCpu {
  private readonly last = new Map<number, number>();

  constructor(private readonly find: () => number[]) {}

  /** Processes seen so far. */
  get seen(): number {
    return this.last.size;
  }

  total(): number {
    for (const pid of this.find()) {
      const cpu = cpuMicros(pid);
      if (cpu !== undefined) this.last.set(pid, cpu);
    }
    let sum = 0;
    for (const cpu of this.last.values()) sum += cpu;
    return sum;
  }

  /** Reads the set every `intervalMs` until the returned function is called. */
  watch(intervalMs: number): () => void {
    const timer = setInterval(() => this.total(), intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }
}
