/**
 * Editing, deleting, blocking and reporting over real sockets (issue 19): edits and deletions reach every
 * reader once, live and by sync, and nobody else; permissions; blocks; reports.
 */
import type { MessageDeleted, MessageEdited } from '../src/protocol';
import { ack, flush, next, record, startServer, type Client, type TestServer } from './helpers';

let server: TestServer;
beforeEach(async () => {
  server = await startServer();
});
afterEach(() => server.close());

/** Everything `client` receives of edits and deletions. */
function changesAt(client: Client): { edited: MessageEdited[]; deleted: MessageDeleted[] } {
  return { edited: record(client, 'messageEdited'), deleted: record(client, 'messageDeleted') };
}

test('a public message edited then deleted: every connection gets each once, history and sync show it as it is now', async () => {
  const { client: author, res: authorLogin } = await server.login('author');
  const authorTab = await server.connect();
  await ack(authorTab, 'login', { username: 'author', token: authorLogin.token });
  const { client: reader } = await server.login('reader');
  const anonymous = await server.connect();
  const seen = [changesAt(author), changesAt(authorTab), changesAt(reader), changesAt(anonymous)];
  const sent = await ack(author, 'sendMsg', { text: 'teh answer' });
  const id = sent.ok ? sent.message.id : 0;

  const live = next(reader, 'messageEdited');
  const edited = await ack(author, 'editMsg', { id, text: ' the answer ' });
  expect(edited).toEqual({ ok: true, message: { id, from: 'author', fromName: 'author', text: 'the answer', ts: expect.any(Number), editedAt: expect.any(Number) } });
  const editedAt = edited.ok ? edited.message.editedAt : 0;
  expect(await live).toEqual({ id, text: 'the answer', editedAt, seq: id + 1 });
  expect(await ack(author, 'editMsg', { id, text: 'the answer' })).toEqual(edited); // the same text again: nothing new

  expect(await ack(await server.connect(), 'history', {})).toEqual({ ok: true, messages: [edited.ok && edited.message], hasMore: false });
  const deletion = next(anonymous, 'messageDeleted');
  expect(await ack(author, 'deleteMsg', { id })).toEqual({ ok: true });
  expect(await deletion).toEqual({ id, seq: id + 2 });
  expect(await ack(author, 'deleteMsg', { id })).toEqual({ ok: true }); // again: nothing to do

  const tombstone = { id, from: 'author', fromName: 'author', text: '', ts: expect.any(Number), deletedAt: expect.any(Number) };
  expect(await ack(reader, 'history', {})).toEqual({ ok: true, messages: [tombstone], hasMore: false });
  expect(await ack(reader, 'sync', { after: id - 1 })).toEqual({
    ok: true,
    messages: [tombstone],
    changes: [
      { type: 'edit', seq: id + 1, id, text: '', editedAt },
      { type: 'delete', seq: id + 2, id },
    ],
    hasMore: false,
    reset: false,
  });
  await Promise.all([author, authorTab, reader, anonymous].map(flush));
  const [byAuthor, ...others] = seen;
  expect(byAuthor).toEqual({ edited: [], deleted: [] }); // the connection that did it has its acks
  for (const other of others) expect(other).toEqual({ edited: [{ id, text: 'the answer', editedAt, seq: id + 1 }], deleted: [{ id, seq: id + 2 }] });
  expect(await ack(author, 'editMsg', { id, text: 'back from the dead' })).toMatchObject({ ok: false, error: { code: 'unknown_message' } });
});

test('a private message\'s edit and deletion reach its two parties only; a third party cannot touch or even find it', async () => {
  const { client: ann } = await server.login('ann');
  const { client: bob } = await server.login('bob');
  const { client: eve } = await server.login('eve');
  const eveSaw: unknown[] = [];
  eve.onAny((event, ...args) => eveSaw.push([event, ...args]));
  const sent = await ack(ann, 'privateMsg', { to: 'bob', text: 'for bob only' });
  const id = sent.ok ? sent.message.id : 0;
  const atBob = next(bob, 'messageEdited');
  await ack(ann, 'editMsg', { id, text: 'for bob only, edited' });
  await atBob;
  for (const [event, payload] of [
    ['editMsg', { id, text: 'mine now' }],
    ['deleteMsg', { id }],
    ['report', { id }],
  ] as const) {
    expect(await ack(eve, event, payload)).toEqual({ ok: false, error: { code: 'unknown_message', message: 'There is no such message.' } });
    expect(await ack(eve, event, { ...payload, id: 987654 })).toEqual({ ok: false, error: { code: 'unknown_message', message: 'There is no such message.' } });
  }
  expect(await ack(bob, 'editMsg', { id, text: 'not mine' })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
  expect(await ack(bob, 'deleteMsg', { id })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
  const deletedAtBob = next(bob, 'messageDeleted');
  await ack(ann, 'deleteMsg', { id });
  await deletedAtBob;
  await flush(eve);
  expect(JSON.stringify(eveSaw)).not.toContain('for bob');
  expect(eveSaw.map((e) => (e as unknown[])[0])).not.toContain('messageEdited');
  expect(eveSaw.map((e) => (e as unknown[])[0])).not.toContain('messageDeleted');
});

test('in a room: edits reach its members, the owner deletes a member\'s message, a removed member gets nothing after the removal', async () => {
  const { client: owner } = await server.login('owner');
  const { client: member } = await server.login('member');
  const { client: leaver } = await server.login('leaver');
  await ack(owner, 'createRoom', { name: 'club', private: true });
  for (const name of ['member', 'leaver']) await ack(owner, 'invite', { room: 'club', user: name });
  const sent = await ack(member, 'roomMsg', { room: 'club', text: 'by the member' });
  const id = sent.ok ? sent.message.id : 0;
  await ack(owner, 'removeMember', { room: 'club', user: 'leaver' });
  const leaverSaw = changesAt(leaver);
  const atOwner = next(owner, 'messageEdited');
  expect(await ack(member, 'editMsg', { id, text: 'by the member, edited' })).toMatchObject({ ok: true, message: { room: 'club', editedAt: expect.any(Number) } });
  expect(await atOwner).toMatchObject({ id, text: 'by the member, edited' });
  const atMember = next(member, 'messageDeleted');
  expect(await ack(owner, 'deleteMsg', { id })).toEqual({ ok: true });
  expect(await atMember).toMatchObject({ id });
  await flush(leaver);
  expect(leaverSaw).toEqual({ edited: [], deleted: [] });
  const synced = await ack(leaver, 'sync', { after: 0 });
  expect(synced.ok && synced.changes.filter((c) => c.type !== 'member')).toEqual([]);
});

test('block: the blocked user\'s private messages, typing and invitations never reach the blocker, and it is told nothing', async () => {
  const { client: bea, res: beaLogin } = await server.login('bea');
  const { client: pest } = await server.login('pest');
  expect(await ack(bea, 'block', { user: 'PEST' })).toEqual({ ok: true });
  expect(await ack(bea, 'block', { user: 'bea' })).toMatchObject({ ok: false, error: { code: 'invalid_payload' } });
  expect(await ack(bea, 'block', { user: 'nobody' })).toMatchObject({ ok: false, error: { code: 'unknown_user' } });
  const beaSaw: unknown[] = [];
  bea.onAny((event, ...args) => beaSaw.push([event, ...args]));

  const sent = await ack(pest, 'privateMsg', { to: 'bea', text: 'are you there?' });
  expect(sent).toMatchObject({ ok: true, delivered: true }); // as for anyone online: the block is not revealed
  expect(await ack(pest, 'typing', { to: 'bea' })).toEqual({ ok: true });
  expect(await ack(pest, 'typing', {})).toEqual({ ok: true });
  await ack(pest, 'createRoom', { name: 'lure', private: true });
  expect(await ack(pest, 'invite', { room: 'lure', user: 'bea' })).toEqual({ ok: true, room: { name: 'lure', private: true, owner: 'pest' } });
  await flush(bea);
  expect(beaSaw).toEqual([]);
  expect(await ack(bea, 'history', { with: 'pest' })).toEqual({ ok: true, messages: [], hasMore: false });
  expect(await ack(bea, 'sync', { after: 0 })).toMatchObject({ ok: true, messages: [] });
  expect(await ack(bea, 'rooms', {})).toEqual({ ok: true, rooms: [], hasMore: false });
  expect(await ack(pest, 'history', { with: 'bea' })).toMatchObject({ ok: true, messages: [{ text: 'are you there?' }] });

  // The login ack lists whom the user blocked; after unblocking, new messages arrive, the hidden one never.
  const again = await server.connect();
  expect(await ack(again, 'login', { username: 'bea', token: beaLogin.token })).toMatchObject({ ok: true, blocked: ['pest'] });
  expect(await ack(bea, 'unblock', { user: 'pest' })).toEqual({ ok: true });
  const arrives = next(bea, 'privateMsg');
  await ack(pest, 'privateMsg', { to: 'bea', text: 'now?' });
  expect(await arrives).toMatchObject({ text: 'now?' });
  expect(await ack(bea, 'history', { with: 'pest' })).toMatchObject({ ok: true, messages: [{ text: 'now?' }] });
});

test('report: any reader reports a message; the operator lists it as it was, whatever happened to it since', async () => {
  const adminServer = await startServer({ adminToken: 'the-admin-token-0123456789' });
  try {
    const { client: author } = await adminServer.login('author');
    const { client: reader } = await adminServer.login('reader');
    const sent = await ack(author, 'sendMsg', { text: 'something nasty' });
    const id = sent.ok ? sent.message.id : 0;
    const reported = await ack(reader, 'report', { id, reason: '  insulting  ' });
    expect(reported).toEqual({ ok: true, report: { id: expect.any(Number) } });
    await ack(author, 'editMsg', { id, text: 'something nice' });
    await ack(author, 'deleteMsg', { id });
    expect(await ack(reader, 'report', { id })).toMatchObject({ ok: false, error: { code: 'unknown_message' } }); // nothing left to report
    const res = await fetch(`${adminServer.url}/api/reports`, { headers: { authorization: 'Bearer the-admin-token-0123456789' } });
    expect(await res.json()).toEqual({
      reports: [
        {
          id: reported.ok ? reported.report.id : 0,
          reporter: 'reader',
          reason: 'insulting',
          reportedAt: expect.any(Number),
          message: { id, from: 'author', fromName: 'author', text: 'something nasty', ts: expect.any(Number) },
        },
      ],
      hasMore: false,
    });
  } finally {
    await adminServer.close();
  }
});
