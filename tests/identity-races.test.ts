/**
 * Logins racing each other and logins whose socket leaves mid-way (issue 8, points 1, 2 and 4). Each race is
 * forced with a gate in the store (tests/gated-store.ts), so the outcome never depends on timing.
 */
import { MemoryPresence } from '../src/presence/memory';
import { SqliteStore } from '../src/store/sqlite';
import type { PrivateMessage } from '../src/protocol';
import { ack, disconnectSettled, flush, next, onceSocketClosed, record, startServer, within, type Client, type TestServer } from './helpers';
import { gatedStore, type Gate } from './gated-store';

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
  expect(await ack(loser, 'sendMsg', { text: 'as dave?' })).toMatchObject({ ok: false, error: { code: 'not_logged_in' } });
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

  expect(await ack(await server.connect(), 'login', { username: 'ghost' })).toMatchObject({ ok: true, user: { name: 'ghost' } });
});

test('logout {release} holds when another tab of the user closes afterwards', async () => {
  const { client: tab1, res } = await server.login('jay');
  const tab2 = await server.connect();
  await ack(tab2, 'login', { username: 'jay', token: res.token });
  expect(await ack(tab1, 'logout', { release: true })).toEqual({ ok: true });
  await disconnectSettled(server, tab2); // the last tab goes: jay is offline, and the release must still hold
  const newcomer = await ack(await server.connect(), 'login', { username: 'jay' });
  expect(newcomer).toMatchObject({ ok: true, user: { name: 'jay' } });
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
