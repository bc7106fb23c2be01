/**
 * Who a library client is (client/session.ts, client/lifecycle.ts, client/jwt.ts): the session kept in its store
 * logs every reconnection, and the next client, in through the handshake; a kept session the server refuses
 * signs out; a sign-in code brings in another device, and ending sessions signs it out; log-out keeps the name's
 * key unless the name is given up; in JWT mode the host's token is refreshed before it expires.
 */
import { SignJWT } from 'jose';
import { loadConfig } from '../../src/config';
import type { LoginResult } from '../../src/protocol';
import { memoryStore, type SignedOutReason } from '../../client/index';
import { expiryOf } from '../../client/jwt';
import { startServer, within, type TestServer } from '../helpers';
import { Clients, until } from './harness';

const clients = new Clients();
let server: TestServer;
beforeEach(async () => {
  server = await startServer();
});
afterEach(async () => {
  await clients.closeAll();
  await server.close();
});

/** Every `session` and `signedOut` event of a client. */
function identity(recorded: ReturnType<Clients['make']>) {
  const seen = { sessions: [] as LoginResult[], signedOut: [] as SignedOutReason[] };
  recorded.client.on('session', (info) => seen.sessions.push(info));
  recorded.client.on('signedOut', (reason) => seen.signedOut.push(reason));
  return seen;
}

test('the kept session logs every reconnection, and the next client with the store, in through the handshake', async () => {
  const store = memoryStore();
  const first = clients.make(server.url, { sessionStore: store });
  const seen = identity(first);
  expect(await within(first.client.connect({ username: 'carol' }), 'connected')).toMatchObject({ ok: true, user: { name: 'carol' } });
  expect(JSON.parse(store.get('session')!)).toMatchObject({ name: 'carol', token: seen.sessions[0].token, sessionId: seen.sessions[0].sessionId });

  server.app.io.in(first.client.socket.id!).disconnectSockets(true);
  await until(first, () => first.synced === 2, 'back');
  expect(seen.sessions.map((s) => s.user.name)).toEqual(['carol', 'carol']);

  const second = clients.make(server.url, { sessionStore: store });
  expect(await within(second.client.connect(), 'the next client')).toMatchObject({ ok: true, user: { name: 'carol' } });
  const sessions = await second.client.sessions();
  expect(sessions.ok && sessions.sessions.map((s) => s.id)).toEqual([seen.sessions[0].sessionId]); // one device
});

test('a kept session the server no longer accepts signs out, and the client goes on anonymously', async () => {
  const store = memoryStore();
  store.set('session', JSON.stringify({ name: 'dave', token: 'a-token-nobody-was-given' }));
  store.set('device', JSON.stringify({ name: 'dave', token: 'a-token-nobody-was-given' }));
  const client = clients.make(server.url, { sessionStore: store });
  const seen = identity(client);
  expect(await within(client.client.connect(), 'connected')).toEqual({ ok: true });
  expect(seen.signedOut).toEqual(['refused']);
  expect(client.errors.map((e) => e.code)).toEqual(['unauthorized']);
  expect([store.get('session'), store.get('device')]).toEqual([null, null]);
  expect(client.client.user).toBeUndefined();
  // Anonymous, it reads the public timeline; and it can log in on this connection.
  expect((await client.client.history()).ok).toBe(true);
  expect(await client.client.login({ username: 'dave' })).toMatchObject({ ok: true, user: { name: 'dave' } });
  await until(client, () => client.client.caughtUp, 'caught up as dave');
  expect((await client.client.send('hello')).ok).toBe(true);
});

test('a sign-in code brings in another device; ending the other sessions signs it out', async () => {
  const phone = await clients.user(server.url, 'erin');
  const code = await phone.client.signInCode();
  if (!code.ok) throw new Error(code.error.code);
  const laptopStore = memoryStore();
  const laptop = clients.make(server.url, { sessionStore: laptopStore });
  const seen = identity(laptop);
  expect(await within(laptop.client.connect({ code: code.code }), 'signed in with the code')).toMatchObject({ ok: true, user: { name: 'erin' } });
  const devices = await laptop.client.sessions();
  expect(devices.ok && devices.sessions.map((s) => s.current).sort()).toEqual([false, true]);

  await laptop.client.send('from the laptop');
  await until(phone, () => phone.messages.length === 1, 'the phone got it');
  expect(phone.messages[0]).toMatchObject({ text: 'from the laptop', mine: true });

  expect(await phone.client.endSession({ others: true })).toEqual({ ok: true, ended: 1 });
  await until(laptop, () => seen.signedOut.length === 1 && laptop.client.caughtUp && laptop.synced === 2, 'signed out and back, anonymous');
  expect(seen.signedOut).toEqual(['session_ended']);
  expect(laptop.client.user).toBeUndefined();
  expect([laptopStore.get('session'), laptopStore.get('device')]).toEqual([null, null]);

  // A code works once: given again, it is refused, and connect answers with the refusal.
  const again = clients.make(server.url);
  expect(await within(again.client.connect({ code: code.code }), 'refused')).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
  expect(again.client.status.status).toBe('offline');
});

test("log-out keeps the name's key, so the same name is the same user again; giving the name up forgets it", async () => {
  const store = memoryStore();
  const client = clients.make(server.url, { sessionStore: store });
  const seen = identity(client);
  await within(client.client.connect({ username: 'fay' }), 'connected');
  const { sessionId } = seen.sessions[0];

  expect(client.client.keptSession).toEqual({ name: 'fay', token: seen.sessions[0].token, sessionId });
  expect(await client.client.logout()).toEqual({ ok: true });
  await until(client, () => client.client.caughtUp && client.synced === 2, 'anonymous again');
  expect([seen.signedOut, client.client.user, store.get('session')]).toEqual([['logout'], undefined, null]);
  // The page offers "Continue as fay" from what the device kept.
  expect([client.client.keptSession, client.client.device]).toEqual([undefined, { name: 'fay', token: seen.sessions[0].token, sessionId }]);

  expect(await client.client.login({ username: 'fay' })).toMatchObject({ ok: true, user: { name: 'fay' }, sessionId });

  await client.client.logout({ release: true });
  expect(store.get('device')).toBeNull();
  expect(client.client.device).toBeUndefined();
  const claimer = clients.make(server.url);
  expect(await within(claimer.client.connect({ username: 'fay' }), 'the name claimed')).toMatchObject({ ok: true, user: { name: 'fay' } });
});

describe('JWT mode', () => {
  const SECRET = 'a-shared-secret-of-at-least-32-bytes!!';
  const ENV = { AUTH_MODE: 'jwt', JWT_SECRET: SECRET, JWT_ISSUER: 'https://host.example', JWT_AUDIENCE: 'chat', JWT_CLOCK_TOLERANCE_SECONDS: '0' };
  let jwtServer: TestServer;
  beforeEach(async () => {
    jwtServer = await startServer({ auth: loadConfig(ENV).auth });
  });
  afterEach(async () => {
    await clients.closeAll();
    await jwtServer.close();
  });

  /** A token of the host for `name`, valid for `seconds`. */
  const token = (name: string, seconds: number) =>
    new SignJWT({ preferred_username: name })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(`account-of-${name}`)
      .setIssuer('https://host.example')
      .setAudience('chat')
      .setExpirationTime(Math.floor(Date.now() / 1000) + seconds)
      .sign(new TextEncoder().encode(SECRET));

  test('the token is refreshed on the live connection before it expires: the session never lapses', async () => {
    const fetched: number[] = [];
    let firstExpiry = Infinity;
    let outlived: () => void;
    const pastFirstExpiry = new Promise<void>((resolve) => (outlived = resolve));
    const source = async () => {
      const jwt = await token('gail', 3);
      firstExpiry = Math.min(firstExpiry, expiryOf(jwt)!);
      fetched.push(Date.now());
      if (Date.now() > firstExpiry + 500) outlived();
      return jwt;
    };
    const gail = clients.make(jwtServer.url, { token: source });
    expect(await within(gail.client.connect(), 'connected')).toMatchObject({ ok: true, user: { name: 'gail' } });

    await within(pastFirstExpiry, 'a token fetched after the first one expired', 15_000);
    expect((await gail.client.send('still here')).ok).toBe(true);
    // One connection all along, and no `session_expired` notice: the server would have sent one, then disconnected.
    expect(gail.synced).toBe(1);
    expect(gail.errors).toEqual([]);
    expect(fetched.length).toBeGreaterThanOrEqual(3);
  });
});
