/**
 * `npm run bench -- [flags]`: measures the project's server — one node on SQLite, one node on PostgreSQL, two
 * nodes on PostgreSQL + Redis — against a bare Socket.IO reference, each in its own child processes, under the
 * same load from this process (raw WebSocket clients, see wire-client.ts).
 * Prints a table, writes docs/bench/results.json and docs/bench/chart.svg. Everything runs on 127.0.0.1;
 * every wait has a deadline; past its time budget the run measures nothing more, and a watchdog ends it (and
 * its children) should anything still hang.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { renderChart } from './chart';
import { describeMachine, softFileLimit } from './machine';
import { DISTURBED_PERCENT, waitForQuietMachine } from './interference';
import { autoRate, measure, type RunResult } from './measure';
import { parseOptions, UsageError, type Options } from './options';
import { formatTable, type Results } from './report';
import { describePostgres, dropAll } from './postgres-database';
import { redisVersion } from './redis-server';
import { unavailable, type ServerKind } from './server-group';
import { evaluateTargets } from './targets';
import { killAll } from './server-process';
import { slowDisk, type SlowDiskResult } from './slow-disk';
import { formatSoak, soak, writeSoak } from './soak';
import { measureSteal } from './steal';

/** How long the watchdog lets a run go on past its budget and the longest setup. */
const WATCHDOG_GRACE_SECONDS = 120;
/** Descriptors the load generator needs beyond one per client. */
const SPARE_FILES = 200;
/** How long an interrupted run may take to drop its databases. */
const DROP_TIMEOUT_MS = 5000;

async function main(options: Options): Promise<void> {
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-bench-'));
  if (options.soak) {
    try {
      const result = await soak(options, workDir, log);
      console.log(formatSoak(result));
      writeSoak(result, options.out);
      log(`\nwrote ${path.relative(process.cwd(), path.join(options.out, 'soak.json'))} and soak.svg`);
    } finally {
      fs.rmSync(workDir, { recursive: true, force: true });
    }
    return;
  }
  const machine = describeMachine(workDir);
  // Past the budget no run starts and no phase is repeated; the watchdog is the last resort for a hang.
  const budgetEnd = Date.now() + options.budgetSeconds * 1000;
  const watchdog = setTimeout(() => {
    log(`bench: still running ${WATCHDOG_GRACE_SECONDS} s past its budget; stopping`);
    abort(1);
  }, (options.budgetSeconds + options.setupSeconds + WATCHDOG_GRACE_SECONDS) * 1000);

  const missing = new Map<ServerKind, string>();
  for (const server of options.servers) {
    const why = await unavailable(server);
    if (why === undefined) continue;
    missing.set(server, why);
    log(`${server}: cannot run here: ${why} (or leave ${server} out of --servers)`);
  }
  const ran = (kinds: ServerKind[]) => kinds.some((k) => options.servers.includes(k) && !missing.has(k));
  if (ran(['pg', 'cluster'])) machine.postgres = await describePostgres();
  if (ran(['cluster'])) machine.redis = `Redis ${redisVersion()}`;

  const repeats: RunResult[][] = [];
  let disk: SlowDiskResult | undefined;
  const steal = measureSteal();
  try {
    for (let repeat = 1; repeat <= options.repeat; repeat++) {
    if (options.repeat > 1) log(`── run ${repeat} of ${options.repeat}`);
    const runs: RunResult[] = [];
    repeats.push(runs);
    for (const clients of options.clients) {
      if (clients + SPARE_FILES > softFileLimit()) {
        log(`${clients} clients: skipped, the open-file limit (ulimit -n ${softFileLimit()}) is too low; raise it and rerun`);
        continue;
      }
      log(`${clients.toLocaleString('en')} clients`);
      let rate = options.rate;
      for (const server of options.servers) {
        const why = missing.get(server);
        if (why !== undefined) {
          runs.push({ server, clients, error: `not run: ${why}` });
          continue;
        }
        if (Date.now() > budgetEnd) {
          const error = `skipped: the run's time budget (${options.budgetSeconds} s) was used up`;
          log(`  ${server}: ${error}`);
          runs.push({ server, clients, error });
          continue;
        }
        const predicted = predictSetupSeconds(runs.filter((r) => r.server === server), clients);
        if (predicted !== undefined && predicted > options.setupSeconds) {
          const error = `skipped: connecting ${clients} clients would take about ${Math.round(predicted)} s (from the growth of the setup time with clients so far), over the ${options.setupSeconds} s setup budget`;
          log(`  ${server}: ${error}`);
          runs.push({ server, clients, predictedSetupSeconds: predicted, error });
          continue;
        }
        const others = await waitForQuietMachine(DISTURBED_PERCENT, options.quietWaitSeconds);
        if (others >= DISTURBED_PERCENT) log(`  (other processes use ${Math.round(others)}% of a core; measuring anyway)`);
        const run = await measure(server, clients, { options, rate, workDir, log, retryUntil: budgetEnd });
        runs.push(run);
        // The latency runs use one rate for every server: half the first one's saturation (the project's).
        if (rate === undefined && run.saturation) rate = autoRate(run.saturation, clients);
      }
    }
    }
    if (options.fsyncDelayMs > 0) disk = await slowDisk(options, workDir, log, budgetEnd);
  } finally {
    clearTimeout(watchdog);
    fs.rmSync(workDir, { recursive: true, force: true });
  }
  machine.stealPercent = steal();

  // The first run is the one tabled and charted; with --repeat, every run's figures go to the stability section.
  const runs = repeats[0] ?? [];
  const results: Results = {
    machine,
    options: { ...options, out: path.relative(process.cwd(), options.out) },
    runs,
    targets: evaluateTargets(runs),
    ...(disk && { slowDisk: disk }),
    ...(repeats.length > 1 && { repeats }),
  };
  console.log(formatTable(results));
  fs.mkdirSync(options.out, { recursive: true });
  fs.writeFileSync(path.join(options.out, 'results.json'), JSON.stringify(results, null, 2) + '\n');
  fs.writeFileSync(path.join(options.out, 'chart.svg'), renderChart(results));
  log(`\nwrote ${path.relative(process.cwd(), path.join(options.out, 'results.json'))} and chart.svg`);
  if (repeats.flat().some((r) => r.error)) process.exitCode = 1;
}

/**
 * Extrapolates the setup time to `clients` from this server's largest earlier run, assuming the worst case,
 * t ∝ clients² (each login notifies everyone already connected). A guard against hour-long setups, not a
 * figure: fitting the exponent on two short, noisy setups proved unreliable.
 */
function predictSetupSeconds(earlier: RunResult[], clients: number): number | undefined {
  const largest = earlier.filter((r) => r.setup && r.clients < clients).at(-1);
  if (!largest?.setup) return undefined;
  return (largest.setup.seconds + largest.setup.quietSeconds) * (clients / largest.clients) ** 2;
}

/** Ends the run at once: kills every process it started, drops its databases, exits with `code`. */
function abort(code: number): void {
  killAll();
  void dropAll(DROP_TIMEOUT_MS).finally(() => process.exit(code));
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => abort(130));
process.once('exit', killAll);

let options: Options;
try {
  options = parseOptions(process.argv.slice(2));
} catch (err) {
  if (!(err instanceof UsageError)) throw err;
  console.error(err.message);
  process.exit(err.problems.length > 0 ? 2 : 0);
}
main(options).catch((err) => {
  console.error(err);
  abort(1);
});
