/**
 * Every event a limit counts, refused by its own limit (issue 22): within the limit each is answered `ok`; the
 * next is refused `rate_limited` with its `retryAfterMs` and leaves nothing behind (nothing stored, delivered or
 * relayed, no user created, no store query run for a refused read); after the wait it is allowed again. A flood of one event proving nothing about
 * another (privateMsg once went unlimited while every flood test sent `sendMsg`), the table below must list
 * every route whose pipeline counts a limit, and the events counted elsewhere (login, in sign-in.ts).
 * What the limits do beyond one event: rate-limits.test.ts, login-limits.test.ts, connection-limits.test.ts.
 */
import type { RateLimitConfig } from '../src/limits/rate-limits';
import type { ClientEvent } from '../src/protocol';
import { routesFor } from '../src/realtime/routes';
import { isLimiting } from '../src/realtime/middleware';
import { ack, flush, record, type TestServer } from './helpers';
import { retryAfter, useLimitedServer, waitOut } from './limited-server';

const limited = useLimitedServer();

/** Two per two seconds: short enough to wait out, long enough that a slow machine stays inside one window. */
const TWO = { points: 2, seconds: 2 };

interface Scene {
  /** Sends the event for the `i`-th time; resolves with its ack. */
  send(i: number): Promise<{ ok: boolean; error?: { code: string; retryAfterMs?: number } }>;
  /** What the accepted sends left behind so far, counted where it shows (after a round trip). */
  effects(): Promise<number>;
}

interface Row {
  limits: Partial<RateLimitConfig>;
  setUp(server: TestServer): Promise<Scene>;
}

/** A sender and a recipient, logged in; the recipient's `event` arrivals are the effects. */
async function pair(server: TestServer, event: 'allmessage' | 'privateMsg' | 'typing') {
  const { client: sender } = await server.login('sender');
  const { client: recipient } = await server.login('recipient');
  const seen = record(recipient, event);
  const effects = async () => {
    await flush(recipient);
    return seen.length;
  };
  return { sender, effects };
}

const TABLE: Partial<Record<ClientEvent, Row>> = {
  sendMsg: {
    limits: { messagesBurst: TWO },
    async setUp(server) {
      const { sender, effects } = await pair(server, 'allmessage');
      return { send: (i) => ack(sender, 'sendMsg', { text: `public ${i}` }), effects };
    },
  },
  privateMsg: {
    limits: { messagesBurst: TWO },
    async setUp(server) {
      const { sender, effects } = await pair(server, 'privateMsg');
      return { send: (i) => ack(sender, 'privateMsg', { to: 'recipient', text: `private ${i}` }), effects };
    },
  },
  typing: {
    limits: { typing: TWO },
    async setUp(server) {
      const { sender, effects } = await pair(server, 'typing');
      return { send: () => ack(sender, 'typing', { to: 'recipient' }), effects };
    },
  },
  ...Object.fromEntries(
    (
      [
        ['users', {}],
        ['history', {}],
        ['sync', { after: 0 }],
      ] as const
    ).map(([event, payload]): [ClientEvent, Row] => [
      event,
      {
        // Counted per socket and per address (read-limits.test.ts); here the socket's limit refuses.
        limits: { readsPerSocket: TWO },
        async setUp(server) {
          const reader = await server.connect();
          // A read leaves nothing behind: what shows is the store, which must not have been asked.
          let asked = 0;
          const store = server.app.services.store as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
          for (const method of ['listUsers', 'publicHistory', 'since']) {
            const original = store[method].bind(store);
            store[method] = (...args) => (asked++, original(...args));
          }
          return { send: () => ack(reader, event, payload), effects: async () => asked };
        },
      },
    ]),
  ),
  login: {
    limits: { loginsPerAddress: TWO },
    async setUp(server) {
      return {
        // A connection per login: what a login counts against is its address, whatever the connection.
        send: async (i) => ack(await server.connect(), 'login', { username: `person${i}` }),
        effects: async () => (await server.app.services.store.listUsers({ limit: 1000 })).users.length,
      };
    },
  },
};

test('the table lists every event a limit counts', () => {
  const counted = Object.entries(routesFor('open'))
    .filter(([, pipeline]) => pipeline.some(isLimiting))
    .map(([event]) => event);
  // Counted outside its pipeline: every login, by event or handshake, in sign-in.ts (claim).
  const elsewhere = ['login'];
  expect(Object.keys(TABLE).sort()).toEqual([...counted, ...elsewhere].sort());
});

describe.each(Object.entries(TABLE))('%s', (event, row) => {
  test('allowed within its limit, refused beyond it with nothing left behind, allowed again after the wait', async () => {
    const server = await limited.start(row!.limits);
    const scene = await row!.setUp(server);
    const before = await scene.effects();
    for (let i = 0; i < TWO.points; i++) expect({ event, i, answer: await scene.send(i) }).toMatchObject({ answer: { ok: true } });
    const wait = retryAfter(await scene.send(TWO.points));
    expect(wait).toBeLessThanOrEqual(TWO.seconds * 1000);
    expect(await scene.effects()).toBe(before + TWO.points);
    await waitOut(wait);
    expect(await scene.send(TWO.points + 1)).toMatchObject({ ok: true });
    expect(await scene.effects()).toBe(before + TWO.points + 1);
  });
});
