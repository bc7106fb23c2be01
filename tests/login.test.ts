import { ack, disconnectSettled, flush, next, record, startServer, type TestServer } from './helpers';

let server: TestServer;
let clock = Date.UTC(2026, 0, 1);
beforeEach(async () => {
  clock = Date.UTC(2026, 0, 1);
  server = await startServer({}, { now: () => clock });
});
afterEach(() => server.close());

test('first login returns a token, the online list, and a welcome; others see a presence change', async () => {
  const { client: bob } = await server.login('bob');
  await next(bob, 'presence'); // bob's own announcement
  const presence = next(bob, 'presence');
  const joined = next(bob, 'msg1', (n) => n.type === 'join');
  const alice = await server.connect();
  const welcome = next(alice, 'msg1', (n) => n.type === 'welcome');
  const res = await ack(alice, 'login', { username: 'alice' });
  expect(res).toEqual({ ok: true, user: { name: 'alice' }, token: expect.any(String), online: ['alice', 'bob'], onlineCount: 2 });
  expect((await welcome).text).toContain('alice');
  expect(await presence).toEqual({ users: [{ name: 'alice', online: true }], ts: clock });
  expect(await joined).toEqual({ type: 'join', names: ['alice'], text: 'alice joined', ts: clock });
});

test('the login ack lists at most 100 online users, with the full count', async () => {
  const names = Array.from({ length: 105 }, (_, i) => `user${String(i).padStart(3, '0')}`);
  for (const n of names) await server.login(n);
  const { res } = await server.login('zz_last');
  expect(res.onlineCount).toBe(106);
  expect(res.online).toEqual(names.slice(0, 100));
});

test('names: trimmed, normalised, any script; invalid ones get invalid_username', async () => {
  const c = await server.connect();
  const ok = await ack(c, 'login', { username: '  张伟_1.x-y ' });
  expect(ok).toMatchObject({ ok: true, user: { name: '张伟_1.x-y' } });
  // NFD "é" (e + combining acute) is stored as NFC.
  const nfd = await ack(await server.connect(), 'login', { username: 'Jose\u0301' });
  expect(nfd).toMatchObject({ ok: true, user: { name: 'Jos\u00e9' } });
  for (const bad of ['', '   ', 'a b', 'x'.repeat(33), '<script>', 'semi;colon', 'emoji😀', '\u0000']) {
    const res = await ack(await server.connect(), 'login', { username: bad });
    expect(res).toEqual({ ok: false, error: { code: 'invalid_username', message: expect.any(String) } });
  }
  expect(await ack(await server.connect(), 'login', { username: '名'.repeat(32) })).toMatchObject({ ok: true });
});

test('a name is protected by its token; the same token is the same user (another tab)', async () => {
  const { res: first } = await server.login('carol');
  const thief = await server.connect();
  expect(await ack(thief, 'login', { username: 'carol' })).toMatchObject({ ok: false, error: { code: 'username_taken' } });
  expect(await ack(thief, 'login', { username: 'CAROL' })).toMatchObject({ ok: false, error: { code: 'username_taken' } });
  expect(await ack(thief, 'login', { username: 'carol', token: 'wrong' })).toMatchObject({
    ok: false,
    error: { code: 'username_taken' },
  });
  const tab = await server.connect();
  const again = await ack(tab, 'login', { username: 'Carol', token: first.token });
  expect(again).toEqual({ ok: true, user: { name: 'carol' }, token: first.token, online: ['carol'], onlineCount: 1 });
});

test('a reserved name stays taken while offline; after the reservation it can be claimed anew', async () => {
  const { client, res } = await server.login('dave');
  await flush(client);
  await disconnectSettled(server, client); // dave is offline, last seen now
  clock += 29 * 24 * 3600 * 1000;
  expect(await ack(await server.connect(), 'login', { username: 'dave' })).toMatchObject({
    ok: false,
    error: { code: 'username_taken' },
  });
  // The owner's token still works at any time before someone else claims the name.
  const owner = await server.connect();
  expect(await ack(owner, 'login', { username: 'dave', token: res.token })).toMatchObject({ ok: true });
  await disconnectSettled(server, owner);
  clock += 31 * 24 * 3600 * 1000;
  const newcomer = await ack(await server.connect(), 'login', { username: 'dave' });
  expect(newcomer).toMatchObject({ ok: true, user: { name: 'dave' } });
  expect((newcomer as { token: string }).token).not.toBe(res.token);
  expect(await ack(await server.connect(), 'login', { username: 'dave', token: res.token })).toMatchObject({
    ok: false,
    error: { code: 'username_taken' },
  });
});

test('an online user never loses their name, however long ago they logged in', async () => {
  await server.login('erin');
  clock += 365 * 24 * 3600 * 1000;
  expect(await ack(await server.connect(), 'login', { username: 'erin' })).toMatchObject({
    ok: false,
    error: { code: 'username_taken' },
  });
});

test('one connection is one user: logging in again as someone else is already_logged_in', async () => {
  const { client, res } = await server.login('frank');
  expect(await ack(client, 'login', { username: 'grace' })).toMatchObject({ ok: false, error: { code: 'already_logged_in' } });
  expect(await ack(client, 'login', { username: 'frank', token: res.token })).toMatchObject({ ok: true });
});

test('presence: online while any tab is open; offline (with a leave notice) when the last closes', async () => {
  const { client: watcher } = await server.login('watcher');
  const { client: tab1, res } = await server.login('henry');
  const tab2 = await server.connect();
  await ack(tab2, 'login', { username: 'henry', token: res.token });
  await next(watcher, 'presence', (p) => p.users.some((u) => u.name === 'henry'));
  const changes = record(watcher, 'presence');
  await disconnectSettled(server, tab1);
  await flush(watcher);
  expect(await ack(watcher, 'users', {})).toMatchObject({ users: [{ name: 'henry', online: true }, { name: 'watcher', online: true }] });
  const leave = next(watcher, 'msg1', (n) => n.type === 'leave');
  tab2.disconnect();
  expect(await leave).toEqual({ type: 'leave', names: ['henry'], text: 'henry left', ts: clock });
  expect(changes).toEqual([{ users: [{ name: 'henry', online: false }], ts: clock }]);
});

test('logout detaches the connection; the name stays reserved unless released', async () => {
  const { client, res } = await server.login('ivy');
  expect(await ack(client, 'logout', {})).toEqual({ ok: true });
  expect(await ack(client, 'sendMsg', { text: 'after logout' })).toMatchObject({ ok: false, error: { code: 'not_logged_in' } });
  expect(await ack(await server.connect(), 'login', { username: 'ivy' })).toMatchObject({ error: { code: 'username_taken' } });
  expect(await ack(client, 'login', { username: 'ivy', token: res.token })).toMatchObject({ ok: true });
  expect(await ack(client, 'logout', { release: true })).toEqual({ ok: true });
  const newcomer = await ack(await server.connect(), 'login', { username: 'ivy' });
  expect(newcomer).toMatchObject({ ok: true, user: { name: 'ivy' } });
  expect(newcomer.ok && newcomer.token).not.toBe(res.token);
  expect(await ack(client, 'logout', {})).toMatchObject({ ok: false, error: { code: 'not_logged_in' } });
});

test('a released name is not claimable while its user is still connected elsewhere', async () => {
  const { client: phone, res } = await server.login('jay');
  const laptop = await server.connect();
  await ack(laptop, 'login', { username: 'jay', token: res.token });
  await ack(laptop, 'logout', { release: true });
  expect(await ack(await server.connect(), 'login', { username: 'jay' })).toMatchObject({ error: { code: 'username_taken' } });
  expect(await ack(phone, 'sendMsg', { text: 'still me' })).toMatchObject({ ok: true });
});

test('a burst of logins is announced together: one presence event and one join notice', async () => {
  // A window that never ends by itself; the test flushes it, so the outcome does not depend on timing.
  const slow = await startServer({}, { presenceWindowMs: 3_600_000 });
  try {
    const { client: watcher } = await slow.login('watcher');
    const presence = record(watcher, 'presence');
    const notices = record(watcher, 'msg1');
    const names = Array.from({ length: 12 }, (_, i) => `burst${String(i).padStart(2, '0')}`);
    await Promise.all(names.map((n) => slow.login(n)));
    const flap = await slow.login('flapper'); // comes and goes within the same window
    await disconnectSettled(slow, flap.client);
    slow.app.services.presenceFeed.flush();
    await flush(watcher);
    expect(presence).toHaveLength(1);
    expect(presence[0].users.map((u) => u.name).sort()).toEqual(['watcher', ...names].sort());
    expect(presence[0].users.every((u) => u.online)).toBe(true);
    const joins = notices.filter((n) => n.type === 'join');
    expect(joins).toHaveLength(1);
    expect(joins[0].names!.sort()).toEqual(['watcher', ...names].sort());
    expect(joins[0].text).toMatch(/^\w+, \w+, \w+ and 10 others joined$/);
    expect(notices.filter((n) => n.type === 'leave')).toEqual([]);
  } finally {
    await slow.close();
  }
});
