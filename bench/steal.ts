/**
 * CPU steal: the share of time this virtual machine's CPUs were ready to run but the host ran someone else
 * (the `steal` column of /proc/stat, `st` in vmstat). On this shared host it reached 30-56 %; a figure measured
 * with steal above STEAL_LIMIT_PERCENT measures the host, not the code, and should be measured again.
 */
import { machineTimes, stealPercent } from './meter';

export const STEAL_LIMIT_PERCENT = 10;

/** Starts measuring; the returned function gives steal over the window, in % of all CPU time. */
export function measureSteal(): () => number {
  const start = machineTimes();
  return () => stealPercent(start, machineTimes());
}

/** One line for a report: the steal over the run, and what it means. */
export function describeSteal(percent: number): string {
  const verdict =
    percent > STEAL_LIMIT_PERCENT
      ? `over ${STEAL_LIMIT_PERCENT} %: these figures measure the host more than the code; run again`
      : `at most ${STEAL_LIMIT_PERCENT} %: the host left the CPUs to this machine`;
  return `CPU steal during the run: ${percent.toFixed(1)} % (${verdict})`;
}
