/**
 * The event fuzz suite (event-run.ts) with rate limits on and small (modes.ts, LIMITED_MODE): every check of
 * events.test.ts holds while limits refuse, each refusal is `rate_limited` with its retryAfterMs and never a
 * shape refusal, and the client can chat again once the wait is over. Fewer runs: a run may wait out a limit.
 */
import fc from 'fast-check';
import { fuzzRun } from './event-run';
import { ProcessGuard } from './guard';
import { LIMITED_MODE } from './modes';
import { command, type Command } from './payloads';
import { fuzzParameters, fuzzTimeout } from './settings';

const RUNS = 30;
const READS = ['users', 'history', 'sync'];
const FILE = 'tests/fuzz/events-limited.test.ts';

/**
 * Valid events that count against a limit, so that a run of a few meets one often: messages and typing
 * (logged in), logins and wrong tokens (logged out; logged in, a login for another name is refused first),
 * and every read (issue 16).
 */
const counted: fc.Arbitrary<Command> = fc.record({
  event: fc.constantFrom('sendMsg', 'sendMsg', 'typing', 'login', 'users', 'history', 'sync'),
  ack: fc.boolean(),
  name: fc.stringMatching(/^[a-z]{1,6}$/),
  token: fc.constantFrom(undefined, 'a-wrong-token'),
}).map(({ event, ack, name, token }) => ({ event, ack, args: [countedPayload(event, name, token)] }));

function countedPayload(event: string, name: string, token: string | undefined): object {
  switch (event) {
    case 'sendMsg':
      return { text: `counted ${name}` };
    case 'login':
      return token === undefined ? { username: name } : { username: 'witness', token };
    case 'users':
      return { after: name };
    case 'sync':
      return { after: 0 };
    default:
      return {}; // typing, history
  }
}
const commands = fc.array(fc.oneof({ weight: 1, arbitrary: command }, { weight: 2, arbitrary: counted }), { minLength: 2, maxLength: 6 });

const guard = new ProcessGuard();
beforeAll(() => guard.start());
afterAll(() => guard.stop());

test(
  'with rate limits on: the same guarantees, refusals rate_limited with their wait, the client chats after it',
  async () => {
    let limited = 0;
    let readsLimited = 0;
    await fc.assert(
      fc.asyncProperty(fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }), commands, async (loggedIn, run) => {
        await guard.check(async () => {
          const { codes } = await fuzzRun(guard, LIMITED_MODE, loggedIn, run);
          limited += codes.filter((code) => code === 'rate_limited').length;
          readsLimited += run.filter((c, i) => READS.includes(c.event) && codes[i] === 'rate_limited').length;
        });
      }),
      fuzzParameters(RUNS, FILE),
    );
    // The limits were met, the read limits among them, or this suite would only repeat events.test.ts.
    expect(limited).toBeGreaterThan(0);
    expect(readsLimited).toBeGreaterThan(0);
  },
  fuzzTimeout(RUNS, 1500),
);
