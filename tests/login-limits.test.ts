/**
 * Limits on logins (issue 11): logins per address, wrong tokens per address and per name (counted before
 * they are checked, so that parallel guesses cannot overrun them), each hit and recovered from after the
 * retryAfterMs the server named; a socket that keeps retrying refused logins is cut off.
 */
import { testConfig } from '../src/config';
import { IN_FLIGHT_RETRY_MS } from '../src/limits/wrong-tokens';
import { ABUSE_REFUSALS } from '../src/realtime/session';
import { openSqliteStore } from '../src/store';
import { gatedStore } from './gated-store';
import { ack, within, type Client, type TestServer } from './helpers';
import { DEFAULT_LIMITS, retryAfter, useLimitedServer, waitOut } from './limited-server';

const limited = useLimitedServer();
let server: TestServer;

type Answer = { ok: boolean; error?: { code: string } } | string;
const codes = (answers: Answer[]) => answers.map((a) => (typeof a === 'string' ? a : a.ok ? 'ok' : a.error!.code)).sort();

test('a login brute force is slowed: wrong tokens per address, then per name across addresses', async () => {
  server = await limited.start({ badTokensPerAddress: { points: 5, seconds: 600 }, badTokensPerName: { points: 8, seconds: 600 } }, { trustProxy: true });
  const owner = await limited.connectFrom('198.51.100.1');
  const login = await ack(owner, 'login', { username: 'victim' });
  if (!login.ok) throw new Error('victim could not log in');

  const attacker = await limited.connectFrom('203.0.113.7');
  const answers = [];
  for (let i = 0; i < 7; i++) answers.push(await ack(attacker, 'login', { username: 'victim', token: `guess-${i}` }));
  expect(answers.slice(0, 5).map((a) => !a.ok && a.error.code)).toEqual(Array(5).fill('username_taken'));
  expect(answers.slice(5)).toEqual(Array(2).fill({ ok: false, error: { code: 'rate_limited', message: expect.any(String), retryAfterMs: expect.any(Number) } }));
  // The blocked address gets no answer about tokens at all, not even a right one…
  expect(await ack(attacker, 'login', { username: 'victim', token: login.token })).toMatchObject({ error: { code: 'rate_limited' } });
  // …other addresses still may, until the name itself has seen too many wrong tokens (5 + 3 = 8).
  const second = await limited.connectFrom('203.0.113.8');
  for (let i = 0; i < 3; i++) expect(await ack(second, 'login', { username: 'victim', token: `more-${i}` })).toMatchObject({ error: { code: 'username_taken' } });
  expect(await ack(second, 'login', { username: 'victim', token: 'one-more' })).toMatchObject({ error: { code: 'rate_limited' } });
  // Other names are not affected.
  expect(await ack(second, 'login', { username: 'bystander' })).toMatchObject({ ok: true });
});

test('logins per address: refused beyond the limit, allowed again after retryAfterMs; another address is not affected', async () => {
  server = await limited.start({ loginsPerAddress: { points: 3, seconds: 2 } }, { trustProxy: true });
  const busy = await limited.connectFrom('192.0.2.1');
  for (let i = 0; i < 3; i++) {
    expect(await ack(busy, 'login', { username: `x${i}` })).toMatchObject({ ok: true });
    await ack(busy, 'logout', {});
  }
  const wait = retryAfter(await ack(busy, 'login', { username: 'x3' }));
  // Handshake logins count too.
  await expect(limited.connectFrom('192.0.2.1', { auth: { username: 'x4' } })).rejects.toMatchObject({ data: { code: 'rate_limited' } });
  expect(await ack(await limited.connectFrom('192.0.2.2'), 'login', { username: 'elsewhere' })).toMatchObject({ ok: true });
  await waitOut(wait);
  expect(await ack(busy, 'login', { username: 'x3' })).toMatchObject({ ok: true });
});

test('wrong tokens per address: after the wait the server named, the right token opens the name again', async () => {
  server = await limited.start({ badTokensPerAddress: { points: 2, seconds: 2 } });
  const { res } = await server.login('owner');
  const client = await server.connect();
  for (let i = 0; i < 2; i++) expect(await ack(client, 'login', { username: 'owner', token: `guess-${i}` })).toMatchObject({ error: { code: 'username_taken' } });
  const wait = retryAfter(await ack(client, 'login', { username: 'owner', token: res.token }));
  await waitOut(wait);
  expect(await ack(client, 'login', { username: 'owner', token: res.token })).toMatchObject({ ok: true });
});

test('300 wrong tokens from 30 addresses at the default limits: the owner still logs in, few tokens were checked (issue 16)', async () => {
  server = await limited.start({}, { trustProxy: true });
  const { res } = await server.login('owner');
  let checked = 0;
  for (let a = 0; a < 30; a++) {
    const guesser = await limited.connectFrom(`203.0.113.${a + 1}`);
    for (let i = 0; i < 10; i++) {
      const answer = await ack(guesser, 'login', { username: 'owner', token: `guess-${a}-${i}` });
      if (!answer.ok && answer.error.code === 'username_taken') checked++;
      else expect(answer).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
    }
  }
  // The name's budget (50), then one token per address new to the name: never more.
  const { badTokensPerName } = DEFAULT_LIMITS;
  expect(checked).toBeLessThanOrEqual(badTokensPerName.points + 30);
  expect(await ack(await limited.connectFrom('198.51.100.7'), 'login', { username: 'owner', token: res.token })).toMatchObject({ ok: true });
  // A handshake login with the token, from another fresh address, too.
  await expect(limited.connectFrom('198.51.100.8', { auth: { username: 'owner', token: res.token } })).resolves.toBeDefined();
});

/** Answers `send` until the client is cut off (at most `max` sends); the answers that came, in order. */
async function untilCutOff(client: Client, send: () => Promise<unknown>, max: number) {
  const cut = new Promise<string>((resolve) => client.once('disconnect', (reason) => resolve(reason)));
  const notices: unknown[] = [];
  client.on('msg1', (n) => n.type === 'error' && notices.push(n));
  const answers = [];
  for (let i = 0; i < max && client.connected; i++) answers.push(await send().catch(() => 'lost'));
  return { answers, reason: await within(cut, 'the client being cut off'), notices };
}

test('a socket that keeps retrying refused logins is cut off like a flooder', async () => {
  server = await limited.start({ loginsPerAddress: { points: 1, seconds: 60 } });
  const client = await server.connect();
  expect(await ack(client, 'login', { username: 'first' })).toMatchObject({ ok: true });
  await ack(client, 'logout', {});
  let i = 0;
  const { answers, reason, notices } = await untilCutOff(client, () => ack(client, 'login', { username: `retry${i++}` }), ABUSE_REFUSALS + 10);
  expect(reason).toBe('io server disconnect');
  expect(answers).toEqual(Array(ABUSE_REFUSALS).fill({ ok: false, error: { code: 'rate_limited', message: expect.any(String), retryAfterMs: expect.any(Number) } }));
  expect(notices).toEqual([expect.objectContaining({ code: 'rate_limited', text: 'Disconnected for sending too much.', retryAfterMs: expect.any(Number) })]);
});

describe('wrong tokens are counted before they are checked: parallel guesses cannot overrun the limit', () => {
  let gates: ReturnType<typeof gatedStore>;
  const startGated = (limits: Parameters<typeof limited.start>[0]) => {
    gates = gatedStore(openSqliteStore(testConfig().storage));
    return limited.start(limits, { trustProxy: true }, { store: gates.store });
  };

  /**
   * Starts every attempt at once and holds those that reach the store's `method` (the token check) until
   * every attempt has either reached it or been answered: so all of them are in flight together, however
   * fast the store is. Resolves with the answers.
   */
  async function together<T>(method: 'findUser' | 'findSession', attempts: Array<() => Promise<T>>): Promise<T[]> {
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

  test('per name, from many addresses at once: the budget, then one attempt per address that never guessed', async () => {
    server = await startGated({ badTokensPerName: { points: 4, seconds: 600 } });
    const owner = await server.login('victim');
    const sockets = await Promise.all(Array.from({ length: 10 }, (_, i) => limited.connectFrom(`203.0.113.${i + 1}`)));
    const guess = (round: number) => sockets.map((s, i) => () => ack(s, 'login', { username: 'victim', token: `guess-${round}-${i}` }));
    // Four guesses spend the name's budget; each of the six other addresses, new to the name, has its one.
    expect(codes(await together('findUser', guess(1)))).toEqual(Array(10).fill('username_taken'));
    // Every one of those addresses has now guessed at the name: none of them gets another token checked.
    expect(codes(await together('findUser', guess(2)))).toEqual(Array(10).fill('rate_limited'));
    // The owner, from an address that never guessed, is let in with the right token (issue 16).
    expect(await ack(await limited.connectFrom('198.51.100.1'), 'login', { username: 'victim', token: owner.res.token })).toMatchObject({ ok: true });
    expect(await ack(owner.client, 'sendMsg', { text: 'still here' })).toMatchObject({ ok: true });
  });

  test('per address, from many sockets at once, by name and by token alone', async () => {
    server = await startGated({ badTokensPerAddress: { points: 3, seconds: 600 } });
    await server.login('victim');
    const sockets = await Promise.all(Array.from({ length: 8 }, () => limited.connectFrom('203.0.113.50')));
    const answers = await together('findUser', sockets.map((s, i) => () => ack(s, 'login', { username: 'victim', token: `guess-${i}` })));
    expect(codes(answers)).toEqual([...Array(5).fill('rate_limited'), ...Array(3).fill('username_taken')]);

    const handshakes = Array.from({ length: 8 }, (_, i) => () => limited.connectFrom('203.0.113.51', { auth: { token: `unknown-${i}` } }).then(() => 'ok', (err) => String(err.data?.code)));
    expect(codes(await together('findSession', handshakes))).toEqual([...Array(5).fill('rate_limited'), ...Array(3).fill('unauthorized')]);
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
