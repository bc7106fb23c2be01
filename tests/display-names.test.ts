/**
 * Display names (issue 21): a real name beside the handle, in every event that shows a person, changeable
 * with `profile`, and checked for what it shows. Tutorial clients see what they saw.
 */
import { checkDisplayName } from '../src/display-names';
import { ack, flush, next, record, startServer, type TestServer } from './helpers';

let server: TestServer;
const clock = Date.UTC(2026, 0, 1);
beforeEach(async () => {
  server = await startServer({}, { now: () => clock, presenceWindowMs: 10 });
});
afterEach(() => server.close());

test('every event that shows a person carries the handle and the display name', async () => {
  const { client: bob } = await server.login('bob');
  const { client: ann } = await server.login('ann');
  const renamedAtBob = next(bob, 'profileChanged');
  expect(await ack(ann, 'profile', { displayName: '  Ann   Smith ' })).toEqual({ ok: true, user: { name: 'ann', displayName: 'Ann Smith' } });
  expect(await renamedAtBob).toEqual({ name: 'ann', displayName: 'Ann Smith', ts: clock });

  // Messages, live and read back.
  const publicAtBob = next(bob, 'allmessage');
  const sent = await ack(ann, 'sendMsg', { text: 'hello' });
  expect(sent).toMatchObject({ ok: true, message: { from: 'ann', fromName: 'Ann Smith' } });
  expect(await publicAtBob).toMatchObject({ from: 'ann', fromName: 'Ann Smith', text: 'hello' });
  const privateAtBob = next(bob, 'privateMsg');
  await ack(ann, 'privateMsg', { to: 'bob', text: 'psst' });
  expect(await privateAtBob).toMatchObject({ from: 'ann', fromName: 'Ann Smith', to: 'bob', toName: 'bob' });
  const history = await ack(bob, 'history', { with: 'ann' });
  expect(history.ok && history.messages).toEqual([expect.objectContaining({ fromName: 'Ann Smith', toName: 'bob' })]);
  const synced = await ack(bob, 'sync', { after: 0 });
  expect(synced.ok && synced.messages.map((m) => m.fromName)).toEqual(['Ann Smith', 'Ann Smith']);
  const page = (await (await fetch(`${server.url}/api/messages`)).json()) as { messages: unknown[] };
  expect(page.messages).toEqual([expect.objectContaining({ from: 'ann', fromName: 'Ann Smith' })]);

  // Typing, the user list (event and HTTP), presence, a login's answer.
  const typingAtBob = next(bob, 'typing');
  await ack(ann, 'typing', { to: 'bob' });
  expect(await typingAtBob).toEqual({ from: 'ann', fromName: 'Ann Smith', to: 'bob' });
  const users = [{ name: 'ann', displayName: 'Ann Smith', online: true }, { name: 'bob', displayName: 'bob', online: true }];
  expect(await ack(bob, 'users', {})).toEqual({ ok: true, users, hasMore: false });
  expect(await (await fetch(`${server.url}/api/users`)).json()).toEqual({ users, hasMore: false });
  const leaving = next(bob, 'presence');
  ann.disconnect();
  expect(await leaving).toEqual({ users: [{ name: 'ann', displayName: 'Ann Smith', online: false }], ts: clock });
  const { res } = await server.login('cat');
  expect(res.user).toEqual({ name: 'cat', displayName: 'cat' });
});

test("a change reaches the user's other connections: what they send from then on carries it", async () => {
  const { client: tab1, res } = await server.login('dan');
  const tab2 = await server.connect();
  await ack(tab2, 'login', { username: 'dan', token: res.token });
  const { client: eve } = await server.login('eve');
  expect(await ack(tab1, 'profile', { displayName: 'Daniel Ørsted 🚀' })).toMatchObject({ ok: true });
  const atEve = next(eve, 'allmessage');
  await ack(tab2, 'sendMsg', { text: 'from the other tab' });
  expect(await atEve).toMatchObject({ from: 'dan', fromName: 'Daniel Ørsted 🚀' });
  const typing = next(eve, 'typing');
  await ack(tab2, 'typing', {});
  expect(await typing).toEqual({ from: 'dan', fromName: 'Daniel Ørsted 🚀' });
  // And the next login says it.
  const tab3 = await server.connect();
  expect(await ack(tab3, 'login', { username: 'dan', token: res.token })).toMatchObject({ user: { name: 'dan', displayName: 'Daniel Ørsted 🚀' } });
});

test('display names are not unique and may be any script; handles still decide who is who', async () => {
  const { client: a } = await server.login('alex1');
  const { client: b } = await server.login('alex2');
  for (const client of [a, b]) expect(await ack(client, 'profile', { displayName: 'Alex' })).toMatchObject({ ok: true });
  const atB = next(b, 'privateMsg');
  await ack(a, 'privateMsg', { to: 'alex2', text: 'which Alex?' });
  expect(await atB).toMatchObject({ from: 'alex1', fromName: 'Alex', to: 'alex2', toName: 'Alex' });
  for (const name of ['山田　太郎', 'محمد علي', 'Ελένη Παπαδοπούλου', 'Nguyễn Thị Minh Khai', '👩‍💻 Dev', 'x'.repeat(64)]) {
    expect(await ack(a, 'profile', { displayName: name })).toMatchObject({ ok: true, user: { displayName: name.replace('\u3000', ' ') } });
  }
});

test('invalid display names are refused invalid_display_name, and nothing changes', async () => {
  const { client } = await server.login('fox');
  const watcher = (await server.login('watcher')).client;
  const changes = record(watcher, 'profileChanged');
  const bad = ['', '   ', 'x'.repeat(65), 'line\nbreak', 'tab\there', 'bell\u0007', 'rtl\u202eoverride', 'zero\u200bwidth', 'soft\u00adhyphen', 'a\u2028b', 'pua\ue000', 'lone \ud800', 'e' + '\u0301'.repeat(8), 'filler\u3164'];
  for (const displayName of bad) {
    const res = await ack(client, 'profile', { displayName });
    expect({ displayName, res }).toEqual({ displayName, res: { ok: false, error: { code: 'invalid_display_name', message: expect.any(String) } } });
  }
  expect(await ack(client, 'profile', { displayName: 7 })).toMatchObject({ ok: false, error: { code: 'invalid_display_name' } });
  expect(await ack(client, 'profile', {})).toMatchObject({ ok: false, error: { code: 'invalid_display_name' } });
  expect(await ack(client, 'profile', { displayName: 'ok', extra: 1 })).toMatchObject({ ok: false, error: { code: 'invalid_payload' } });
  // Logged out (a socket that never logged in would wait for a login first: docs/protocol.md).
  const { client: gone } = await server.login('gone');
  await ack(gone, 'logout', {});
  expect(await ack(gone, 'profile', { displayName: 'anonymous' })).toMatchObject({ ok: false, error: { code: 'not_logged_in' } });
  await flush(watcher);
  expect(changes).toEqual([]);
  expect(await ack(watcher, 'users', {})).toMatchObject({ users: [{ name: 'fox', displayName: 'fox' }, expect.anything(), expect.anything()] });
});

test('checkDisplayName: spaces of any width become one; emoji sequences pass; a few marks stack, many do not', () => {
  expect(checkDisplayName(' Zoë\u00a0\u00a0Ångström ')).toEqual({ displayName: 'Zoë Ångström' });
  expect(checkDisplayName('Zoe\u0308')).toEqual({ displayName: 'Zoë' }); // NFC
  expect(checkDisplayName('❤️ family 👨‍👩‍👧 👍🏽')).toEqual({ displayName: '❤️ family 👨‍👩‍👧 👍🏽' });
  expect(checkDisplayName('Tiếng Việt')).toEqual({ displayName: 'Tiếng Việt' });
  expect(checkDisplayName('a\u200db')).toHaveProperty('problem'); // a joiner between letters shows nothing
});

test('tutorial clients see what they always saw: their notices and the fields they read', async () => {
  const tutorial = await server.connect();
  const notices = record(tutorial, 'msg1');
  const selfJoined = next(tutorial, 'msg1', (n) => n.type === 'join');
  tutorial.emit('login', { id: 'tom' });
  await selfJoined;
  const joined = next(tutorial, 'msg1', (n) => n.type === 'join');
  const { client: sue } = await server.login('sue');
  await ack(sue, 'profile', { displayName: 'Sue Storm' });
  await joined;
  const message = next(tutorial, 'allmessage');
  tutorial.emit('sendMsg', { newAccount: 'hello from the tutorial' });
  expect(await message).toMatchObject({ from: 'tom', text: 'hello from the tutorial' });
  await flush(tutorial);
  expect(notices.map((n) => n.text)).toEqual(['Welcome, tom!', 'tom joined', 'sue joined']);
});
