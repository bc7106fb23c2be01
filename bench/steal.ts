/**
 * CPU steal: the share of time this virtual machine's CPUs were ready to run but the host ran someone else
 * (the `steal` column of /proc/stat, `st` in vmstat). On this shared host it reached 30-56 %; a figure measured
 * with steal above STEAL_LIMIT_PERCENT measures the host, not the code, and should be measured again.
 */
import fs from 'node:fs';

export const STEAL_LIMIT_PERCENT = 10;

interface CpuTimes {
  steal: number;
  total: number;
}

function cpuTimes(): CpuTimes | undefined {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0];
    const fields = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal guest guest_nice; guest time is already in user.
    const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
    return { steal: fields[7] ?? 0, total };
  } catch {
    return undefined;
  }
}

/** Starts measuring; the returned function gives steal over the window, in % of all CPU time (NaN off Linux). */
export function measureSteal(): () => number {
  const start = cpuTimes();
  return () => {
    const end = cpuTimes();
    if (!start || !end || end.total === start.total) return NaN;
    return (100 * (end.steal - start.steal)) / (end.total - start.total);
  };
}

/** One line for a report: the steal over the run, and what it means. */
export function describeSteal(percent: number): string {
  if (Number.isNaN(percent)) return 'CPU steal: unknown (no /proc/stat)';
  const verdict =
    percent > STEAL_LIMIT_PERCENT
      ? `over ${STEAL_LIMIT_PERCENT} %: these figures measure the host more than the code; run again`
      : `at most ${STEAL_LIMIT_PERCENT} %: the host left the CPUs to this machine`;
  return `CPU steal during the run: ${percent.toFixed(1)} % (${verdict})`;
}
