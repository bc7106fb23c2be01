/**
 * JWT mode, identity by `sub` (issue 21): the user is the host account (`iss`, `sub`); the handle and the
 * display name come from the configured claims, and a change of either in the host is a rename of the same
 * user, with its history. Users from before (identified by name) are taken over at their first login.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { SignJWT } from 'jose';
import { io } from 'socket.io-client';
import { loadConfig } from '../src/config';
import type { SessionInfo } from '../src/protocol';
import { MIGRATIONS } from '../src/store/sqlite/schema';
import { ack, closeClient, next, record, flush, startServer, within, type Client, type TestServer } from './helpers';
import { tempDir } from './tmpdir';

const SECRET = 'a-shared-secret-of-at-least-32-bytes!!';
const ISSUER = 'https://host.example';
const ENV = { AUTH_MODE: 'jwt', JWT_SECRET: SECRET, JWT_ISSUER: ISSUER, JWT_AUDIENCE: 'chat' };

const tmp = tempDir('chat-jwt-accounts-');
afterAll(() => tmp.cleanup());

let server: TestServer;
afterEach(() => server?.close());
const opened: Client[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map(closeClient));
});

interface HostUser {
  id: string;
  login?: unknown;
  displayName?: unknown;
  /** Seconds since the epoch; default now. */
  iat?: number;
  extra?: Record<string, unknown>;
}

/** docs/auth.md's example, as a host application would run it. */
function chatToken(user: HostUser): Promise<string> {
  return new SignJWT({ preferred_username: user.login, name: user.displayName, ...user.extra })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(ISSUER)
    .setAudience('chat')
    .setSubject(user.id)
    .setIssuedAt(user.iat ?? Math.floor(Date.now() / 1000))
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(SECRET));
}

function connect(token: string): { client: Client; session: Promise<SessionInfo> } {
  const client: Client = io(server.url, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { token } });
  opened.push(client);
  const session = new Promise<SessionInfo>((resolve, reject) => {
    client.once('session', resolve);
    client.once('connect_error', reject);
  });
  return { client, session: within(session, 'the handshake') };
}

const jwtServer = (env: Record<string, string> = {}, storagePath?: string) =>
  startServer({
    auth: loadConfig({ ...ENV, ...env }).auth,
    ...(storagePath !== undefined && { storage: { kind: 'sqlite', path: storagePath, synchronous: 'full' } }),
  });

test("docs/auth.md's example signs in with a display name that has spaces", async () => {
  server = await jwtServer();
  const { client, session } = connect(await chatToken({ id: '42', login: 'alice', displayName: 'Alice Smith' }));
  expect(await session).toEqual({ user: { name: 'alice', displayName: 'Alice Smith' }, online: ['alice'], onlineCount: 1, blocked: [] });
  expect(await ack(client, 'sendMsg', { text: 'hi' })).toMatchObject({ ok: true, message: { from: 'alice', fromName: 'Alice Smith' } });
});

test('a rename in the host is a rename of the same user: history, conversations and all', async () => {
  server = await jwtServer();
  const alice = connect(await chatToken({ id: '42', login: 'alice', displayName: 'Alice Smith' }));
  await alice.session;
  const { client: bob, session: bobIn } = connect(await chatToken({ id: '7', login: 'bob', displayName: 'Bob' }));
  await bobIn;
  await ack(bob, 'privateMsg', { to: 'alice', text: 'before the rename' });
  await ack(alice.client, 'privateMsg', { to: 'bob', text: 'me too' });

  const told = next(bob, 'profileChanged');
  const oldTabGone = new Promise<string>((resolve) => alice.client.once('disconnect', resolve));
  const renamed = connect(await chatToken({ id: '42', login: 'alice.w', displayName: 'Alice Wonder', iat: Math.floor(Date.now() / 1000) + 1 }));
  expect(await renamed.session).toMatchObject({ user: { name: 'alice.w', displayName: 'Alice Wonder' } });
  expect(await told).toEqual({ name: 'alice.w', displayName: 'Alice Wonder', formerName: 'alice', ts: expect.any(Number) });
  // Presence and rooms knew the old handle: the user's other connections reconnect under the new one.
  expect(await within(oldTabGone, 'the old tab disconnected')).toBe('io server disconnect');

  const mine = await ack(renamed.client, 'history', { with: 'bob' });
  expect(mine.ok && mine.messages.map((m) => `${m.from} (${m.fromName}) → ${'to' in m ? m.to : ''}: ${m.text}`)).toEqual([
    'bob (Bob) → alice.w: before the rename',
    'alice.w (Alice Wonder) → bob: me too',
  ]);
  const theirs = await ack(bob, 'history', { with: 'alice.w' });
  expect(theirs.ok && theirs.messages.map((m) => m.text)).toEqual(['before the rename', 'me too']);
  expect(await ack(bob, 'history', { with: 'alice' })).toMatchObject({ ok: false, error: { code: 'unknown_user' } });
  expect(await ack(bob, 'users', {})).toMatchObject({ users: [{ name: 'alice.w', displayName: 'Alice Wonder', online: true }, { name: 'bob' }] });

  // A device still holding a token from before the rename logs in as the renamed user, without renaming back.
  const stale = connect(await chatToken({ id: '42', login: 'alice', displayName: 'Alice Smith', iat: Math.floor(Date.now() / 1000) - 60 }));
  expect(await stale.session).toMatchObject({ user: { name: 'alice.w', displayName: 'Alice Wonder' } });
});

test('a new display name alone reaches the user\'s live connections without ending them', async () => {
  server = await jwtServer();
  const first = connect(await chatToken({ id: '5', login: 'cy', displayName: 'Cy' }));
  await first.session;
  const { client: dee, session } = connect(await chatToken({ id: '6', login: 'dee' }));
  await session;
  const later = connect(await chatToken({ id: '5', login: 'cy', displayName: 'Cyrus Vance', iat: Math.floor(Date.now() / 1000) + 1 }));
  await later.session;
  const atDee = next(dee, 'allmessage');
  await ack(first.client, 'sendMsg', { text: 'from the first tab' });
  expect(await atDee).toMatchObject({ from: 'cy', fromName: 'Cyrus Vance' });
  expect(first.client.connected).toBe(true);
});

test('users from before issue 21 (known by name) are taken over by their account at its first login, history kept', async () => {
  const file = path.join(tmp.dir, 'before-21.db');
  const old = new Database(file);
  for (const migration of MIGRATIONS.slice(0, 3)) {
    if (typeof migration === 'string') old.exec(migration);
    else migration(old);
  }
  old.pragma('user_version = 3');
  // Users the JWT mode made then: no token of their own.
  old.prepare("INSERT INTO users (id, name, name_key, token_hash, created_at, last_seen_at) VALUES (1, 'Erin', 'erin', '', 1, 2), (2, 'fred', 'fred', '', 1, 2)").run();
  old.prepare("INSERT INTO messages (sender_id, sender_name, recipient_id, recipient_name, body, created_at, delivered) VALUES (2, 'fred', 1, 'Erin', 'kept from before', 3, 1)").run();
  old.close();

  server = await jwtServer({}, file);
  const erin = connect(await chatToken({ id: 'erin-account', login: 'erin', displayName: 'Erin Brockovich' }));
  expect(await erin.session).toMatchObject({ user: { name: 'erin', displayName: 'Erin Brockovich' } });
  const history = await ack(erin.client, 'history', { with: 'fred' });
  expect(history.ok && history.messages).toEqual([expect.objectContaining({ from: 'fred', to: 'erin', toName: 'Erin Brockovich', text: 'kept from before' })]);
  // Bound now: another account with that handle is someone else, and cannot have it.
  await expect(connect(await chatToken({ id: 'someone-else', login: 'Erin' })).session).rejects.toMatchObject({ data: { code: 'username_taken' } });
  // And a later rename in the host keeps her.
  const renamed = connect(await chatToken({ id: 'erin-account', login: 'erin.b', iat: Math.floor(Date.now() / 1000) + 1 }));
  expect(await renamed.session).toMatchObject({ user: { name: 'erin.b', displayName: 'erin.b' } });
  const again = await ack(renamed.client, 'history', { with: 'fred' });
  expect(again.ok && again.messages.map((m) => m.text)).toEqual(['kept from before']);
});

test("a rename onto another user's handle is not made: the user keeps its handle, and gets the new display name", async () => {
  server = await jwtServer();
  await connect(await chatToken({ id: 'g', login: 'gus' })).session;
  await connect(await chatToken({ id: 'h', login: 'hal', displayName: 'Hal' })).session;
  const clash = connect(await chatToken({ id: 'h', login: 'GUS', displayName: 'Hal Gus', iat: Math.floor(Date.now() / 1000) + 1 }));
  expect(await clash.session).toMatchObject({ user: { name: 'hal', displayName: 'Hal Gus' } });
});

test('the claims are configurable; a display name the chat cannot show falls back to the handle', async () => {
  server = await jwtServer({ JWT_USERNAME_CLAIM: 'nickname', JWT_DISPLAY_NAME_CLAIM: 'https://host.example/full_name' });
  const { session } = connect(await chatToken({ id: '1', extra: { nickname: 'ivy', 'https://host.example/full_name': 'Ivy Lee' } }));
  expect(await session).toMatchObject({ user: { name: 'ivy', displayName: 'Ivy Lee' } });
  const { session: odd } = connect(await chatToken({ id: '2', extra: { nickname: 'jon', 'https://host.example/full_name': 'Jon\u202e' } }));
  expect(await odd).toMatchObject({ user: { name: 'jon', displayName: 'jon' } });
});

test('a token without sub is refused; names are the host\'s: profile, codes and sessions are forbidden', async () => {
  server = await jwtServer();
  const noSubject = await new SignJWT({ preferred_username: 'kay' })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(ISSUER)
    .setAudience('chat')
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(SECRET));
  await expect(connect(noSubject).session).rejects.toMatchObject({ data: { code: 'unauthorized', message: expect.stringContaining('sub') } });
  const { client, session } = connect(await chatToken({ id: 'l', login: 'lee' }));
  await session;
  const notices = record(client, 'profileChanged');
  for (const [event, payload] of [['profile', { displayName: 'Lee' }], ['signInCode', {}], ['sessions', {}], ['endSession', { others: true }]] as const) {
    expect(await ack(client, event, payload)).toMatchObject({ ok: false, error: { code: 'forbidden' } });
  }
  await flush(client);
  expect(notices).toEqual([]);
  const admin = await startServer({ auth: loadConfig(ENV).auth, adminToken: 'an-admin-token-for-tests' });
  try {
    const res = await fetch(`${admin.url}/api/users/lee/sign-in-code`, { method: 'POST', headers: { authorization: 'Bearer an-admin-token-for-tests' } });
    expect(res.status).toBe(403);
  } finally {
    await admin.close();
  }
});
