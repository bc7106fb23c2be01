/**
 * The ways the event fuzz suites run the server (event-run.ts, Mode): the open mode with or without rate
 * limits, and JWT mode (jwt-payloads.ts).
 */
import { loadConfig } from '../../src/config';
import type { Mode } from './event-run';
import { refusals } from './model';

/** Names and tokens of the chat's own; rate limits off, as in every test that is not about them. */
export const OPEN_MODE: Mode = {
  loginPayload: async (name, token) => (token === undefined ? { username: name } : { username: name, token }),
  refusals,
};

/**
 * Rate limits on, small enough that a run of six events often meets one (and the fuzzing client's own login
 * at the end may have to wait for one): a `rate_limited` refusal is never a shape refusal, validation coming
 * first, and carries its retryAfterMs (event-run.ts). The reads (`users`, `history`, `sync`) count per socket
 * and per address (the witness and the fuzzer share 127.0.0.1), and four connections is all the address holds.
 */
export const LIMITED_MODE: Mode = {
  ...OPEN_MODE,
  config: {
    rateLimits: {
      ...loadConfig({}).rateLimits,
      messagesBurst: { points: 1, seconds: 1 },
      messages: { points: 2, seconds: 2 },
      typing: { points: 1, seconds: 1 },
      loginsPerAddress: { points: 4, seconds: 1 },
      badTokensPerAddress: { points: 1, seconds: 1 },
      badTokensPerName: { points: 1, seconds: 1 },
      readsPerSocket: { points: 2, seconds: 1 },
      readsPerAddress: { points: 3, seconds: 1 },
      socketsPerUser: 1,
      socketsPerAddress: 4,
    },
  },
};
