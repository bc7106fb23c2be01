/**
 * MAX_SOCKETS_PER_USER (issue 11): exact on one node even when tabs connect at the same moment, refused as
 * `rate_limited` through the handshake's connect_error or the login's ack, and never an error in the log.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { MemoryPresence } from '../src/presence/memory';
import { gated } from './gated-store';
import { ack, closeClient, next, onceSocketClosed, within, type Client, type TestServer } from './helpers';
import { useLimitedServer } from './limited-server';

const limited = useLimitedServer();
let presence: ReturnType<typeof gated<MemoryPresence>>;
/** Log lines at error level or above: there must be none. */
let errors: string[];

async function startCapped(socketsPerUser: number): Promise<TestServer> {
  presence = gated(new MemoryPresence());
  errors = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      const line = JSON.parse(String(chunk)) as { level: number; msg: string };
      if (line.level >= 50) errors.push(line.msg);
      done();
    },
  });
  return limited.start({ socketsPerUser }, {}, { presence: presence.target, log: pino({ level: 'info' }, sink) });
}

const socketCount = (server: TestServer, name: string) =>
  [...server.app.io.of('/').sockets.values()].filter((s) => s.data.user?.name === name).length;

test('two tabs connecting at once for the last place: one gets in, the other gets connect_error rate_limited', async () => {
  const server = await startCapped(2);
  const { res } = await server.login('many');
  const auth = { username: 'many', token: res.token };
  // The first tab's handshake passed and its binding is under way (held as it enters presence)…
  const adding = presence.gate('add', () => true);
  const tab = limited.tab(auth);
  const first = await within(tab.connected, 'the first tab connecting');
  await adding.arrived();
  // …when the second tab's handshake comes.
  await expect(server.connect({ auth })).rejects.toMatchObject({ data: { code: 'rate_limited', retryAfterMs: expect.any(Number) } });
  // The first tab had its session at once (the connection's first event); its welcome follows the binding.
  expect(await within(tab.session, 'the first tab\'s session')).toMatchObject({ user: { name: 'many', displayName: 'many' } });
  const welcomed = next(first, 'msg1', (n) => n.type === 'welcome');
  adding.open();
  await welcomed;
  expect(socketCount(server, 'many')).toBe(2);
  expect(errors).toEqual([]);
});

test('many tabs at once: exactly the places left are taken, every other tab is refused', async () => {
  const server = await startCapped(3);
  const { res } = await server.login('many');
  const tabs = await Promise.all(
    Array.from({ length: 6 }, () => {
      const { connected, session } = limited.tab({ username: 'many', token: res.token });
      return within(connected, 'a tab connecting or refused').then(
        () => within(session, 'the session').then(() => 'in'),
        (err: { data?: { code?: string } }) => String(err.data?.code),
      );
    }),
  );
  expect(tabs.sort()).toEqual(['in', 'in', 'rate_limited', 'rate_limited', 'rate_limited', 'rate_limited']);
  expect(socketCount(server, 'many')).toBe(3);
  expect(errors).toEqual([]);
});

test('login events for the last place at once: one is answered ok, the other rate_limited', async () => {
  const server = await startCapped(2);
  const { res } = await server.login('many');
  const [a, b] = await Promise.all([server.connect(), server.connect()]);
  const adding = presence.gate('add', () => true);
  const firstLogin = ack(a, 'login', { username: 'many', token: res.token });
  await adding.arrived();
  expect(await ack(b, 'login', { username: 'many', token: res.token })).toMatchObject({ ok: false, error: { code: 'rate_limited', retryAfterMs: expect.any(Number) } });
  adding.open();
  expect(await firstLogin).toMatchObject({ ok: true });
  expect(socketCount(server, 'many')).toBe(2);
  expect(errors).toEqual([]);
});

test('places come back when tabs close, and refused or abandoned handshakes hold none', async () => {
  const server = await startCapped(2);
  const { client: first, res } = await server.login('many');
  const auth = { username: 'many', token: res.token };
  // A tab that goes away while its place is being decided.
  const deciding = presence.gate('socketCount', () => true);
  const leaving = limited.tab(auth);
  leaving.connected.catch(() => undefined); // it may or may not hear of its own end
  await deciding.arrived();
  await closeClient(leaving.client);
  deciding.open();
  await within(limited.tab(auth).session, 'the session');
  for (let i = 0; i < 3; i++) await expect(within(limited.tab(auth).connected, 'a refusal')).rejects.toMatchObject({ data: { code: 'rate_limited' } });
  const closed = onceSocketClosed(server, first.id!);
  await closeClient(first);
  await closed;
  expect(await within(limited.tab(auth).session, 'the session')).toMatchObject({ user: { name: 'many', displayName: 'many' } });
  expect(socketCount(server, 'many')).toBe(2);
  expect(errors).toEqual([]);
});

test('live sockets per user are capped, for handshake and event logins alike; a closed tab frees its place', async () => {
  const server = await startCapped(2);
  const { client: first, res } = await server.login('many');
  const second = await server.connect();
  expect(await ack(second, 'login', { username: 'many', token: res.token })).toMatchObject({ ok: true });
  const third = await server.connect();
  expect(await ack(third, 'login', { username: 'many', token: res.token })).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
  await expect(within(limited.tab({ token: res.token }).connected, 'a refusal')).rejects.toMatchObject({ data: { code: 'rate_limited' } });
  // A tab closes: there is room again (listened for before the close: it may be over before closeClient is).
  const closed = onceSocketClosed(server, first.id!);
  await closeClient(first);
  await closed;
  expect(await ack(third, 'login', { username: 'many', token: res.token })).toMatchObject({ ok: true });
  expect(errors).toEqual([]);
});
