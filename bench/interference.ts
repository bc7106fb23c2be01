/**
 * Other processes competing for the CPU (a test run, a browser) make a 2-core machine's figures
 * meaningless. The benchmark waits for them to calm down before each run, measures a phase again when they
 * took a noticeable share during it, and flags what was still measured under interference.
 */
import { machineTimes } from './meter';

/** Other processes' CPU share (% of a core) above which a measured phase is repeated. */
export const DISTURBED_PERCENT = 25;
const ATTEMPTS = 3;

/**
 * Waits (at most `maxSeconds`) until the rest of the machine uses less than `percent` of a core over one
 * second. Call it while this benchmark's own processes are idle. Resolves with the last share seen.
 */
export async function waitForQuietMachine(percent: number, maxSeconds: number): Promise<number> {
  const until = Date.now() + maxSeconds * 1000;
  for (;;) {
    const busy = machineTimes().processes;
    const own = process.cpuUsage();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const after = process.cpuUsage();
    const others = (machineTimes().processes - busy - (after.user + after.system - own.user - own.system)) / 1e4;
    if (others < percent || Date.now() >= until) return others;
  }
}

/**
 * Runs a phase, and runs it again (up to ATTEMPTS times, after waiting for the machine to calm down) when
 * other processes took a noticeable share of the CPU meanwhile. Keeps the least disturbed attempt. No new
 * attempt starts after `retryUntil` (epoch ms).
 */
export async function rerunIfDisturbed<T extends { otherCpuPercent: number }>(
  phase: () => Promise<T>,
  quietWaitSeconds: number,
  retryUntil: number,
  log: (line: string) => void,
): Promise<T & { attempts: number }> {
  let best: T | undefined;
  for (let attempt = 1; ; attempt++) {
    const result = await phase();
    if (!best || result.otherCpuPercent < best.otherCpuPercent) best = result;
    if (result.otherCpuPercent < DISTURBED_PERCENT || attempt === ATTEMPTS || Date.now() > retryUntil) {
      return { ...best, attempts: attempt };
    }
    log(`    other processes took ${Math.round(result.otherCpuPercent)}% of a core; measuring again`);
    await waitForQuietMachine(DISTURBED_PERCENT, quietWaitSeconds);
  }
}
