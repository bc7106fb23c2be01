/**
 * Rate limits on what a logged-in user sends (issue 11): messages (a burst and a sustained rule) and typing,
 * each hit and recovered from after the retryAfterMs the server named; a long flood cut while a normal user
 * is never refused; refusals without an ack as msg1 notices; the cut-off of a socket overfilling its queue.
 * Limits are set small so that the tests stay short; the defaults are in config.ts and docs/security.md.
 * Logins and tokens: login-limits.test.ts; connections: connection-limits.test.ts; sockets per user:
 * socket-cap.test.ts.
 */
import { testConfig } from '../src/config';
import { MAX_PENDING_EVENTS } from '../src/realtime/connection';
import { ABUSE_REFUSALS } from '../src/realtime/session';
import { openSqliteStore } from '../src/store';
import { gatedStore } from './gated-store';
import { ack, next, startServer, within, type Client, type TestServer } from './helpers';
import { flood, retryAfter, useLimitedServer, waitOut } from './limited-server';

const limited = useLimitedServer();
/** The test's server: started by `limited.start` (closed by useLimitedServer), or without limits by the test. */
let server: TestServer;

/** Logins and connections are not what these tests are about: plenty of both, everyone being 127.0.0.1. */
const ROOMY = { loginsPerAddress: { points: 10_000, seconds: 60 }, connectionsPerAddress: { points: 10_000, seconds: 60 } };

test('without limits a flood stores everything; with them it is cut at the burst and the flooder disconnected', async () => {
  server = await startServer(); // tests run with RATE_LIMITS off, like a load test
  const { client: free } = await server.login('free');
  expect((await flood(free, 200)).stored).toBe(200);
  await server.close();

  server = await limited.start({ messagesBurst: { points: 20, seconds: 10 } });
  const { client: flooder } = await server.login('flooder');
  const cutOff = new Promise<string>((resolve) => flooder.once('disconnect', (reason) => resolve(reason)));
  const notice = new Promise((resolve) => flooder.on('msg1', (n) => n.type === 'error' && resolve(n)));
  const outcomes = await flood(flooder, 200);
  expect(outcomes.stored).toBe(20);
  expect(outcomes.refused.length).toBe(ABUSE_REFUSALS);
  for (const wait of outcomes.refused) {
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(10_000);
  }
  expect(await within(cutOff, 'the flooder being cut off')).toBe('io server disconnect');
  expect(await within(notice, 'the notice before the cut')).toMatchObject({ code: 'rate_limited' });
  const history = await ack(await server.connect(), 'history', { limit: 100 });
  expect(history.ok && history.messages.length).toBe(20);
});

/**
 * Keeps `inFlight` sends going as `name` until `until` settles, logging in again with the token whenever the
 * server cuts the socket off; counts what happened.
 */
async function persistentFlood(name: string, token: string, until: Promise<unknown>, inFlight = 10) {
  let over = false;
  void until.finally(() => (over = true));
  const outcomes = { stored: 0, refused: 0, lost: 0, disconnects: 0, sentAfterTheEnd: 0 };
  while (!over) {
    const { client, session } = limited.tab({ username: name, token });
    await within(session, 'the flooder logged in again');
    while (!over && client.connected) {
      const batch = await flood(client, inFlight, inFlight);
      outcomes.stored += batch.stored;
      outcomes.refused += batch.refused.length;
      outcomes.lost += batch.lost;
    }
    if (!client.connected) outcomes.disconnects++;
    client.disconnect();
  }
  return outcomes;
}

test('a flood that lasts, reconnecting when cut off, never touches a user sending one message a second', async () => {
  const burst = { points: 5, seconds: 2 };
  server = await limited.start({ ...ROOMY, messagesBurst: burst });
  const { client: normal } = await server.login('normal');
  const { res } = await server.login('flooder');
  const started = performance.now();
  const paced = (async () => {
    const answers = [];
    for (let i = 0; i < 6; i++) {
      if (i > 0) await waitOut(1000); // the normal user's cadence, not a wait for a condition
      answers.push(await ack(normal, 'sendMsg', { text: `normal ${i}` }));
    }
    return answers;
  })();
  const outcomes = await persistentFlood('flooder', res.token!, paced);
  const elapsedS = (performance.now() - started) / 1000;

  expect((await paced).map((a) => (a.ok ? 'ok' : a.error.code))).toEqual(Array(6).fill('ok'));
  // The flood went on the whole time: cut off again and again, logging in again each time.
  expect(outcomes.disconnects).toBeGreaterThanOrEqual(2);
  expect(outcomes.refused).toBeGreaterThanOrEqual(2 * ABUSE_REFUSALS);
  // It stored no more than the burst rule allows in the windows the run spanned (fixed windows).
  expect(outcomes.stored).toBeGreaterThan(0);
  expect(outcomes.stored).toBeLessThanOrEqual(burst.points * (Math.floor(elapsedS / burst.seconds) + 1));
}, 30_000);

test('the sustained rule holds when the bursts stay within theirs; both recover after the wait they named', async () => {
  server = await limited.start({ messagesBurst: { points: 3, seconds: 1 }, messages: { points: 5, seconds: 4 } });
  const { client } = await server.login('steady');
  const send = (text: string) => ack(client, 'sendMsg', { text });
  for (let i = 0; i < 3; i++) expect(await send(`a${i}`)).toMatchObject({ ok: true });
  const burstWait = retryAfter(await send('a3'));
  expect(burstWait).toBeLessThanOrEqual(1000);
  await waitOut(burstWait);
  for (let i = 0; i < 2; i++) expect(await send(`b${i}`)).toMatchObject({ ok: true });
  // Five in the sustained window: the sixth is refused by that rule, the burst rule allowing it.
  const sustainedWait = retryAfter(await send('b2'));
  expect(sustainedWait).toBeGreaterThan(1000);
  await waitOut(sustainedWait);
  expect(await send('c0')).toMatchObject({ ok: true });
  const history = await ack(client, 'history', {});
  expect(history.ok && history.messages.map((m) => m.text)).toEqual(['a0', 'a1', 'a2', 'b0', 'b1', 'c0']);
});

test('a refusal by one rule costs nothing under the others', async () => {
  // A sustained rule with a shorter window than the burst's, so that the burst rule's count can be seen.
  server = await limited.start({ messagesBurst: { points: 3, seconds: 30 }, messages: { points: 2, seconds: 2 } });
  const { client } = await server.login('counted');
  const send = (text: string) => ack(client, 'sendMsg', { text });
  for (let i = 0; i < 2; i++) expect(await send(`m${i}`)).toMatchObject({ ok: true });
  await waitOut(retryAfter(await send('refused by the sustained rule')));
  // The burst rule counted 2, not 3: the third message passes it.
  expect(await send('m2')).toMatchObject({ ok: true });
});

test('messages and typing are limited per user, in every tab, and allowed again after retryAfterMs', async () => {
  server = await limited.start({ messagesBurst: { points: 2, seconds: 2 }, typing: { points: 2, seconds: 2 } });
  const { client, res } = await server.login('typist');
  const tab = await server.connect({ auth: { token: res.token } });
  for (const [event, payload] of [['sendMsg', { text: 'hi' }], ['typing', {}]] as const) {
    expect(await ack(client, event, payload)).toMatchObject({ ok: true });
    expect(await ack(tab, event, payload)).toMatchObject({ ok: true });
    const wait = retryAfter(await ack(client, event, payload));
    expect(retryAfter(await ack(tab, event, payload))).toBeLessThanOrEqual(2000);
    await waitOut(wait);
    expect(await ack(tab, event, payload)).toMatchObject({ ok: true });
  }
});

test('a refusal of an event sent without an ack comes as a msg1 error notice carrying retryAfterMs', async () => {
  server = await limited.start({ messagesBurst: { points: 1, seconds: 60 }, typing: { points: 1, seconds: 60 } });
  const { client } = await server.login('quiet');
  expect(await ack(client, 'sendMsg', { text: 'first' })).toMatchObject({ ok: true });
  expect(await ack(client, 'typing', {})).toMatchObject({ ok: true });
  for (const event of ['sendMsg', 'typing'] as const) {
    const notice = next(client, 'msg1', (n) => n.type === 'error');
    client.emit(event, event === 'sendMsg' ? { text: 'second' } : {});
    const { code, retryAfterMs } = await notice;
    expect(code).toBe('rate_limited');
    expect(retryAfterMs).toBeGreaterThan(0);
    expect(retryAfterMs).toBeLessThanOrEqual(60_000);
  }
});

test('a socket that overfills its event queue again and again is cut off; each burst counts once', async () => {
  const gates = gatedStore(openSqliteStore(testConfig().storage));
  // The bursts are reads, which their own limit would refuse too: only the queue's bound is tested here.
  const plenty = { points: 100_000, seconds: 60 };
  server = await limited.start({ readsPerSocket: plenty, readsPerAddress: plenty }, {}, { store: gates.store });
  const client: Client = await server.connect();
  const cut = new Promise<string>((resolve) => client.once('disconnect', (reason) => resolve(reason)));
  const rateLimited = (answers: unknown[]) => answers.filter((a) => typeof a === 'object' && !(a as { ok: boolean }).ok).length;
  /** One event held in the store, then MAX_PENDING_EVENTS + 1 more: the queue takes 63, refuses 2. */
  const burst = async () => {
    const held = gates.gate('publicHistory', () => true);
    const first = ack(client, 'history', {}).catch(() => 'lost');
    await held.arrived();
    const rest = Array.from({ length: MAX_PENDING_EVENTS + 1 }, () => ack(client, 'users', {}).catch(() => 'lost'));
    await rest[rest.length - 1]; // refused at once: every event of the burst has reached the server
    held.open();
    return Promise.all([first, ...rest]);
  };
  for (let i = 1; i < ABUSE_REFUSALS; i++) {
    expect(rateLimited(await burst())).toBe(2);
    expect(client.connected).toBe(true);
  }
  await burst();
  expect(await within(cut, 'the client being cut off')).toBe('io server disconnect');
});
