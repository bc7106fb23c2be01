/** Read state over real sockets (issue 17): `read` across tabs, `conversations`, and marks kept across a restart. */
import path from 'node:path';
import { UNREAD_COUNT_LIMIT } from '../src/protocol';
import { ack, flush, next, record, startServer, type Client, type TestServer } from './helpers';
import { tempDir } from './tmpdir';

const tmp = tempDir('chat-reads-');
afterAll(() => tmp.cleanup());
let servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

async function start(file?: string): Promise<TestServer> {
  const server = await startServer(file === undefined ? {} : { storage: { kind: 'sqlite', path: file, synchronous: 'full' } });
  servers.push(server);
  return server;
}

test('a read mark clears the badge in the other tabs, is never lowered, and survives a restart', async () => {
  const file = path.join(tmp.dir, 'reads.db');
  const first = await start(file);
  const { client: ann, res: annLogin } = await first.login('ann');
  const tab2 = await first.connect();
  await ack(tab2, 'login', { username: 'ann', token: annLogin.token });
  const { client: ben } = await first.login('ben');
  await ack(ben, 'createRoom', { name: 'books' });
  await ack(ann, 'joinRoom', { room: 'books' });
  const sent = [];
  for (const text of ['one', 'two', 'three']) sent.push(await ack(ben, 'roomMsg', { room: 'books', text }));
  await ack(ben, 'privateMsg', { to: 'ann', text: 'psst' });
  await ack(ben, 'sendMsg', { text: 'to all' });

  const unread = async (client: Client) => {
    const res = await ack(client, 'conversations', {});
    if (!res.ok) throw new Error(res.error.code);
    return Object.fromEntries(res.conversations.map((c) => [c.room ?? c.with ?? 'public', c.unread]));
  };
  expect(await unread(ann)).toEqual({ public: 1, ben: 1, books: 3 });

  const secondId = sent[1].ok ? sent[1].message.id : 0;
  const told = next(tab2, 'read');
  const annSaw = record(ann, 'read');
  expect(await ack(ann, 'read', { room: 'Books', upTo: secondId })).toEqual({ ok: true, upTo: secondId });
  expect(await told).toEqual({ upTo: secondId, room: 'books' });
  expect(await ack(tab2, 'read', { room: 'books', upTo: 1 })).toEqual({ ok: true, upTo: secondId }); // never lowered
  expect(await unread(tab2)).toEqual({ public: 1, ben: 1, books: 1 });
  const toldWith = next(tab2, 'read');
  const last = await ack(ann, 'read', { with: 'BEN', upTo: 10 ** 12 }); // capped at the head of the log
  expect(await toldWith).toEqual({ upTo: last.ok && last.upTo, with: 'ben' });
  await flush(ann);
  expect(annSaw).toEqual([{ upTo: secondId, room: 'books' }]); // told to the other tab only, not back to its sender

  await first.close();
  servers = [];
  const second = await start(file);
  const back = await second.connect();
  await ack(back, 'login', { username: 'ann', token: annLogin.token });
  expect(await unread(back)).toEqual({ public: 1, ben: 0, books: 1 });
});

test('conversations: newest activity first, with the last message, paged; read needs the conversation to be one of the caller\'s', async () => {
  const server = await start();
  const { client: cy } = await server.login('cy');
  const { client: di } = await server.login('di');
  const { client: ed } = await server.login('ed');
  await ack(cy, 'createRoom', { name: 'garden', private: true });
  await ack(di, 'privateMsg', { to: 'cy', text: 'from di' });
  const newest = await ack(ed, 'privateMsg', { to: 'cy', text: 'from ed' });
  const all = await ack(cy, 'conversations', {});
  expect(all).toEqual({
    ok: true,
    conversations: [
      { with: 'ed', unread: 1, last: newest.ok && newest.message, readUpTo: 0, activity: newest.ok && newest.message.id },
      { with: 'di', unread: 1, last: expect.objectContaining({ text: 'from di' }), readUpTo: 0, activity: expect.any(Number) },
      { room: 'garden', unread: 0, last: null, readUpTo: expect.any(Number), activity: expect.any(Number) },
      { unread: 0, last: null, readUpTo: 0, activity: 0 },
    ],
    hasMore: false,
  });
  const page = await ack(cy, 'conversations', { limit: 2 });
  expect(page.ok && [page.conversations.length, page.hasMore]).toEqual([2, true]);
  const rest = await ack(cy, 'conversations', { limit: 2, before: page.ok ? page.conversations[1].activity : 0 });
  expect(rest.ok && rest.conversations.map((c) => c.room ?? c.with ?? 'public')).toEqual(['garden', 'public']);

  expect(await ack(di, 'read', { room: 'garden', upTo: 1 })).toMatchObject({ ok: false, error: { code: 'unknown_room' } });
  await ack(cy, 'createRoom', { name: 'square' });
  expect(await ack(di, 'read', { room: 'square', upTo: 1 })).toMatchObject({ ok: false, error: { code: 'not_member' } });
  expect(await ack(di, 'read', { with: 'nobody', upTo: 1 })).toMatchObject({ ok: false, error: { code: 'unknown_user' } });
  expect(await ack(di, 'read', { with: 'cy', room: 'square', upTo: 1 })).toMatchObject({ ok: false, error: { code: 'invalid_payload' } });
});

test(`a new user starts with the public timeline read; counts stop at ${UNREAD_COUNT_LIMIT}`, async () => {
  const server = await start();
  const { client: talker } = await server.login('talker');
  await ack(talker, 'sendMsg', { text: 'before the newcomer' });
  const { client: newcomer } = await server.login('newcomer');
  expect(await ack(newcomer, 'conversations', {})).toMatchObject({ ok: true, conversations: [{ unread: 0, last: { text: 'before the newcomer' } }] });
  const store = server.app.services.store;
  const talkerUser = (await store.findUser('talker'))!;
  await Promise.all(Array.from({ length: UNREAD_COUNT_LIMIT + 1 }, (_, i) => store.appendPublic({ sender: talkerUser, text: `flood ${i}`, ts: i })));
  expect(await ack(newcomer, 'conversations', {})).toMatchObject({ ok: true, conversations: [{ unread: UNREAD_COUNT_LIMIT }] });
});
