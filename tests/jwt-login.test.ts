/**
 * AUTH_MODE=jwt end to end (issue 9): the host application's JWT logs a socket in, in the handshake or with
 * `login {token}`; forged, expired or foreign tokens are refused; a live session ends when its token does,
 * unless the client logs in again with a fresh token first.
 */
import { SignJWT } from 'jose';
import { io } from 'socket.io-client';
import { loadConfig } from '../src/config';
import type { SessionInfo } from '../src/protocol';
import { ack, closeClient, next, startServer, within, type Client, type TestServer } from './helpers';

const SECRET = 'a-shared-secret-of-at-least-32-bytes!!';
const ENV = { AUTH_MODE: 'jwt', JWT_SECRET: SECRET, JWT_ISSUER: 'https://host.example', JWT_AUDIENCE: 'chat', JWT_CLOCK_TOLERANCE_SECONDS: '0' };

let server: TestServer;
beforeEach(async () => {
  server = await startServer({ auth: loadConfig(ENV).auth });
});
afterEach(() => server.close());

const opened: Client[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map(closeClient));
});

/** A token as the host would sign it; `overrides` change the claims or the key. */
function token(name: string, { expiresInSeconds = 600, audience = 'chat', secret = SECRET } = {}): Promise<string> {
  return new SignJWT({ preferred_username: name })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer('https://host.example')
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + expiresInSeconds)
    .sign(new TextEncoder().encode(secret));
}

function connectWith(auth: Record<string, unknown>) {
  const client: Client = io(server.url, { transports: ['websocket'], forceNew: true, reconnection: false, auth });
  opened.push(client);
  const session = new Promise<SessionInfo>((resolve, reject) => {
    client.once('session', resolve);
    client.once('connect_error', reject);
  });
  return { client, session: within(session, 'the handshake') };
}

test('a valid token logs in during the handshake, as the name its claim holds, with no chat token', async () => {
  const { client, session } = connectWith({ token: await token('Alice') });
  expect(await session).toEqual({ user: { name: 'Alice' }, online: ['Alice'], onlineCount: 1 });
  expect(await ack(client, 'sendMsg', { text: 'hi from the host' })).toMatchObject({ ok: true, message: { from: 'Alice' } });
  // The same name from another device is the same user.
  const { session: second } = connectWith({ token: await token('alice') });
  expect(await second).toMatchObject({ user: { name: 'Alice' }, onlineCount: 1 });
});

test('expired, forged, foreign-audience and alg:none tokens are refused as unauthorized', async () => {
  const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(
    JSON.stringify({ preferred_username: 'mallory', iss: 'https://host.example', aud: 'chat', exp: Math.floor(Date.now() / 1000) + 600 }),
  ).toString('base64url')}.`;
  const cases: Array<[string, string, RegExp]> = [
    ['expired', await token('bob', { expiresInSeconds: -10 }), /expired/],
    ['wrong signature', await token('bob', { secret: 'another-secret-of-at-least-32-bytes!!!' }), /invalid/],
    ['wrong audience', await token('bob', { audience: 'someone-else' }), /another service/],
    ['alg none', none, /invalid/],
  ];
  for (const [, bad, message] of cases) {
    await expect(connectWith({ token: bad }).session).rejects.toMatchObject({ data: { code: 'unauthorized', message: expect.stringMatching(message) } });
  }
  // Names are not accepted in this mode, in the handshake or the login event.
  await expect(connectWith({ username: 'bob' }).session).rejects.toMatchObject({ data: { code: 'unauthorized' } });
  const anonymous = await server.connect();
  expect(await ack(anonymous, 'login', { id: 'bob' })).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
  expect(await ack(anonymous, 'login', { username: 'bob', token: await token('bob') })).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
  expect(await ack(anonymous, 'login', { token: 42 })).toMatchObject({ ok: false, error: { code: 'invalid_payload' } });
});

test('login {token} works on an anonymous connection too', async () => {
  const client = await server.connect();
  expect(await ack(client, 'login', { token: await token('carol') })).toEqual({ ok: true, user: { name: 'carol' }, online: ['carol'], onlineCount: 1 });
  expect(await ack(client, 'login', { token: await token('dave') })).toMatchObject({ ok: false, error: { code: 'already_logged_in' } });
});

test('a live session ends when its token expires: an error notice, then the server disconnects', async () => {
  const { client, session } = connectWith({ token: await token('erin', { expiresInSeconds: 2 }) });
  await session;
  const notice = next(client, 'msg1', (n) => n.type === 'error');
  const gone = new Promise<string>((resolve) => client.once('disconnect', (reason) => resolve(reason)));
  expect(await within(notice, 'the expiry notice', 5000)).toMatchObject({ code: 'session_expired' });
  expect(await within(gone, 'the disconnect', 5000)).toBe('io server disconnect');
});

test('logging in again with a fresh token before expiry moves the end of the session', async () => {
  const first = await token('fay', { expiresInSeconds: 1 });
  const { client, session } = connectWith({ token: first });
  await session;
  const started = Date.now();
  const firstExpiry = Number(JSON.parse(Buffer.from(first.split('.')[1], 'base64url').toString()).exp) * 1000;
  expect(await ack(client, 'login', { token: await token('fay', { expiresInSeconds: 3 }) })).toMatchObject({ ok: true, user: { name: 'fay' } });
  const gone = new Promise<number>((resolve) => client.once('disconnect', () => resolve(Date.now())));
  const at = await within(gone, 'the disconnect at the second token\'s expiry', 8000);
  // It did not end at the first token's expiry (timers never fire early), but later, at the second's.
  expect(at).toBeGreaterThan(Math.max(firstExpiry, started) + 900);
});

test('the page learns the mode and the token endpoint from /api/config; the CSP lets it call that endpoint only', async () => {
  const withUrl = await startServer({ auth: loadConfig({ ...ENV, JWT_TOKEN_URL: 'https://app.example.com/chat-token' }).auth });
  try {
    const res = await fetch(`${withUrl.url}/api/config`);
    expect(await res.json()).toEqual({ auth: 'jwt', tokenUrl: 'https://app.example.com/chat-token' });
    expect(res.headers.get('content-security-policy')).toContain("connect-src 'self' https://app.example.com;");
  } finally {
    await withUrl.close();
  }
  expect(await (await fetch(`${server.url}/api/config`)).json()).toEqual({ auth: 'jwt', tokenUrl: null });
  expect(() => loadConfig({ ...ENV, JWT_TOKEN_URL: 'not a url' })).toThrow(/JWT_TOKEN_URL/);
  expect(() => loadConfig({ JWT_TOKEN_URL: 'https://app.example.com/t' })).toThrow(/JWT_TOKEN_URL: is set, but AUTH_MODE is not jwt/);
});
