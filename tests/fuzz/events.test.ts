/**
 * Property-based fuzzing of every client event with fast-check (issue 11): any JSON and near-valid payloads
 * (tests/fuzz/payloads.ts) on every event and on unknown ones, with and without an ack, in wrong argument
 * shapes, from a real socket.io-client to a real server in the open mode, rate limits off. What each run
 * checks is in event-run.ts; the shape rules are docs/protocol.md's, written out in model.ts.
 * tests/bad-input.test.ts holds the hand-picked cases; events-limited.test.ts and jwt-login.test.ts run the
 * same checks with rate limits on and in JWT mode.
 *
 * Every run first sends the boundaries of every field (edges.ts: lengths 0, 1, the maximum and one more, in wide
 * characters too), so that a missing limit fails each `npm test`, not only a lucky one.
 *
 * `npm test` makes RUNS runs; `FUZZ_RUNS=20000 npx jest tests/fuzz` runs longer. A failure prints the shrunk
 * counterexample, its seed, and the command that replays it (FUZZ_SEED, FUZZ_PATH).
 */
import fc from 'fast-check';
import { fuzzRun } from './event-run';
import { ProcessGuard } from './guard';
import { OPEN_MODE } from './modes';
import { asExamples, edgeCommands } from './edges';
import { command } from './payloads';
import { fuzzParameters, fuzzTimeout } from './settings';

const RUNS = 150;
const EDGES = asExamples(edgeCommands(), true);
const FILE = 'tests/fuzz/events.test.ts';

const guard = new ProcessGuard();
beforeAll(() => guard.start());
afterAll(() => guard.stop());

test(
  'any event, payload and argument shape: one answer, nothing stored or broadcast when refused, the client still chats',
  async () => {
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.array(command, { minLength: 1, maxLength: 6 }), async (loggedIn, commands) => {
        // A server per run: a run (and its shrinking, and its replay) does not depend on what earlier runs stored.
        await guard.check(async () => {
          await fuzzRun(guard, OPEN_MODE, loggedIn, commands);
        });
      }),
      // Every run of the suite first sends each field's boundaries (edges.ts), whatever the random draw.
      { ...fuzzParameters(RUNS, FILE), examples: EDGES },
    );
  },
  fuzzTimeout(RUNS + EDGES.length, 40),
);
