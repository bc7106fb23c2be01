/**
 * Redis for the test suites: a real redis-server per test file (bench/redis-server.ts, shared with the
 * benchmark), and the choice between running and skipping a suite when there is none.
 */
import { redisMissing } from '../bench/redis-server';

export { freePort, RedisServer, redisMissing } from '../bench/redis-server';

/**
 * `describe` when redis-server is available, else `describe.skip` with the reason printed; under CI=true a
 * missing redis-server fails instead.
 */
export function describeWithRedis(): jest.Describe {
  const missing = redisMissing();
  if (missing === undefined) return describe;
  if (process.env.CI === 'true') throw new Error(`Redis suites cannot run: ${missing}`);
  console.warn(`skipping Redis tests: ${missing}`);
  return describe.skip;
}
