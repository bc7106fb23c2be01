/** Rooms over real sockets (issue 17): every room event, delivery to members' tabs, and the rules of who may do what. */
import type { RoomMemberChange, RoomMessage } from '../src/protocol';
import { ack, flush, next, record, startServer, type Client, type TestServer } from './helpers';

let server: TestServer;
beforeEach(async () => {
  server = await startServer();
});
afterEach(() => server.close());

const tokenOf: Record<string, string | undefined> = {};

/** Logs `name` in, and a second tab of the same user. */
async function twoTabs(name: string): Promise<[Client, Client]> {
  const { client, res } = await server.login(name);
  tokenOf[name] = res.token;
  const other = await server.connect();
  const again = await ack(other, 'login', { username: name, token: res.token });
  if (!again.ok) throw new Error(`second tab of ${name}: ${again.error.code}`);
  return [client, other];
}

test('create, join, talk, list, leave: members get everything once on every tab, others nothing', async () => {
  const [alice, alice2] = await twoTabs('alice');
  const [bob, bob2] = await twoTabs('bob');
  const { client: carol } = await server.login('carol');
  const carolSaw = [record(carol, 'roomMsg'), record(carol, 'roomMember')];

  const created = next(alice2, 'roomMember');
  const made = await ack(alice, 'createRoom', { name: ' Lobby ' });
  expect(made).toEqual({ ok: true, room: { name: 'Lobby', private: false, owner: 'alice' }, seq: expect.any(Number) });
  expect(await created).toEqual({ seq: made.ok && made.seq, room: 'Lobby', private: false, user: 'alice', action: 'create', by: 'alice', ts: expect.any(Number) });
  expect(await ack(bob, 'createRoom', { name: 'LOBBY' })).toMatchObject({ ok: false, error: { code: 'room_taken' } });
  expect(await ack(bob, 'createRoom', { name: 'Ⅼobby' })).toMatchObject({ ok: false, error: { code: 'room_taken' } }); // a look-alike
  expect(await ack(bob, 'createRoom', { name: 'lоbby2' })).toMatchObject({ ok: false, error: { code: 'invalid_room' } }); // Cyrillic о among Latin

  const joinedSeen = [next(alice, 'roomMember'), next(alice2, 'roomMember'), next(bob2, 'roomMember')];
  const joined = await ack(bob, 'joinRoom', { room: 'lobby' });
  expect(joined).toEqual({ ok: true, room: { name: 'Lobby', private: false, owner: 'alice' }, seq: expect.any(Number) });
  for (const seen of await Promise.all(joinedSeen)) expect(seen).toMatchObject({ action: 'join', user: 'bob', by: 'bob' });
  expect(await ack(bob, 'joinRoom', { room: 'Lobby' })).toEqual({ ok: true, room: expect.any(Object) }); // already in: no seq

  const bobSaw = record(bob, 'roomMsg');
  const { client: bob3 } = await server.login('bob', tokenOf.bob);
  const arrivals = [next(alice, 'roomMsg'), next(alice2, 'roomMsg'), next(bob2, 'roomMsg'), next(bob3, 'roomMsg')]; // bob3 logged in after the join
  const sent = await ack(bob, 'roomMsg', { room: 'LOBBY', text: ' hi all ' });
  expect(sent).toEqual({ ok: true, message: { id: expect.any(Number), room: 'Lobby', from: 'bob', fromName: 'bob', text: 'hi all', ts: expect.any(Number) } });
  for (const got of await Promise.all(arrivals)) expect(got).toEqual(sent.ok && sent.message);
  expect(await ack(carol, 'roomMsg', { room: 'Lobby', text: 'let me in' })).toMatchObject({ ok: false, error: { code: 'not_member' } });

  expect(await ack(carol, 'rooms', {})).toEqual({ ok: true, rooms: [{ name: 'Lobby', private: false, owner: 'alice', member: false, members: 2 }], hasMore: false });
  expect(await ack(carol, 'rooms', { mine: true })).toEqual({ ok: true, rooms: [], hasMore: false });
  expect(await ack(alice, 'rooms', {})).toEqual({
    ok: true,
    rooms: [{ name: 'Lobby', private: false, owner: 'alice', member: true, members: 2, unread: 1, last: sent.ok && sent.message }],
    hasMore: false,
  });
  expect(await ack(carol, 'members', { room: 'lobby' })).toEqual({ ok: true, members: [{ name: 'alice', displayName: 'alice', online: true }, { name: 'bob', displayName: 'bob', online: true }], hasMore: false });
  expect(await ack(carol, 'history', { room: 'lobby' })).toEqual({ ok: true, messages: [sent.ok && sent.message], hasMore: false });
  expect(await ack(await server.connect(), 'history', { room: 'lobby' })).toMatchObject({ ok: false, error: { code: 'not_logged_in' } });

  const left = [next(bob2, 'roomMember'), next(alice, 'roomMember')];
  expect(await ack(bob, 'leaveRoom', { room: 'lobby' })).toMatchObject({ ok: true, seq: expect.any(Number) });
  for (const seen of await Promise.all(left)) expect(seen).toMatchObject({ action: 'leave', user: 'bob' });
  const bob2Saw = record(bob2, 'roomMsg');
  const last = next(alice2, 'roomMsg');
  await ack(alice, 'roomMsg', { room: 'lobby', text: 'bob is gone' });
  await last;
  await Promise.all([flush(bob), flush(bob2), flush(carol)]);
  expect(bobSaw).toEqual([]); // the sending tab has its ack, and nothing after the leave
  expect(bob2Saw).toEqual([]);
  expect(carolSaw).toEqual([[], []]);
  expect(await ack(bob, 'leaveRoom', { room: 'lobby' })).toEqual({ ok: true, room: expect.any(Object) }); // again: nothing to do
});

test('roomMsg retried with one clientId is stored once, delivered once, and acked with the original', async () => {
  const { client: alice } = await server.login('alice');
  const [bob, bob2] = await twoTabs('bob');
  await ack(alice, 'createRoom', { name: 'retry' });
  await ack(bob, 'joinRoom', { room: 'retry' });
  const aliceSaw: RoomMessage[] = record(alice, 'roomMsg');
  const bob2Saw: RoomMessage[] = record(bob2, 'roomMsg');
  const first = await ack(bob, 'roomMsg', { room: 'retry', text: 'once', clientId: 'c-1' });
  const again = await ack(bob, 'roomMsg', { room: 'retry', text: 'once (resent)', clientId: 'c-1' });
  const fromOtherTab = await ack(bob2, 'roomMsg', { room: 'retry', text: 'once', clientId: 'c-1' });
  expect(again).toEqual(first);
  expect(fromOtherTab).toEqual(first);
  await Promise.all([flush(alice), flush(bob2)]);
  expect(aliceSaw).toEqual([first.ok && first.message]);
  expect(bob2Saw).toEqual([first.ok && first.message]);
  expect(await ack(alice, 'history', { room: 'retry' })).toEqual({ ok: true, messages: [first.ok && first.message], hasMore: false });
});

test('invite and removeMember: the invitee is in at once and told on every tab; only the owner removes', async () => {
  const { client: owner } = await server.login('owner');
  const [guest, guest2] = await twoTabs('guest');
  const { client: other } = await server.login('other');
  await ack(owner, 'createRoom', { name: 'den', private: true });
  const told = [next(guest, 'roomMember'), next(guest2, 'roomMember')];
  expect(await ack(owner, 'invite', { room: 'den', user: 'GUEST' })).toMatchObject({ ok: true, seq: expect.any(Number) });
  for (const seen of await Promise.all(told)) expect(seen).toMatchObject({ room: 'den', private: true, user: 'guest', action: 'invite', by: 'owner' });
  expect(await ack(owner, 'invite', { room: 'den', user: 'nobody' })).toMatchObject({ ok: false, error: { code: 'unknown_user' } });
  const hello = next(guest2, 'roomMsg');
  await ack(owner, 'roomMsg', { room: 'den', text: 'welcome' });
  expect(await hello).toMatchObject({ text: 'welcome' });

  // A member invites too; only the owner removes, and not themselves.
  expect(await ack(guest, 'invite', { room: 'den', user: 'other' })).toMatchObject({ ok: true });
  expect(await ack(guest, 'removeMember', { room: 'den', user: 'other' })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
  expect(await ack(owner, 'removeMember', { room: 'den', user: 'owner' })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
  expect(await ack(other, 'leaveRoom', { room: 'den' })).toMatchObject({ ok: true, seq: expect.any(Number) });

  const removedSeen = [next(guest, 'roomMember'), next(guest2, 'roomMember')];
  const removal = await ack(owner, 'removeMember', { room: 'den', user: 'guest' });
  expect(removal).toMatchObject({ ok: true, seq: expect.any(Number) });
  for (const seen of await Promise.all(removedSeen)) expect(seen).toMatchObject({ action: 'remove', user: 'guest', by: 'owner' });
  const afterwards = [record(guest, 'roomMsg'), record(guest2, 'roomMsg')];
  await ack(owner, 'roomMsg', { room: 'den', text: 'after the removal' });
  await Promise.all([flush(guest), flush(guest2)]);
  expect(afterwards).toEqual([[], []]);
  // For a former member, a private room is a name nobody holds again.
  expect(await ack(guest, 'history', { room: 'den' })).toMatchObject({ ok: false, error: { code: 'unknown_room' } });
  expect(await ack(guest, 'rooms', {})).toEqual({ ok: true, rooms: [], hasMore: false });
  // sync: what came before the removal, and the removal; nothing after.
  const synced = await ack(guest, 'sync', { after: 0 });
  expect(synced.ok && synced.messages.map((m) => m.text)).toEqual(['welcome']);
  expect(synced.ok && synced.changes.map((c) => c.type === 'member' && [c.action, c.user])).toEqual([
    ['create', 'owner'],
    ['invite', 'guest'],
    ['invite', 'other'],
    ['leave', 'other'],
    ['remove', 'guest'],
  ]);
  expect(synced.ok && synced.changes.at(-1)?.seq).toBe(removal.ok && removal.seq);
});

test("a private room does not exist for outsiders: every answer is a missing room's, and a third socket's whole stream holds nothing of it", async () => {
  const { client: owner } = await server.login('owner');
  const { client: friend } = await server.login('friend');
  const { client: eve } = await server.login('eve');
  const eveSaw: unknown[] = [];
  eve.onAny((event, ...args) => eveSaw.push([event, ...args]));

  await ack(owner, 'createRoom', { name: 'Vault', private: true }); // outsiders ask for "vault": no answer may say "Vault"
  await ack(owner, 'invite', { room: 'vault', user: 'friend' });
  await ack(friend, 'roomMsg', { room: 'vault', text: 'the code is 1234' });
  await ack(owner, 'removeMember', { room: 'vault', user: 'friend' });
  await ack(owner, 'roomMsg', { room: 'vault', text: 'changed it to 5678' });
  await ack(owner, 'read', { room: 'vault', upTo: 10 ** 9 });

  const asked: Array<[string, object]> = [
    ['joinRoom', { room: 'X' }],
    ['leaveRoom', { room: 'X' }],
    ['invite', { room: 'X', user: 'eve' }],
    ['removeMember', { room: 'X', user: 'owner' }],
    ['roomMsg', { room: 'X', text: 'hi' }],
    ['members', { room: 'X' }],
    ['history', { room: 'X' }],
    ['read', { room: 'X', upTo: 1 }],
  ];
  for (const [event, payload] of asked) {
    const about = (room: string) => ack(eve, event as 'joinRoom', { ...payload, room });
    const real = await about('vault');
    const none = await about('nosuchroom');
    expect(real).toEqual({ ok: false, error: { code: 'unknown_room', message: expect.any(String) } });
    expect(JSON.stringify(real).replace('vault', 'NAME')).toBe(JSON.stringify(none).replace('nosuchroom', 'NAME'));
  }
  expect(await ack(eve, 'createRoom', { name: 'VAULT' })).toMatchObject({ ok: false, error: { code: 'room_taken' } }); // names are one namespace
  expect(await ack(eve, 'rooms', {})).toEqual({ ok: true, rooms: [], hasMore: false });
  expect(await ack(eve, 'conversations', {})).toMatchObject({ ok: true, conversations: [{ unread: 0, last: null }] });
  const synced = await ack(eve, 'sync', { after: 0 });
  expect(synced).toEqual({ ok: true, messages: [], changes: [], hasMore: false, reset: false });
  await flush(eve);
  const stream = JSON.stringify(eveSaw).toLowerCase();
  for (const secret of ['vault', '1234', '5678']) expect(stream).not.toContain(secret);
  expect(eveSaw.map((e) => (e as unknown[])[0])).not.toContain('roomMsg');
  expect(eveSaw.map((e) => (e as unknown[])[0])).not.toContain('roomMember');
});

test('limits: a room full or a member in too many rooms gets limit_reached; room changes are rate-limited', async () => {
  const capped = await startServer({ roomLimits: { maxRoomsPerUser: 2, maxMembersPerRoom: 2 } });
  try {
    const { client: a } = await capped.login('a');
    const { client: b } = await capped.login('b');
    const { client: c } = await capped.login('c');
    await ack(a, 'createRoom', { name: 'one' });
    await ack(b, 'joinRoom', { room: 'one' });
    expect(await ack(c, 'joinRoom', { room: 'one' })).toMatchObject({ ok: false, error: { code: 'limit_reached' } });
    await ack(a, 'createRoom', { name: 'two' });
    expect(await ack(a, 'createRoom', { name: 'three' })).toMatchObject({ ok: false, error: { code: 'limit_reached' } });
  } finally {
    await capped.close();
  }
  const limited = await startServer({
    rateLimits: { ...server.app.services.config.rateLimits, enabled: true, roomChanges: { points: 3, seconds: 60 } },
  });
  try {
    const { client } = await limited.login('busy');
    for (const name of ['r1', 'r2', 'r3']) expect(await ack(client, 'createRoom', { name })).toMatchObject({ ok: true });
    expect(await ack(client, 'createRoom', { name: 'r4' })).toEqual({ ok: false, error: { code: 'rate_limited', message: expect.any(String), retryAfterMs: expect.any(Number) } });
    expect(await ack(client, 'rooms', {})).toMatchObject({ ok: true, rooms: [{ name: 'r1' }, { name: 'r2' }, { name: 'r3' }] });
  } finally {
    await limited.close();
  }
});

test('room events need a login (they wait for one as other such events do), and sync of an anonymous client holds no room', async () => {
  const { client: alice } = await server.login('alice');
  await ack(alice, 'createRoom', { name: 'open' });
  await ack(alice, 'roomMsg', { room: 'open', text: 'members only, live and by sync' });
  const anonymous = await server.connect({ auth: {} });
  const changes: RoomMemberChange[] = record(anonymous, 'roomMember');
  expect(await ack(anonymous, 'sync', { after: 0 })).toEqual({ ok: true, messages: [], changes: [], hasMore: false, reset: false });
  await flush(anonymous);
  expect(changes).toEqual([]);
});
