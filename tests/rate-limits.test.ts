/**
 * Rate limits (issue 11): each limit is hit and recovered from, and ordinary use stays untouched. Limits are
 * set small here so the tests stay short; the defaults are in config.ts and the README.
 */
import { ack, closeClient, next, startServer, within, type Client, type TestServer } from './helpers';
import { expectConnectionRefused, flood, retryAfter, useLimitedServer, waitOut } from './limited-server';
import { IN_FLIGHT_RETRY_MS } from '../src/limits/wrong-tokens';
import { gatedStore } from './gated-store';
import { openSqliteStore } from '../src/store';
import { testConfig } from '../src/config';
import { ABUSE_REFUSALS } from '../src/realtime/session';
import { MAX_PENDING_EVENTS } from '../src/realtime/connection';

const limited = useLimitedServer();
const startWith = limited.start;
const connectFrom = limited.connectFrom;
/** The test's server: started by `startWith` (closed by useLimitedServer), or without limits by the test. */
let server: TestServer;

test('without limits a flood stores everything; with them it is cut at the burst and the flooder disconnected', async () => {
  server = await startServer(); // tests run with RATE_LIMITS off, like a load test
  const { client: free } = await server.login('free');
  expect((await flood(free, 200)).stored).toBe(200);
  await server.close();

  server = await startWith({ messagesBurst: { points: 20, seconds: 10 } });
  const { client: flooder } = await server.login('flooder');
  const cutOff = new Promise<string>((resolve) => flooder.once('disconnect', (reason) => resolve(reason)));
  const notice = new Promise((resolve) => flooder.on('msg1', (n) => n.type === 'error' && resolve(n)));
  const outcomes = await flood(flooder, 200);
  expect(outcomes.stored).toBe(20);
  expect(outcomes.refused.length).toBeGreaterThanOrEqual(29);
  for (const wait of outcomes.refused) {
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(10_000);
  }
  expect(await within(cutOff, 'the flooder being cut off')).toBe('io server disconnect');
  expect(await within(notice, 'the notice before the cut')).toMatchObject({ code: 'rate_limited' });
  const history = await ack(await server.connect(), 'history', { limit: 100 });
  expect(history.ok && history.messages.length).toBe(20);
});

test('a normal user at one message per second is untouched while another floods; the flooder recovers after retryAfterMs', async () => {
  server = await startWith({ messagesBurst: { points: 5, seconds: 2 } });
  const { client: normal } = await server.login('normal');
  const { client: flooder, res } = await server.login('flooder');
  const paced = (async () => {
    const results = [];
    for (let i = 0; i < 3; i++) {
      results.push(await ack(normal, 'sendMsg', { text: `normal ${i}` }));
      if (i < 2) await new Promise((r) => setTimeout(r, 1000)); // the scenario's cadence, not a wait for a condition
    }
    return results;
  })();
  const outcomes = await flood(flooder, 12, 1);
  expect(outcomes.stored).toBe(5);

  // The limit is per user, whatever the tab; after the announced wait the user may send again.
  const tab = await server.connect();
  await ack(tab, 'login', { username: 'flooder', token: res.token });
  const refused = await ack(tab, 'sendMsg', { text: 'still too soon' });
  expect(refused).toMatchObject({ ok: false, error: { code: 'rate_limited', retryAfterMs: expect.any(Number) } });
  await new Promise((r) => setTimeout(r, refused.ok ? 0 : refused.error.retryAfterMs!));
  expect(await ack(tab, 'sendMsg', { text: 'allowed again' })).toMatchObject({ ok: true });
  expect((await paced).every((r) => r.ok)).toBe(true);
}, 30_000);

test('a login brute force is slowed: wrong tokens per address, then per name across addresses', async () => {
  server = await startWith({ badTokensPerAddress: { points: 5, seconds: 600 }, badTokensPerName: { points: 8, seconds: 600 } }, { trustProxy: true });
  const owner = await connectFrom('198.51.100.1');
  const login = await ack(owner, 'login', { username: 'victim' });
  if (!login.ok) throw new Error('victim could not log in');

  const attacker = await connectFrom('203.0.113.7');
  const answers = [];
  for (let i = 0; i < 7; i++) answers.push(await ack(attacker, 'login', { username: 'victim', token: `guess-${i}` }));
  expect(answers.slice(0, 5).map((a) => !a.ok && a.error.code)).toEqual(Array(5).fill('username_taken'));
  expect(answers.slice(5)).toEqual(Array(2).fill({ ok: false, error: { code: 'rate_limited', message: expect.any(String), retryAfterMs: expect.any(Number) } }));
  // The blocked address gets no answer about tokens at all, not even a right one…
  expect(await ack(attacker, 'login', { username: 'victim', token: login.token })).toMatchObject({ error: { code: 'rate_limited' } });
  // …other addresses still may, until the name itself has seen too many wrong tokens (5 + 3 = 8).
  const second = await connectFrom('203.0.113.8');
  for (let i = 0; i < 3; i++) expect(await ack(second, 'login', { username: 'victim', token: `more-${i}` })).toMatchObject({ error: { code: 'username_taken' } });
  expect(await ack(second, 'login', { username: 'victim', token: 'one-more' })).toMatchObject({ error: { code: 'rate_limited' } });
  // Other names are not affected.
  expect(await ack(second, 'login', { username: 'bystander' })).toMatchObject({ ok: true });
});

test('logins and new connections per address are capped; another address is not affected', async () => {
  server = await startWith({ loginsPerAddress: { points: 3, seconds: 60 }, connectionsPerAddress: { points: 5, seconds: 60 } }, { trustProxy: true });
  const busy = await connectFrom('192.0.2.1');
  for (let i = 0; i < 3; i++) {
    expect(await ack(busy, 'login', { username: `x${i}` })).toMatchObject({ ok: true });
    await ack(busy, 'logout', {});
  }
  expect(await ack(busy, 'login', { username: 'x3' })).toMatchObject({ ok: false, error: { code: 'rate_limited' } });

  for (let i = 0; i < 4; i++) await connectFrom('192.0.2.1'); // 5 connections in all
  await expect(connectFrom('192.0.2.1')).rejects.toThrow();
  await expectConnectionRefused(server, '192.0.2.1');
  await expect(connectFrom('192.0.2.2')).resolves.toBeDefined();
});

test('X-Forwarded-For is not believed without TRUST_PROXY: every client here is one address', async () => {
  server = await startWith({ connectionsPerAddress: { points: 2, seconds: 60 } });
  await connectFrom('192.0.2.10');
  await connectFrom('192.0.2.11');
  await expect(connectFrom('192.0.2.12')).rejects.toThrow();
  await expectConnectionRefused(server, '192.0.2.13');
});

test('live sockets per user are capped, for handshake and event logins alike', async () => {
  server = await startWith({ socketsPerUser: 2 });
  const { client: first, res } = await server.login('many');
  const second = await server.connect();
  expect(await ack(second, 'login', { username: 'many', token: res.token })).toMatchObject({ ok: true });
  const third = await server.connect();
  expect(await ack(third, 'login', { username: 'many', token: res.token })).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
  await expect(connectFrom('127.0.0.1', { auth: { token: res.token } })).rejects.toMatchObject({ data: { code: 'rate_limited' } });
  // A tab closes: there is room again.
  await closeClient(first);
  await within(
    new Promise<void>((resolve) => server.app.events.once('socketClosed', () => resolve())),
    'the closed tab being forgotten',
  );
  expect(await ack(third, 'login', { username: 'many', token: res.token })).toMatchObject({ ok: true });
});

test('typing is limited per user too', async () => {
  server = await startWith({ typing: { points: 3, seconds: 60 } });
  const { client } = await server.login('typist');
  const answers = [];
  for (let i = 0; i < 4; i++) answers.push(await ack(client, 'typing', {}));
  expect(answers.map((a) => a.ok)).toEqual([true, true, true, false]);
});

test('a refusal of an event sent without an ack comes as a msg1 error notice carrying retryAfterMs', async () => {
  server = await startWith({ messagesBurst: { points: 1, seconds: 60 }, typing: { points: 1, seconds: 60 } });
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

/** Answers `event` until the client is cut off (at most `max` sends); the answers that came, in order. */
async function untilCutOff(client: Client, send: () => Promise<unknown>, max: number) {
  const cut = new Promise<string>((resolve) => client.once('disconnect', (reason) => resolve(reason)));
  const notices: unknown[] = [];
  client.on('msg1', (n) => n.type === 'error' && notices.push(n));
  const answers = [];
  for (let i = 0; i < max && client.connected; i++) answers.push(await send().catch(() => 'lost'));
  return { answers, reason: await within(cut, 'the client being cut off'), notices };
}

test('a socket that keeps retrying refused logins is cut off like a flooder', async () => {
  server = await startWith({ loginsPerAddress: { points: 1, seconds: 60 } });
  const client = await server.connect();
  expect(await ack(client, 'login', { username: 'first' })).toMatchObject({ ok: true });
  await ack(client, 'logout', {});
  let i = 0;
  const { answers, reason, notices } = await untilCutOff(client, () => ack(client, 'login', { username: `retry${i++}` }), ABUSE_REFUSALS + 10);
  expect(reason).toBe('io server disconnect');
  expect(answers).toHaveLength(ABUSE_REFUSALS);
  expect(answers).toEqual(Array(ABUSE_REFUSALS).fill({ ok: false, error: { code: 'rate_limited', message: expect.any(String), retryAfterMs: expect.any(Number) } }));
  expect(notices).toEqual([expect.objectContaining({ code: 'rate_limited', text: 'Disconnected for sending too much.', retryAfterMs: expect.any(Number) })]);
});

test('a socket that overfills its event queue again and again is cut off; each burst counts once', async () => {
  const gates = gatedStore(openSqliteStore(testConfig().storage));
  server = await startWith({}, {}, { store: gates.store });
  const client = await server.connect();
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

describe('wrong tokens are counted before they are checked: parallel guesses cannot overrun the limit', () => {
  const codes = (answers: Array<{ ok: boolean; error?: { code: string } } | string>) =>
    answers.map((a) => (typeof a === 'string' ? a : a.ok ? 'ok' : a.error!.code)).sort();
  let gates: ReturnType<typeof gatedStore>;
  const startGated = (limits: Parameters<typeof startWith>[0]) => {
    gates = gatedStore(openSqliteStore(testConfig().storage));
    return startWith(limits, { trustProxy: true }, { store: gates.store });
  };

  /**
   * Starts every attempt at once and holds those that reach the store's `method` (the token check) until
   * every attempt has either reached it or been answered: so all of them are in flight together, however
   * fast the store is. Resolves with the answers.
   */
  async function together<T>(method: 'findUser' | 'findUserByToken', attempts: Array<() => Promise<T>>): Promise<T[]> {
    let inFlight = 0;
    let everyone!: () => void;
    const allIn = new Promise<void>((resolve) => (everyone = resolve));
    const counted = () => ++inFlight >= attempts.length && everyone();
    const gate = gates.gate(method, () => (counted(), true));
    const answers = attempts.map((attempt) => attempt().finally(counted));
    await within(allIn, 'every attempt held at the token check or answered');
    gate.open();
    return Promise.all(answers);
  }

  test('per name, from many addresses at once', async () => {
    server = await startGated({ badTokensPerName: { points: 4, seconds: 600 } });
    const owner = await server.login('victim');
    const sockets = await Promise.all(Array.from({ length: 10 }, (_, i) => connectFrom(`203.0.113.${i + 1}`)));
    const answers = await together('findUser', sockets.map((s, i) => () => ack(s, 'login', { username: 'victim', token: `guess-${i}` })));
    expect(codes(answers)).toEqual([...Array(6).fill('rate_limited'), ...Array(4).fill('username_taken')]);
    // The name's counter is full: the owner's right token is refused too, until the window passes (the
    // documented cost of this limit); the owner's open connection is untouched.
    expect(await ack(await connectFrom('198.51.100.1'), 'login', { username: 'victim', token: owner.res.token })).toMatchObject({ error: { code: 'rate_limited' } });
    expect(await ack(owner.client, 'sendMsg', { text: 'still here' })).toMatchObject({ ok: true });
  });

  test('per address, from many sockets at once, by name and by token alone', async () => {
    server = await startGated({ badTokensPerAddress: { points: 3, seconds: 600 } });
    await server.login('victim');
    const sockets = await Promise.all(Array.from({ length: 8 }, () => connectFrom('203.0.113.50')));
    const answers = await together('findUser', sockets.map((s, i) => () => ack(s, 'login', { username: 'victim', token: `guess-${i}` })));
    expect(codes(answers)).toEqual([...Array(5).fill('rate_limited'), ...Array(3).fill('username_taken')]);

    const handshakes = Array.from({ length: 8 }, (_, i) => () => connectFrom('203.0.113.51', { auth: { token: `unknown-${i}` } }).then(() => 'ok', (err) => String(err.data?.code)));
    expect(codes(await together('findUserByToken', handshakes))).toEqual([...Array(5).fill('rate_limited'), ...Array(3).fill('unauthorized')]);
  });

  test('right tokens cost nothing once checked; many in flight at once delay the others by a second at most', async () => {
    server = await startGated({ badTokensPerAddress: { points: 2, seconds: 600 }, badTokensPerName: { points: 2, seconds: 600 } });
    const { res } = await server.login('owner');
    const tabs = await Promise.all(Array.from({ length: 5 }, () => server.connect()));
    const login = (tab: Client) => ack(tab, 'login', { username: 'owner', token: res.token });
    const first = await together('findUser', tabs.map((tab) => () => login(tab)));
    expect(codes(first)).toEqual([...Array(2).fill('ok'), ...Array(3).fill('rate_limited')]);
    const waits = first.filter((a) => !a.ok).map(retryAfter);
    for (const wait of waits) expect(wait).toBeLessThanOrEqual(IN_FLIGHT_RETRY_MS);
    await waitOut(Math.max(...waits));
    const again = [];
    for (const tab of tabs.filter((_, i) => !first[i].ok)) again.push(await login(tab));
    expect(codes(again)).toEqual(Array(3).fill('ok'));
    // Not one of those logins is still counted: the counters are empty for a guesser.
    const guesser = await server.connect();
    const guesses = [];
    for (let i = 0; i < 3; i++) guesses.push(await ack(guesser, 'login', { username: 'owner', token: `guess-${i}` }));
    expect(codes(guesses)).toEqual(['rate_limited', 'username_taken', 'username_taken']);
  });
});
