/**
 * New connections per address (issue 11) are counted where a connection begins, the Engine.IO session: a
 * bare session that never sends the Socket.IO connect costs a point like any other and is not held long; a
 * second Socket.IO connect on one session costs another.
 */
import { CONNECT_TIMEOUT_MS } from '../src/realtime/admission';
import { ack, within } from './helpers';
import { RawSocket } from './fuzz/raw-socket';
import { retryAfter, useLimitedServer, waitOut } from './limited-server';

const limited = useLimitedServer();
const raws: RawSocket[] = [];
afterEach(async () => {
  await Promise.all(raws.splice(0).map((raw) => raw.close()));
});

/** A bare Engine.IO session over WebSocket from `address` (X-Forwarded-For), that sends nothing. */
async function bareSession(address: string): Promise<RawSocket> {
  const raw = await RawSocket.open(limited.current.url, { 'x-forwarded-for': address });
  raws.push(raw);
  return raw;
}

/** A long-polling Engine.IO handshake from `address`: its status and body. */
async function pollingHandshake(address: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`${limited.current.url}/socket.io/?EIO=4&transport=polling`, { headers: { 'x-forwarded-for': address } });
  return { status: res.status, body: await res.text() };
}

test('bare Engine.IO sessions count against new connections per address, over WebSocket and long-polling', async () => {
  await limited.start({ connectionsPerAddress: { points: 3, seconds: 60 } }, { trustProxy: true });
  for (let i = 0; i < 2; i++) await bareSession('192.0.2.40');
  expect((await pollingHandshake('192.0.2.40')).status).toBe(200);
  // Three sessions, none of which ever sent a Socket.IO connect: the address is at its limit.
  await expect(bareSession('192.0.2.40')).rejects.toThrow(/closed before the Engine.IO open packet/);
  expect(await pollingHandshake('192.0.2.40')).toEqual({ status: 403, body: expect.stringContaining('Too many new connections from this address') });
  await expect(limited.connectFrom('192.0.2.40')).rejects.toThrow();
  // Another address is not affected.
  await expect(bareSession('192.0.2.41')).resolves.toBeDefined();
  await expect(limited.connectFrom('192.0.2.41')).resolves.toBeDefined();
});

/** A handshake login that is refused (not a name): the session stays open for another connect. */
const BAD_LOGIN = { username: 'no spaces allowed' };

test('a normal connection costs one point, session and connect together; each connect retried on the session costs one', async () => {
  await limited.start({ connectionsPerAddress: { points: 3, seconds: 60 } }, { trustProxy: true });
  const client = await limited.connectFrom('192.0.2.50'); // 1
  expect(await ack(client, 'users', {})).toMatchObject({ ok: true });
  const raw = await bareSession('192.0.2.50'); // 2
  // The session's first connect is covered by its point; a retry after a refused one costs the last point…
  expect(await raw.connect(BAD_LOGIN)).toMatchObject({ ok: false, error: { code: 'invalid_username' } });
  expect(await raw.connect(BAD_LOGIN)).toMatchObject({ ok: false, error: { code: 'invalid_username' } }); // 3
  // …so the next retry is refused for the limit, with its wait.
  expect(await raw.connect(BAD_LOGIN)).toMatchObject({ ok: false, error: { code: 'rate_limited', retryAfterMs: expect.any(Number) } });
});

test('a session that never sends its Socket.IO connect is closed after the connect timeout', async () => {
  await limited.start({}, {}, { connectTimeoutMs: 200 });
  const raw = await bareSession('127.0.0.1');
  expect(await within(raw.closed, 'the server closing a session without a connect')).toBeGreaterThan(0);
});

test('the default connect timeout is Socket.IO\'s 45 s cut to 10 s', async () => {
  const server = await limited.start();
  expect(CONNECT_TIMEOUT_MS).toBe(10_000);
  expect(server.app.io.connectTimeout()).toBe(CONNECT_TIMEOUT_MS);
});

test('an address over the connection limit connects again after the retryAfterMs it was given', async () => {
  await limited.start({ connectionsPerAddress: { points: 2, seconds: 2 } }, { trustProxy: true });
  await limited.connectFrom('192.0.2.60');
  const raw = await bareSession('192.0.2.60');
  expect(await raw.connect(BAD_LOGIN)).toMatchObject({ ok: false, error: { code: 'invalid_username' } });
  // A refusal at the Socket.IO level names the wait (one at the Engine.IO level cannot: it is an HTTP error).
  const wait = retryAfter(await raw.connect(BAD_LOGIN));
  await expect(limited.connectFrom('192.0.2.60')).rejects.toThrow();
  await waitOut(wait);
  await expect(limited.connectFrom('192.0.2.60')).resolves.toBeDefined();
});
