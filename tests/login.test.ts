import { hashToken } from '../src/identity';
import { displacedKey } from '../src/names';
import { FAST_HEARTBEAT, ack, disconnectSettled, flush, next, onceApp, record, startServer, type TestServer } from './helpers';

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
  expect(res).toEqual({ ok: true, user: { name: 'alice', displayName: 'alice' }, token: expect.any(String), sessionId: expect.any(String), online: ['alice', 'bob'], onlineCount: 2, blocked: [] });
  expect((await welcome).text).toContain('alice');
  expect(await presence).toEqual({ users: [{ name: 'alice', displayName: 'alice', online: true }], ts: clock });
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
  expect(ok).toMatchObject({ ok: true, user: { name: '张伟_1.x-y', displayName: '张伟_1.x-y' } });
  // NFD "é" (e + combining acute) is stored as NFC.
  const nfd = await ack(await server.connect(), 'login', { username: 'Jose\u0301' });
  expect(nfd).toMatchObject({ ok: true, user: { name: 'Jos\u00e9', displayName: 'Jos\u00e9' } });
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
  expect(again).toEqual({ ok: true, user: { name: 'carol', displayName: 'carol' }, token: first.token, sessionId: first.sessionId, online: ['carol'], onlineCount: 1, blocked: [] });
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
  expect(newcomer).toMatchObject({ ok: true, user: { name: 'dave', displayName: 'dave' } });
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
  expect(changes).toEqual([{ users: [{ name: 'henry', displayName: 'henry', online: false }], ts: clock }]);
});

test('logout detaches the connection; the name stays reserved unless released', async () => {
  const { client, res } = await server.login('ivy');
  expect(await ack(client, 'logout', {})).toEqual({ ok: true });
  expect(await ack(client, 'sendMsg', { text: 'after logout' })).toMatchObject({ ok: false, error: { code: 'not_logged_in' } });
  expect(await ack(await server.connect(), 'login', { username: 'ivy' })).toMatchObject({ error: { code: 'username_taken' } });
  expect(await ack(client, 'login', { username: 'ivy', token: res.token })).toMatchObject({ ok: true });
  expect(await ack(client, 'logout', { release: true })).toEqual({ ok: true });
  const newcomer = await ack(await server.connect(), 'login', { username: 'ivy' });
  expect(newcomer).toMatchObject({ ok: true, user: { name: 'ivy', displayName: 'ivy' } });
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

describe('look-alike names (issue 11)', () => {
  // Written as escapes so that the reader sees what each one is.
  const LOOK_ALIKES_OF_ALICE = {
    'Cyrillic а': '\u0430lice',
    'Cyrillic е': 'alic\u0435',
    'Greek α': '\u03b1lice',
    'dotless ı': 'al\u0131ce',
    'small capitals': '\u1d00\u029f\u026a\u1d04\u1d07',
    'Greek capital Α': '\u0391LICE',
  };

  test.each(Object.entries(LOOK_ALIKES_OF_ALICE))('a look-alike of a taken name is taken: %s', async (_, lookAlike) => {
    await server.login('alice');
    expect(await ack(await server.connect(), 'login', { username: lookAlike })).toEqual({
      ok: false,
      error: { code: 'username_taken', message: `The name "${lookAlike}" looks like "alice", which is taken. Log in with its token or pick another name.` },
    });
  });

  test('a new name that mixes scripts is invalid_username, and the message says why', async () => {
    const res = await ack(await server.connect(), 'login', { username: 'Dima_\u0414\u0438\u043c\u0430' });
    expect(res).toEqual({ ok: false, error: { code: 'invalid_username', message: expect.stringContaining('mixes the Latin and Cyrillic scripts') } });
    const tutorial = await ack(await server.connect(), 'login', { id: '\u0430lice' });
    expect(tutorial).toMatchObject({ ok: false, error: { code: 'invalid_username' } });
  });

  test('new names in one script log in, whatever the script', async () => {
    const names = [
      '\u5f20\u4f1f', // 张伟
      '\u5c71\u7530\u305f\u308d\u3046', // 山田たろう
      '\uae40\ubbfc\uc218', // 김민수
      '\u0410\u043b\u0438\u0441\u0430', // Алиса
      '\u0391\u03bb\u03af\u03ba\u03b7', // Αλίκη
      '\u0645\u062d\u0645\u062f', // محمد
      '\u05d3\u05d5\u05d3', // דוד
      '\u0930\u093e\u091c', // राज
      'Tokyo\u6771\u4eac', // Latin with Han
      'bob_1.x-y',
    ];
    for (const name of names) {
      expect(await ack(await server.connect(), 'login', { username: name })).toMatchObject({ ok: true, user: { name } });
    }
  });

  test('a look-alike in "to" or "with" finds the user it imitates', async () => {
    const { client: alice } = await server.login('alice');
    const { client: bob } = await server.login('bob');
    const arrived = next(alice, 'privateMsg');
    const res = await ack(bob, 'privateMsg', { to: '\u0391LICE', text: 'hi' }); // Greek capital Α
    expect(res).toMatchObject({ ok: true, message: { to: 'alice' } });
    expect(await arrived).toMatchObject({ from: 'bob', to: 'alice', text: 'hi' });
    expect(await ack(bob, 'history', { with: '\u0430lice' })).toMatchObject({ ok: true, messages: [{ text: 'hi' }] });
    expect(await ack(bob, 'privateMsg', { to: 'a\u0142ice', text: 'nobody' })).toMatchObject({ ok: false, error: { code: 'unknown_user' } });
  });

  test('users displaced by rekeying keep their name, token and messages; lookups by exact name find them', async () => {
    // What rekeyUsers leaves when an existing "alice" lost the key to an existing Cyrillic "аlice".
    const quick = await startServer({}, { heartbeat: FAST_HEARTBEAT });
    try {
      const { store } = quick.app.services;
      const now = Date.now();
      const holder = await store.createUser({ name: '\u0430lice', key: 'alice', tokenHash: hashToken('holder-token'), now, provisional: false });
      const displaced = await store.createUser({ name: 'alice', key: displacedKey('alice'), tokenHash: hashToken('alice-token'), now, provisional: false });
      expect(displaced?.key).toBe('alice#alice');

      const alice = await quick.connect();
      expect(await ack(alice, 'login', { username: 'Alice', token: 'alice-token' })).toMatchObject({ ok: true, user: { name: 'alice', displayName: 'alice' } });
      expect(await ack(alice, 'login', { username: 'alice', token: 'alice-token' })).toMatchObject({ ok: true }); // same user again
      const cyrillic = await quick.connect();
      expect(await ack(cyrillic, 'login', { username: '\u0430lice', token: 'holder-token' })).toMatchObject({ ok: true, user: { name: '\u0430lice', displayName: '\u0430lice' } });
      expect(await ack(await quick.connect(), 'login', { username: '\u03b1lice' })).toMatchObject({ ok: false, error: { code: 'username_taken' } });
      expect(await ack(await quick.connect(), 'login', { username: 'alice', token: 'holder-token' })).toMatchObject({ ok: true, user: { name: '\u0430lice', displayName: '\u0430lice' } });

      const { client: bob } = await quick.login('bob');
      const toAlice = next(alice, 'privateMsg');
      const confirmed = onceApp(quick, 'delivered', (userId) => userId === displaced?.id);
      expect(await ack(bob, 'privateMsg', { to: 'ALICE', text: 'to the latin one' })).toMatchObject({ ok: true, message: { to: 'alice' } });
      expect(await toAlice).toMatchObject({ text: 'to the latin one' });
      // The displaced user's socket confirms it by its heartbeat like any other (realtime/delivery-tracker.ts).
      expect((await confirmed)[0]).toBe(displaced?.id);
      const toHolder = next(cyrillic, 'privateMsg');
      expect(await ack(bob, 'privateMsg', { to: '\u03b1lice', text: 'to the cyrillic one' })).toMatchObject({ ok: true, message: { to: '\u0430lice' } });
      expect(await toHolder).toMatchObject({ text: 'to the cyrillic one' });
      expect(holder?.id).not.toBe(displaced?.id);
    } finally {
      await quick.close();
    }
  });

  test("a displaced user's name stays held while the user is, even when the key's holder has lapsed", async () => {
    const { store } = server.app.services;
    const day = 24 * 3600 * 1000;
    await store.createUser({ name: '\u0430lice', key: 'alice', tokenHash: hashToken('holder-token'), now: clock - 31 * day, provisional: false });
    await store.createUser({ name: 'alice', key: displacedKey('alice'), tokenHash: hashToken('alice-token'), now: clock - day, provisional: false });
    expect(await ack(await server.connect(), 'login', { username: 'ALICE' })).toEqual({
      ok: false,
      error: { code: 'username_taken', message: 'The name "alice" is taken. Log in with its token or pick another name.' },
    });
    clock += 30 * day; // now both have lapsed: the name is free again, and the newcomer takes the displaced user's place
    const { client: newcomer } = await server.login('alice');
    expect(await ack(await server.connect(), 'login', { username: 'alice', token: 'alice-token' })).toMatchObject({ ok: false, error: { code: 'username_taken' } });
    const { client: bob } = await server.login('bob');
    const arrived = next(newcomer, 'privateMsg');
    expect(await ack(bob, 'privateMsg', { to: 'alice', text: 'hello newcomer' })).toMatchObject({ ok: true });
    expect(await arrived).toMatchObject({ to: 'alice', text: 'hello newcomer' });
    expect(await ack(await server.connect(), 'login', { username: '\u0430lice', token: 'holder-token' })).toMatchObject({ ok: true });
  });

  test('lists are sorted by name, not by key', async () => {
    for (const name of ['rita', 'mary', 'Bob']) await server.login(name);
    const { res } = await server.login('alice');
    expect(res.online).toEqual(['alice', 'Bob', 'mary', 'rita']);
    const { client } = await server.login('zed');
    expect(await ack(client, 'users', {})).toMatchObject({ users: ['alice', 'Bob', 'mary', 'rita', 'zed'].map((name) => ({ name })) });
  });
});
