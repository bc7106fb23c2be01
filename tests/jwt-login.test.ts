/**
 * AUTH_MODE=jwt end to end (issue 9): the host application's JWT logs a socket in, in the handshake or with
 * `login {token}`; forged, expired or foreign tokens are refused; a live session ends when its token does,
 * unless the client logs in again with a fresh token first.
 */
import fs from 'node:fs';
import path from 'node:path';
import { SignJWT, exportJWK, exportSPKI, generateKeyPair } from 'jose';
import { io } from 'socket.io-client';
import { loadConfig } from '../src/config';
import type { SessionInfo } from '../src/protocol';
import { ack, closeClient, next, startServer, within, type Client, type TestServer } from './helpers';
import { tempDir } from './tmpdir';

const SECRET = 'a-shared-secret-of-at-least-32-bytes!!';
/** Bounds the waits for an expiry: tokens here expire a few seconds after they are signed. */
const EXPIRY_WAIT_MS = 15_000;
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
function token(
  name: string,
  { expiresInSeconds = 600, audience = 'chat', secret = SECRET, key, alg = 'HS256', kid, subject = `account-of-${name}`, claims = {} }: TokenOptions = {},
): Promise<string> {
  return new SignJWT({ preferred_username: name, ...claims })
    .setProtectedHeader({ alg, ...(kid !== undefined && { kid }) })
    .setSubject(subject)
    .setIssuer('https://host.example')
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + expiresInSeconds)
    .sign(key ?? new TextEncoder().encode(secret));
}

interface TokenOptions {
  expiresInSeconds?: number;
  audience?: string;
  secret?: string;
  /** A private key (RS256, ES256…) instead of the shared secret. */
  key?: Parameters<SignJWT['sign']>[0];
  alg?: string;
  kid?: string;
  /** Who the user is at the host (`sub`); by default one account per name. */
  subject?: string;
  /** More claims (a display name in `name`…). */
  claims?: Record<string, unknown>;
}

/** The `exp` of a token, in epoch ms. */
function expiryOf(jwt: string): number {
  return Number(JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString()).exp) * 1000;
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
  expect(await session).toEqual({ user: { name: 'Alice', displayName: 'Alice' }, online: ['Alice'], onlineCount: 1, blocked: [] });
  expect(await ack(client, 'sendMsg', { text: 'hi from the host' })).toMatchObject({ ok: true, message: { from: 'Alice' } });
  // The same account from another device is the same user.
  const { session: second } = connectWith({ token: await token('Alice') });
  expect(await second).toMatchObject({ user: { name: 'Alice', displayName: 'Alice' }, onlineCount: 1 });
});

test('a name that only looks like a user\'s does not open that user: the host may have both as different people', async () => {
  const { client: mary, session } = connectWith({ token: await token('mary') });
  await session;
  // `rnary` and a Cyrillic `mаry` have mary's key (docs/protocol.md, Names): refused, not merged with her.
  for (const lookalike of ['rnary', 'm\u0430ry']) {
    await expect(connectWith({ token: await token(lookalike) }).session).rejects.toMatchObject({
      data: { code: 'username_taken', message: expect.stringContaining('"mary"') },
    });
  }
  // Another account whose handle differs only in case is refused too: that handle is mary's.
  await expect(connectWith({ token: await token('MARY') }).session).rejects.toMatchObject({ data: { code: 'username_taken' } });
  // Her own account opens her, from any device.
  const { client: again, session: same } = connectWith({ token: await token('mary') });
  expect(await same).toMatchObject({ user: { name: 'mary', displayName: 'mary' }, onlineCount: 1 });
  const heard = next(mary, 'allmessage', (m) => m.text === 'one person');
  expect(await ack(again, 'sendMsg', { text: 'one person' })).toMatchObject({ ok: true, message: { from: 'mary' } });
  await heard;
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
  expect(await ack(client, 'login', { token: await token('carol') })).toEqual({ ok: true, user: { name: 'carol', displayName: 'carol' }, online: ['carol'], onlineCount: 1, blocked: [] });
  expect(await ack(client, 'login', { token: await token('dave') })).toMatchObject({ ok: false, error: { code: 'already_logged_in' } });
});

test('a live session ends when its token expires: an error notice, then the server disconnects', async () => {
  // Seconds ahead, so that the handshake itself is never late on a busy machine; what is asserted is the
  // order of events, not their timing.
  const { client, session } = connectWith({ token: await token('erin', { expiresInSeconds: 4 }) });
  const notice = next(client, 'msg1', (n) => n.type === 'error', EXPIRY_WAIT_MS);
  const gone = new Promise<string>((resolve) => client.once('disconnect', (reason) => resolve(reason)));
  await session;
  expect(await notice).toMatchObject({ code: 'session_expired' });
  expect(await within(gone, 'the disconnect', EXPIRY_WAIT_MS)).toBe('io server disconnect');
});

test('logging in again with a fresh token before expiry moves the end of the session', async () => {
  const first = await token('fay', { expiresInSeconds: 3 });
  const { client, session } = connectWith({ token: first });
  await session;
  const fayEvents: string[] = [];
  client.on('msg1', (n) => n.type === 'error' && fayEvents.push(n.code ?? n.type));
  // A control session whose token expires a second after fay's first one: once it is cut off, fay's first
  // token has expired on the server's clock too.
  const control = connectWith({ token: await token('gus', { expiresInSeconds: 4 }) });
  await control.session;
  const controlExpired = next(control.client, 'msg1', (n) => n.type === 'error', EXPIRY_WAIT_MS);
  const second = await token('fay', { expiresInSeconds: 8 });
  expect(expiryOf(second)).toBeGreaterThan(expiryOf(first) + 1000);
  expect(await ack(client, 'login', { token: second })).toMatchObject({ ok: true, user: { name: 'fay', displayName: 'fay' } });
  const gone = new Promise<string>((resolve) => client.once('disconnect', (reason) => resolve(reason)));

  expect(await controlExpired).toMatchObject({ code: 'session_expired' });
  // Past the first token's expiry, fay has not been told to go, and is still logged in (a round trip as fay)…
  expect(fayEvents).toEqual([]);
  expect(await ack(client, 'typing', {})).toMatchObject({ ok: true });
  // …and the session ends at the second token's expiry.
  expect(await within(gone, 'the disconnect at the second token\'s expiry', EXPIRY_WAIT_MS)).toBe('io server disconnect');
  expect(fayEvents).toEqual(['session_expired']);
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

describe('with a key pair instead of a shared secret, through the handshake', () => {
  const tmp = tempDir('chat-jwt-keys-');
  afterAll(() => tmp.cleanup());
  const { JWT_SECRET: _secret, ...common } = ENV;

  /** A server verifying with `keyEnv` (a key file variable) in place of the default one. */
  async function serverWith(keyEnv: Record<string, string>) {
    await server.close();
    server = await startServer({ auth: loadConfig({ ...common, ...keyEnv }).auth });
  }

  test('RS256 with a PEM public key file (JWT_PUBLIC_KEY_FILE)', async () => {
    const host = await generateKeyPair('RS256');
    const stranger = await generateKeyPair('RS256');
    const pem = path.join(tmp.dir, 'host.pub.pem');
    fs.writeFileSync(pem, await exportSPKI(host.publicKey));
    await serverWith({ JWT_PUBLIC_KEY_FILE: pem });

    const { client, session } = connectWith({ token: await token('rita', { key: host.privateKey, alg: 'RS256' }) });
    expect(await session).toMatchObject({ user: { name: 'rita', displayName: 'rita' } });
    expect(await ack(client, 'sendMsg', { text: 'signed by the host' })).toMatchObject({ ok: true, message: { from: 'rita' } });
    await expect(connectWith({ token: await token('rita', { key: stranger.privateKey, alg: 'RS256' }) }).session).rejects.toMatchObject({
      data: { code: 'unauthorized', message: expect.stringMatching(/invalid/) },
    });
    // The shared-secret algorithm is not accepted with a public key.
    await expect(connectWith({ token: await token('rita') }).session).rejects.toMatchObject({ data: { code: 'unauthorized' } });
  });

  test('a JWKS file (JWT_JWKS_FILE): the key is the one the token\'s kid names', async () => {
    const [old, current] = await Promise.all([generateKeyPair('ES256'), generateKeyPair('ES256')]);
    const jwks = path.join(tmp.dir, 'host.jwks.json');
    const keys = [
      { ...(await exportJWK(old.publicKey)), kid: '2025-12', alg: 'ES256' },
      { ...(await exportJWK(current.publicKey)), kid: '2026-01', alg: 'ES256' },
    ];
    fs.writeFileSync(jwks, JSON.stringify({ keys }));
    await serverWith({ JWT_JWKS_FILE: jwks });

    const signed = (key: Parameters<SignJWT['sign']>[0], kid?: string) => token('kit', { key, alg: 'ES256', kid });
    expect(await connectWith({ token: await signed(current.privateKey, '2026-01') }).session).toMatchObject({ user: { name: 'kit', displayName: 'kit' } });
    expect(await connectWith({ token: await signed(old.privateKey, '2025-12') }).session).toMatchObject({ user: { name: 'kit', displayName: 'kit' } });
    for (const bad of [await signed(current.privateKey, '2025-12'), await signed(current.privateKey, 'unknown'), await signed(current.privateKey)]) {
      await expect(connectWith({ token: bad }).session).rejects.toMatchObject({ data: { code: 'unauthorized' } });
    }
  });
});
