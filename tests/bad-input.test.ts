/**
 * Hostile and broken payloads on every event: each gets a clear error code, the server keeps running, and
 * nothing is stored or broadcast.
 */
import type { ClientEvent } from '../src/protocol';
import { loadConfig } from '../src/config';
import { openStore, type ChatStore } from '../src/store';
import { ack, flush, next, record, startServer, within, type Client, type TestServer } from './helpers';
import { createDatabase, postgresReason, type TestDatabase } from './postgres';

let server: TestServer;
let sender: Client;
let witness: Client;
beforeAll(async () => {
  server = await startServer();
  sender = (await server.login('sender')).client;
  witness = (await server.login('witness')).client;
});
afterAll(() => server.close());

// Big, but under the server's packet limit (MAX_PACKET_BYTES), so it reaches validation.
const huge = 'x'.repeat(50_000);
const protoKey = JSON.parse('{"__proto__": {"polluted": true}, "text": "hi"}');
const notObjects: Array<[string, unknown]> = [
  ['a string', 'hello'],
  ['a number', 42],
  ['null', null],
  ['an array', ['text']],
  ['true', true],
];

const cases: Array<[ClientEvent, string, unknown, string]> = [
  ...notObjects.flatMap(([label, value]) =>
    (
      [
        'login', 'sendMsg', 'privateMsg', 'history', 'users', 'typing', 'sync', 'logout', 'received',
        'signInCode', 'sessions', 'endSession', 'profile',
        'createRoom', 'joinRoom', 'leaveRoom', 'invite', 'removeMember', 'roomMsg', 'rooms', 'members', 'read', 'conversations',
        'editMsg', 'deleteMsg', 'block', 'unblock', 'report',
      ] as const
    ).map(
      (event): [ClientEvent, string, unknown, string] => [event, label, value, 'invalid_payload'],
    ),
  ),
  ['login', 'missing name', {}, 'invalid_username'],
  ['login', 'both id and username', { id: 'a', username: 'b' }, 'invalid_username'],
  ['login', 'name of wrong type', { username: 7 }, 'invalid_username'],
  ['login', 'huge name', { username: huge }, 'invalid_username'],
  ['login', 'extra key', { username: 'ok', admin: true }, 'invalid_payload'],
  ['login', '__proto__ key', JSON.parse('{"username": "ok", "__proto__": {"x": 1}}'), 'invalid_payload'],
  ['login', 'token of wrong type', { username: 'ok', token: {} }, 'invalid_payload'],
  ['sendMsg', 'missing text', {}, 'invalid_message'],
  ['sendMsg', 'empty text', { text: '' }, 'invalid_message'],
  ['sendMsg', 'blank text', { text: ' \n\t ' }, 'invalid_message'],
  ['sendMsg', 'text of wrong type', { text: { toString: 'x' } }, 'invalid_message'],
  ['sendMsg', 'huge text', { text: huge }, 'invalid_message'],
  ['sendMsg', '4001 characters', { text: 'y'.repeat(4001) }, 'invalid_message'],
  ['sendMsg', 'lone surrogate', { text: 'bad \ud800 text' }, 'invalid_message'],
  ['sendMsg', 'NUL in the text', { text: 'nul \u0000 here' }, 'invalid_message'],
  ['sendMsg', 'NUL in newAccount', { newAccount: '\u0000' }, 'invalid_message'],
  ['sendMsg', 'text and newAccount', { text: 'a', newAccount: 'b' }, 'invalid_message'],
  ['sendMsg', 'extra key', { text: 'hi', html: '<b>' }, 'invalid_payload'],
  ['sendMsg', '__proto__ key', protoKey, 'invalid_payload'],
  ['sendMsg', 'bad clientId', { text: 'hi', clientId: 'has spaces' }, 'invalid_payload'],
  ['privateMsg', 'missing to', { text: 'hi' }, 'invalid_username'],
  ['privateMsg', 'bad to', { to: '../etc', text: 'hi' }, 'invalid_username'],
  ['privateMsg', 'missing text', { to: 'witness' }, 'invalid_message'],
  ['privateMsg', 'huge text', { to: 'witness', text: huge }, 'invalid_message'],
  ['privateMsg', 'NUL in the text', { to: 'witness', text: 'a\u0000b' }, 'invalid_message'],
  ['privateMsg', 'extra key', { to: 'witness', text: 'hi', cc: 'x' }, 'invalid_payload'],
  ['history', 'before not a number', { before: '10' }, 'invalid_payload'],
  ['history', 'negative limit', { limit: -1 }, 'invalid_payload'],
  ['history', 'fractional before', { before: 1.5 }, 'invalid_payload'],
  ['history', 'bad with', { with: 'a b' }, 'invalid_username'],
  ['users', 'extra key', { all: true }, 'invalid_payload'],
  ['typing', 'bad to', { to: 5 }, 'invalid_username'],
  ['sync', 'missing after', {}, 'invalid_payload'],
  ['sync', 'after not a number', { after: 'latest' }, 'invalid_payload'],
  ['received', 'no ids', { ids: [] }, 'invalid_payload'],
  ['received', 'ids not numbers', { ids: ['1'] }, 'invalid_payload'],
  ['received', 'negative id', { ids: [-1] }, 'invalid_payload'],
  ['received', 'too many ids', { ids: Array.from({ length: 501 }, (_, i) => i + 1) }, 'invalid_payload'],
  ['logout', 'release not a boolean', { release: 'yes' }, 'invalid_payload'],
  // Issue 21.
  ['login', 'code beside a name', { code: 'ABCDE-FGHJK', username: 'sender' }, 'invalid_payload'],
  ['login', 'code beside a token', { code: 'ABCDE-FGHJK', token: 't' }, 'invalid_payload'],
  ['login', 'code of wrong type', { code: 12345 }, 'invalid_payload'],
  ['login', 'empty code', { code: '' }, 'invalid_payload'],
  ['login', 'huge code', { code: huge }, 'invalid_payload'],
  ['login', 'tutorial id of wrong type', { id: 7 }, 'invalid_username'],
  ['signInCode', 'extra key', { for: 'someone' }, 'invalid_payload'],
  ['sessions', 'extra key', { all: true }, 'invalid_payload'],
  ['endSession', 'nothing', {}, 'invalid_payload'],
  ['endSession', 'id and others', { id: 'abc', others: true }, 'invalid_payload'],
  ['endSession', 'id not a string', { id: 42 }, 'invalid_payload'],
  ['endSession', 'empty id', { id: '' }, 'invalid_payload'],
  ['endSession', 'huge id', { id: huge }, 'invalid_payload'],
  ['endSession', 'others not true', { others: false }, 'invalid_payload'],
  ['endSession', '__proto__ key', JSON.parse('{"others": true, "__proto__": {"x": 1}}'), 'invalid_payload'],
  ['profile', 'no display name', {}, 'invalid_display_name'],
  ['profile', 'display name of wrong type', { displayName: ['Ann'] }, 'invalid_display_name'],
  ['profile', 'blank display name', { displayName: '   ' }, 'invalid_display_name'],
  ['profile', 'huge display name', { displayName: huge }, 'invalid_display_name'],
  ['profile', 'bidi override', { displayName: 'Ann\u202e' }, 'invalid_display_name'],
  ['profile', 'extra key', { displayName: 'Ann', avatar: 'x' }, 'invalid_payload'],
  ['history', 'room and with', { room: 'r', with: 'witness' }, 'invalid_payload'],
  ['history', 'bad room', { room: 'a/b' }, 'invalid_room'],
  ['createRoom', 'missing name', {}, 'invalid_room'],
  ['createRoom', 'name of wrong type', { name: 5 }, 'invalid_room'],
  ['createRoom', 'huge name', { name: huge }, 'invalid_room'],
  ['createRoom', 'mixed scripts', { name: 'pаypal' }, 'invalid_room'],
  ['createRoom', 'private not a boolean', { name: 'ok', private: 'yes' }, 'invalid_payload'],
  ['createRoom', 'extra key', { name: 'ok', owner: 'x' }, 'invalid_payload'],
  ['joinRoom', 'missing room', {}, 'invalid_room'],
  ['joinRoom', 'bad room', { room: '#general' }, 'invalid_room'],
  ['leaveRoom', 'room of wrong type', { room: ['a'] }, 'invalid_room'],
  ['invite', 'missing user', { room: 'ok' }, 'invalid_username'],
  ['invite', 'bad user', { room: 'ok', user: 'a b' }, 'invalid_username'],
  ['removeMember', 'missing room', { user: 'witness' }, 'invalid_room'],
  ['roomMsg', 'missing text', { room: 'ok' }, 'invalid_message'],
  ['roomMsg', 'huge text', { room: 'ok', text: huge }, 'invalid_message'],
  ['roomMsg', 'bad clientId', { room: 'ok', text: 'hi', clientId: '../x' }, 'invalid_payload'],
  ['roomMsg', '__proto__ key', JSON.parse('{"room": "ok", "text": "hi", "__proto__": {"x": 1}}'), 'invalid_payload'],
  ['rooms', 'limit not a number', { limit: 'all' }, 'invalid_payload'],
  ['rooms', 'bad after', { after: '' }, 'invalid_payload'],
  ['rooms', 'mine not a boolean', { mine: 1 }, 'invalid_payload'],
  ['members', 'missing room', {}, 'invalid_room'],
  ['members', 'zero limit', { room: 'ok', limit: 0 }, 'invalid_payload'],
  ['read', 'missing upTo', {}, 'invalid_payload'],
  ['read', 'negative upTo', { upTo: -1 }, 'invalid_payload'],
  ['read', 'room and with', { upTo: 1, room: 'ok', with: 'witness' }, 'invalid_payload'],
  ['read', 'bad with', { upTo: 1, with: '' }, 'invalid_username'],
  ['conversations', 'before not a number', { before: 'now' }, 'invalid_payload'],
  ['conversations', 'extra key', { all: true }, 'invalid_payload'],
  ['editMsg', 'missing id', { text: 'hi' }, 'invalid_payload'],
  ['editMsg', 'id a string', { id: '1', text: 'hi' }, 'invalid_payload'],
  ['editMsg', 'missing text', { id: 1 }, 'invalid_message'],
  ['editMsg', 'blank text', { id: 1, text: '   ' }, 'invalid_message'],
  ['editMsg', 'extra key', { id: 1, text: 'hi', to: 'x' }, 'invalid_payload'],
  ['deleteMsg', 'missing id', {}, 'invalid_payload'],
  ['deleteMsg', 'negative id', { id: -3 }, 'invalid_payload'],
  ['deleteMsg', 'fractional id', { id: 1.5 }, 'invalid_payload'],
  ['block', 'missing user', {}, 'invalid_username'],
  ['block', 'bad user', { user: 'a b' }, 'invalid_username'],
  ['unblock', 'user of wrong type', { user: 7 }, 'invalid_username'],
  ['report', 'missing id', { reason: 'x' }, 'invalid_payload'],
  ['report', 'empty reason', { id: 1, reason: '  ' }, 'invalid_payload'],
  ['report', 'huge reason', { id: 1, reason: 'r'.repeat(501) }, 'invalid_payload'],
  ['report', '__proto__ key', JSON.parse('{"id": 1, "__proto__": {"x": 1}}'), 'invalid_payload'],
];

test.each(cases)('%s with %s → %s', async (event, _label, payload, code) => {
  // One event's type at a time: the union of every event's ack is more than the compiler will spell out.
  const res = await ack(sender, event as 'users', payload as never);
  expect(res).toEqual({ ok: false, error: { code, message: expect.any(String) } });
});

test('nothing bad was stored or broadcast, and the server still works', async () => {
  expect(await ack(witness, 'users', {})).toMatchObject({ users: [{ name: 'sender', displayName: 'sender' }, { name: 'witness', displayName: 'witness' }] });
  expect(await ack(sender, 'sessions', {})).toMatchObject({ ok: true, sessions: [{ current: true }] });
  const seen = record(witness, 'allmessage');
  const seenPrivate = record(witness, 'privateMsg');
  const seenRooms = [record(witness, 'roomMsg'), record(witness, 'roomMember'), record(witness, 'read')];
  const seenEdits = [record(witness, 'messageEdited'), record(witness, 'messageDeleted')];
  await flush(witness);
  expect(seen).toEqual([]);
  expect(seenPrivate).toEqual([]);
  expect(seenRooms).toEqual([[], [], []]);
  expect(seenEdits).toEqual([[], []]);
  expect(await server.app.services.store.reports({ limit: 10 })).toEqual({ reports: [], hasMore: false });
  expect(await server.app.services.store.blockedBy((await server.app.services.store.findUser('sender'))!.id)).toEqual([]);
  expect(await server.app.services.store.since(undefined, 0, 10)).toEqual({ messages: [], changes: [], hasMore: false });
  expect(await ack(sender, 'rooms', {})).toEqual({ ok: true, rooms: [], hasMore: false });
  expect(await ack(sender, 'history', {})).toEqual({ ok: true, messages: [], hasMore: false });
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  const arrives = next(witness, 'allmessage');
  expect(await ack(sender, 'sendMsg', { text: 'still alive' })).toMatchObject({ ok: true });
  expect((await arrives).text).toBe('still alive');
});

test('without an ack callback, errors come back as a msg1 error notice', async () => {
  const notice = next(sender, 'msg1', (n) => n.type === 'error');
  sender.emit('sendMsg', { text: '' } as never);
  expect(await notice).toEqual({ type: 'error', code: 'invalid_message', text: expect.any(String), ts: expect.any(Number) });
  const another = next(sender, 'msg1', (n) => n.type === 'error');
  (sender.emit as (...args: unknown[]) => void)('history');
  (sender.emit as (...args: unknown[]) => void)('sendMsg', 'just a string', 'and', 'more', 'args');
  expect(await another).toMatchObject({ code: 'invalid_payload' });
});

test('unknown events get unknown_event when they carry an ack, are ignored otherwise', async () => {
  const emit = sender.emit.bind(sender) as (...args: unknown[]) => void;
  emit('dropTables', { all: true });
  emit('__proto__', {});
  emit('constructor', {});
  for (const event of ['dropTables', '__proto__', 'constructor', 'toString']) {
    const res = await (sender.timeout(5000) as any).emitWithAck(event, {});
    expect(res).toEqual({ ok: false, error: { code: 'unknown_event', message: expect.any(String) } });
  }
  expect(await ack(sender, 'users', {})).toMatchObject({ ok: true });
});

test('a flood of events is bounded: excess gets rate_limited, the socket stays usable', async () => {
  const results = await Promise.all(Array.from({ length: 200 }, () => ack(sender, 'users', {})));
  const limited = results.filter((r) => !r.ok && r.error.code === 'rate_limited').length;
  expect(limited).toBeGreaterThan(0);
  expect(results.filter((r) => r.ok).length).toBeGreaterThan(0);
  expect(await ack(sender, 'users', {})).toMatchObject({ ok: true });
});

test('the largest valid event passes the packet limit; a bigger packet closes only its own connection', async () => {
  // 4000 characters that JSON escapes as \uXXXX: the most bytes a valid message text can take on the wire.
  const widest = '\u0001'.repeat(4000);
  const fine = await ack(sender, 'privateMsg', { to: 'witness', text: widest, clientId: 'x'.repeat(64) });
  expect(fine).toMatchObject({ ok: true, message: { text: widest } });

  const { client: big } = await server.login('big');
  const closed = new Promise<string>((resolve) => big.once('disconnect', (reason) => resolve(reason)));
  (big.emit as (...args: unknown[]) => void)('sendMsg', { text: 'y'.repeat(4000), padding: 'z'.repeat(70_000) });
  expect(await within(closed, 'the oversized packet closing the connection')).toBe('transport close');
  const history = await ack(sender, 'history', {});
  expect(history.ok && history.messages.filter((m) => m.from === 'big')).toEqual([]);
  expect(await ack(witness, 'users', {})).toMatchObject({ ok: true });
});

/**
 * Text a database cannot hold is refused by the schema, before any store sees it, so that every store answers
 * alike (issue 16): PostgreSQL's text cannot hold NUL, and failed the send as internal_error while SQLite
 * stored it.
 */
type OpenStore = () => Promise<{ db: TestDatabase; store: ChatStore } | undefined>;
const ENGINES: Array<[string, OpenStore]> = [
  ['SQLite', async () => undefined],
  ...(postgresReason === undefined ? [['PostgreSQL', openPostgres] as [string, OpenStore]] : []),
];

describe.each(ENGINES)('%s', (_engine, open) => {
  test('a text with NUL is invalid_message on both events, nothing is stored', async () => {
    const opened = await open();
    const own = await startServer({}, opened ? { store: opened.store } : {});
    try {
      const { client } = await own.login('nul');
      expect(await ack(client, 'sendMsg', { text: 'before\u0000after' })).toMatchObject({ ok: false, error: { code: 'invalid_message' } });
      expect(await ack(client, 'privateMsg', { to: 'nul', text: '\u0000' })).toMatchObject({ ok: false, error: { code: 'invalid_message' } });
      expect(await ack(client, 'sync', { after: 0 })).toMatchObject({ ok: true, messages: [] });
    } finally {
      await own.close();
      await opened?.db.drop();
    }
  });
});

async function openPostgres(): Promise<{ db: TestDatabase; store: ChatStore }> {
  const db = await createDatabase();
  return { db, store: await openStore(loadConfig({ DATABASE_URL: db.url, DATABASE_POOL_SIZE: '2' }).storage) };
}
