/**
 * How long a fuzz property runs and how a failure is replayed (issue 11).
 *
 * `npm test` makes a fixed, modest number of runs per property. `FUZZ_RUNS=20000 npx jest tests/fuzz` runs
 * longer. A failure prints fast-check's report (the shrunk counterexample, its seed and path) and the command
 * that replays exactly that case: `FUZZ_SEED=… FUZZ_PATH=… npx jest <file>`.
 */
import fc from 'fast-check';

const runs = (bounded: number): number => positiveInt('FUZZ_RUNS') ?? bounded;

/** Parameters for fc.assert: the run count, the seed (fresh unless FUZZ_SEED), and a report with a replay line. */
export function fuzzParameters<T>(bounded: number, file: string): fc.Parameters<T> {
  const seed = process.env.FUZZ_SEED;
  const path = process.env.FUZZ_PATH;
  return {
    numRuns: runs(bounded),
    includeErrorInReport: true,
    ...(seed !== undefined && { seed: Number(seed) }),
    ...(path !== undefined && { path }),
    asyncReporter: async (details) => {
      if (!details.failed) return;
      const report = (await fc.asyncDefaultReportMessage(details)) ?? 'fuzz property failed';
      const replay = `FUZZ_SEED=${details.seed} FUZZ_PATH=${details.counterexamplePath ?? ''} npx jest ${file}`;
      throw new Error(`${report}\n\nReplay this case: ${replay}`);
    },
  };
}

/** A jest timeout for a property of `bounded` runs taking about `msPerRun` each, scaled for FUZZ_RUNS. */
export function fuzzTimeout(bounded: number, msPerRun: number): number {
  return 30_000 + runs(bounded) * msPerRun * 4;
}

function positiveInt(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return value;
}
