/**
 * The event fuzz suite (event-run.ts) in JWT mode, on `login` (issue 11): payloads around tokens the host
 * signed, for acceptable names and for names the chat refuses, and tokens that must never log anyone in
 * (jwt-payloads.ts). Every shared check holds; the shape rules are docs/auth.md's (model.ts,
 * jwtLoginRefusals); no forged, expired, foreign, unsigned or tampered token, nor one for a refused name, is
 * ever accepted; the client still logs in with a good token and chats.
 */
import fc from 'fast-check';
import { asExamples, jwtEdgeCommands } from './edges';
import { fuzzRun, type Mode } from './event-run';
import { ProcessGuard } from './guard';
import { jwtLoginCommand, jwtMode, tokenPool } from './jwt-payloads';
import { fuzzParameters, fuzzTimeout } from './settings';

const RUNS = 60;
const EDGES = asExamples(jwtEdgeCommands(), false);
const FILE = 'tests/fuzz/jwt-login.test.ts';

const guard = new ProcessGuard();
beforeAll(() => guard.start());
afterAll(() => guard.stop());

test(
  'JWT mode, any login payload: one answer of the documented shape, bad tokens never accepted, the client still chats',
  async () => {
    const pool = await tokenPool();
    const mode: Mode = jwtMode(pool);
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.array(jwtLoginCommand(pool), { minLength: 1, maxLength: 6 }), async (loggedIn, commands) => {
        await guard.check(async () => {
          await fuzzRun(guard, mode, loggedIn, commands);
        });
      }),
      // The token's boundaries first, in every run of the suite (edges.ts).
      { ...fuzzParameters(RUNS, FILE), examples: EDGES },
    );
  },
  fuzzTimeout(RUNS + EDGES.length, 60),
);
