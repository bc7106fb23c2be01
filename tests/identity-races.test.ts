/**
 * Logins racing each other and logins whose socket leaves mid-way (issue 8, points 1, 2 and 4). Each race is
 * forced with a gate in the store (tests/gated-store.ts), so the outcome never depends on timing.
 */
import { SignJWT } from 'jose';
import { loadConfig } from '../src/config';
import { MemoryPresence } from '../src/presence/memory';
import { SqliteStore } from '../src/store/sqlite';
import type { PrivateMessage } from '../src/protocol';
import { ack, disconnectSettled, flush, next, onceSocketClosed, record, startServer, within, type Client, type TestServer } from './helpers';
import { gated, gatedStore, type Gate } from './gated-store';

const DAY_MS = 24 * 3600 * 1000;
let clock = Date.UTC(2026, 0, 1);
let server: TestServer;
let gates: ReturnType<typeof gatedStore>;

beforeEach(async () => {
  clock = Date.UTC(2026, 0, 1);
  gates = gatedStore(SqliteStore.open(':memory:'));
  server = await startServer({}, { store: gates.store, now: () => clock });
});
afterEach(() => server.close());

/** Resolves when the server has seen `client` disconnect (its queued work may still be running). */
function serverSawDisconnect(client: Client): Promise<void> {
  const socket = server.app.io.of('/').sockets.get(client.id!);
  if (!socket) throw new Error('no such socket on the server');
  return within(new Promise((resolve) => socket.once('disconnect', () => resolve())), 'the server seeing the disconnect');
}

/**
 * A client sends `login` and disconnects while the server is inside it (held at `gate`); resolves once the
 * server has finished everything for that socket.
 */
async function loginThenLeave(payload: { username: string; token?: string }, gate: Gate): Promise<void> {
  const vanishing = await server.connect();
  vanishing.emit('login', payload, () => undefined);
  await gate.arrived();
  const gone = serverSawDisconnect(vanishing);
  const closed = onceSocketClosed(server, vanishing.id!);
  vanishing.disconnect();
  await gone;
  gate.open();
  await closed;
}

test('an expired name claimed by a newcomer while its owner logs in with the token: exactly one of them gets it', async () => {
  const { client: first, res } = await server.login('dave');
  await disconnectSettled(server, first);
  clock += 31 * DAY_MS; // the reservation has lapsed

  // Both logins read the old user before either writes.
  const bothRead = gates.gate('findUser', (key: string) => key === 'dave');
  const owner = await server.connect();
  const newcomer = await server.connect();
  const ownerLogin = ack(owner, 'login', { username: 'dave', token: res.token });
  const newcomerLogin = ack(newcomer, 'login', { username: 'dave' });
  await bothRead.arrived(2);
  bothRead.open();
  const results = [await ownerLogin, await newcomerLogin];
  expect(results.filter((r) => r.ok)).toHaveLength(1);
  expect(results.filter((r) => !r.ok)).toEqual([{ ok: false, error: expect.objectContaining({ code: 'username_taken' }) }]);

  // A private message to "dave" reaches the one who holds the name, and never the other.
  const [winner, loser] = results[0].ok ? [owner, newcomer] : [newcomer, owner];
  const loserSaw = record(loser, 'privateMsg');
  const { client: sam } = await server.login('sam');
  const arrives = next(winner, 'privateMsg');
  const sent = await ack(sam, 'privateMsg', { to: 'dave', text: 'for the holder of the name only' });
  expect(await arrives).toEqual(sent.ok && sent.message);
  await flush(loser);
  expect(loserSaw).toEqual([]);
  // Not logged in at all. (Asked of the server directly: an event needing a login would wait for one.)
  expect(server.app.io.of('/').sockets.get(loser.id!)!.data.user).toBeUndefined();
});

test('a login whose socket left while it ran consumes nothing: the queued private message waits for the next login', async () => {
  const { client: bob, res: bobLogin } = await server.login('bob');
  await disconnectSettled(server, bob);
  const { client: amy } = await server.login('amy');
  const sent = await ack(amy, 'privateMsg', { to: 'bob', text: 'while bob was away' });
  expect(sent).toMatchObject({ ok: true, delivered: false });
  const bobId = (await server.app.services.store.findUser('bob'))!.id;

  await loginThenLeave({ username: 'bob', token: bobLogin.token }, gates.gate('touchUser', (id: number) => id === bobId));

  const back = await server.connect();
  const arrived = next(back, 'privateMsg');
  await ack(back, 'login', { username: 'bob', token: bobLogin.token });
  expect(await arrived).toEqual(sent.ok && sent.message);
});

test('a first claim whose socket left before the token could be sent does not reserve the name', async () => {
  await loginThenLeave({ username: 'ghost' }, gates.gate('createUser', (user: { key: string }) => user.key === 'ghost'));

  expect(await ack(await server.connect(), 'login', { username: 'ghost' })).toMatchObject({ ok: true, user: { name: 'ghost', displayName: 'ghost' } });
});

describe('a first claim whose socket leaves while it is being signed in (presence held at a gate)', () => {
  let gatedServer: TestServer;
  let presenceGate: ReturnType<typeof gated<MemoryPresence>>;
  beforeEach(async () => {
    presenceGate = gated(new MemoryPresence());
    gatedServer = await startServer({}, { presence: presenceGate.target });
  });
  afterEach(() => gatedServer.close());

  /** Holds the presence call that binds `name`'s socket until `client` is gone; resolves once all is done. */
  async function leaveDuringSignIn(client: Client, held: Gate): Promise<void> {
    await held.arrived();
    const socket = gatedServer.app.io.of('/').sockets.get(client.id!)!;
    const gone = within(new Promise((resolve) => socket.once('disconnect', resolve)), 'the server seeing the disconnect');
    const closed = onceSocketClosed(gatedServer, client.id!);
    client.disconnect();
    await gone;
    held.open();
    await closed;
  }

  const freeAgain = async (name: string) =>
    expect(await ack(await gatedServer.connect(), 'login', { username: name })).toMatchObject({ ok: true, token: expect.any(String) });

  test('the login event: the name is given back', async () => {
    const held = presenceGate.gate('add', (user: { name: string }) => user.name === 'leaver');
    const client = await gatedServer.connect();
    client.emit('login', { username: 'leaver' }, () => undefined);
    await leaveDuringSignIn(client, held);
    await freeAgain('leaver');
  });

  test('the handshake: the name is given back', async () => {
    const held = presenceGate.gate('add', (user: { name: string }) => user.name === 'shaker');
    const client = await gatedServer.connect({ auth: { username: 'shaker' } });
    await leaveDuringSignIn(client, held);
    await freeAgain('shaker');
  });
});

test('logout {release} holds when another tab of the user closes afterwards', async () => {
  const { client: tab1, res } = await server.login('jay');
  const tab2 = await server.connect();
  await ack(tab2, 'login', { username: 'jay', token: res.token });
  expect(await ack(tab1, 'logout', { release: true })).toEqual({ ok: true });
  await disconnectSettled(server, tab2); // the last tab goes: jay is offline, and the release must still hold
  const newcomer = await ack(await server.connect(), 'login', { username: 'jay' });
  expect(newcomer).toMatchObject({ ok: true, user: { name: 'jay', displayName: 'jay' } });
  expect(newcomer.ok && newcomer.token).not.toBe(res.token);
});

test('a tab that logs in again with the token after a release keeps the name', async () => {
  const { client: tab1, res } = await server.login('kim');
  await ack(tab1, 'logout', { release: true });
  const tab2 = await server.connect();
  expect(await ack(tab2, 'login', { username: 'kim', token: res.token })).toMatchObject({ ok: true });
  await disconnectSettled(server, tab2);
  expect(await ack(await server.connect(), 'login', { username: 'kim' })).toMatchObject({ error: { code: 'username_taken' } });
});

test('a retired user still connected somewhere (presence lagging) is cut off and never gets the new holder\'s messages', async () => {
  // A presence registry that has lost track of lee (as a cluster's could, briefly): the name looks free.
  const presence = new MemoryPresence();
  const lagging = Object.assign(Object.create(presence), { isOnline: async () => false }) as MemoryPresence;
  const laggy = await startServer({}, { presence: lagging, now: () => clock });
  try {
    const { client: stale } = await laggy.login('lee');
    const staleSaw = record(stale, 'privateMsg');
    const cutOff = new Promise<string>((resolve) => stale.once('disconnect', (reason) => resolve(reason)));
    clock += 31 * DAY_MS;
    const { client: fresh } = await laggy.login('lee');
    expect(await within(cutOff, 'the stale socket cut off')).toBe('io server disconnect');
    const { client: mo } = await laggy.login('mo');
    const arrives = next(fresh, 'privateMsg');
    const sent = await ack(mo, 'privateMsg', { to: 'lee', text: 'for the new lee' });
    expect(await arrives).toEqual(sent.ok && sent.message);
    expect(staleSaw).toEqual([]);
  } finally {
    await laggy.close();
  }
});

test('offline messages belong to the user id: a new holder of an expired name does not get the old holder\'s', async () => {
  const { client: old } = await server.login('lee');
  await disconnectSettled(server, old);
  const { client: sender } = await server.login('mo');
  const queued = await ack(sender, 'privateMsg', { to: 'lee', text: 'for the first lee' });
  expect(queued.ok).toBe(true);
  clock += 31 * DAY_MS;
  const fresh = await server.connect();
  const pushed: PrivateMessage[] = record(fresh, 'privateMsg');
  expect(await ack(fresh, 'login', { username: 'lee' })).toMatchObject({ ok: true });
  await flush(fresh);
  expect(pushed).toEqual([]);
  expect(await ack(fresh, 'history', { with: 'mo' })).toEqual({ ok: true, messages: [], hasMore: false });
});

describe('two tabs claiming one name at the same moment', () => {
  /** Two tutorial-style `login {id}` whose claims both find the name free before either creates the user. */
  async function bothClaim(id: string) {
    const bothCreate = gates.gate('createUser', (user: { key: string }) => user.key === id);
    const tabs = [await server.connect(), await server.connect()];
    const logins = tabs.map((tab) => ack(tab, 'login', { id }));
    await bothCreate.arrived(2);
    bothCreate.open();
    return { tabs, results: await Promise.all(logins) };
  }

  /** Both tabs act as one user: a private message to `id` reaches each of them. */
  async function sameUser(id: string, tabs: Client[]) {
    const { client: sender } = await server.login(`${id}-friend`);
    const atTabs = tabs.map((tab) => next(tab, 'privateMsg'));
    const sent = await ack(sender, 'privateMsg', { to: id, text: 'to both tabs' });
    for (const got of await Promise.all(atTabs)) expect(got).toEqual(sent.ok && sent.message);
  }

  test('tutorial logins of a fresh name: the one that loses the race joins the winner', async () => {
    const { tabs, results } = await bothClaim('twin');
    expect(results).toEqual([
      expect.objectContaining({ ok: true, user: { name: 'twin', displayName: 'twin' } }),
      expect.objectContaining({ ok: true, user: { name: 'twin', displayName: 'twin' } }),
    ]);
    // One created the name and got its token; the other joined it, without one.
    expect(results.filter((r) => r.ok && r.token !== undefined)).toHaveLength(1);
    await sameUser('twin', tabs);
  });

  test('tutorial logins of a lapsed name: the same, and neither is the old holder', async () => {
    const old = await server.connect();
    await ack(old, 'login', { id: 'again' });
    await disconnectSettled(server, old);
    const oldId = (await server.app.services.store.findUser('again'))!.id;
    clock += server.app.services.config.legacyGraceMs + 1; // the provisional name is free again
    const { tabs, results } = await bothClaim('again');
    expect(results.every((r) => r.ok)).toBe(true);
    const holder = await server.app.services.store.findUser('again');
    expect(holder!.id).not.toBe(oldId);
    await sameUser('again', tabs);
  });

  test('a token-keeping claim ({username}) that loses the race is refused: the name is the winner\'s', async () => {
    const bothCreate = gates.gate('createUser', (user: { key: string }) => user.key === 'kept');
    const tabs = [await server.connect(), await server.connect()];
    const logins = [ack(tabs[0], 'login', { id: 'kept' }), ack(tabs[1], 'login', { username: 'kept' })];
    await bothCreate.arrived(2);
    bothCreate.open();
    const results = await Promise.all(logins);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok)).toEqual([{ ok: false, error: expect.objectContaining({ code: 'username_taken' }) }]);
  });

  test('handshake logins ({username}, a token-keeping claim): one session, the other a clean username_taken', async () => {
    const bothCreate = gates.gate('createUser', (user: { key: string }) => user.key === 'shake');
    const handshakes = [0, 1].map(() => server.connect({ auth: { username: 'shake' } }));
    await bothCreate.arrived(2);
    bothCreate.open();
    const outcomes = await Promise.allSettled(handshakes);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([
      { status: 'rejected', reason: expect.objectContaining({ data: expect.objectContaining({ code: 'username_taken' }) }) },
    ]);
  });

  test('JWT handshakes of a name seen for the first time: both open the same user', async () => {
    const secret = 'a-shared-secret-of-at-least-32-bytes!!';
    const env = { AUTH_MODE: 'jwt', JWT_SECRET: secret, JWT_ISSUER: 'https://host.example', JWT_AUDIENCE: 'chat' };
    const jwtFor = (name: string) =>
      new SignJWT({ preferred_username: name })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(`account-of-${name}`)
        .setIssuer('https://host.example')
        .setAudience('chat')
        .setExpirationTime('10 min')
        .sign(new TextEncoder().encode(secret));
    const jwtGates = gatedStore(SqliteStore.open(':memory:'));
    const host = await startServer({ auth: loadConfig(env).auth }, { store: jwtGates.store });
    try {
      const bothCreate = jwtGates.gate('createUser', (user: { key: string }) => user.key === 'vouched');
      const jwt = await jwtFor('vouched');
      const handshakes = [0, 1].map(() => host.connect({ auth: { token: jwt } }));
      await bothCreate.arrived(2);
      bothCreate.open();
      const tabs = await Promise.all(handshakes);
      const sender = await host.connect({ auth: { token: await jwtFor('other') } });
      const atTabs = tabs.map((tab) => next(tab, 'privateMsg'));
      const sent = await ack(sender, 'privateMsg', { to: 'vouched', text: 'to both tabs' });
      for (const got of await Promise.all(atTabs)) expect(got).toEqual(sent.ok && sent.message);
    } finally {
      await host.close();
    }
  });
});
