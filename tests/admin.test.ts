/**
 * The operator's API (issue 19): DELETE /api/messages/:id, POST /api/bans, DELETE /api/bans/:user,
 * GET /api/bans, GET /api/reports, with `Authorization: Bearer <ADMIN_TOKEN>`; what a ban does to a user's
 * connections, token and name; and that every action is logged, never with a message's text.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { ack, next, startServer, within, type TestServer } from './helpers';

const TOKEN = 'admin-token-for-the-tests-0123';
const DAY_MS = 86_400_000;

let server: TestServer;
let clock = 1_000_000;
const logs: Array<Record<string, unknown>> = [];
beforeEach(async () => {
  logs.length = 0;
  const sink = new Writable({ write: (chunk, _encoding, done) => (logs.push(JSON.parse(String(chunk))), done()) });
  server = await startServer({ adminToken: TOKEN }, { log: pino({ level: 'info' }, sink), now: () => clock });
});
afterEach(() => server.close());

/** `token: null` sends no Authorization header. */
function call(method: string, path: string, body?: unknown, token: string | null = TOKEN) {
  return fetch(`${server.url}${path}`, {
    method,
    headers: { ...(token !== null && { authorization: `Bearer ${token}` }), ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
}

test('without the token: 401; without ADMIN_TOKEN configured: 404, for every admin endpoint', async () => {
  const endpoints: Array<[string, string, unknown?]> = [
    ['DELETE', '/api/messages/1'],
    ['POST', '/api/bans', { user: 'x' }],
    ['DELETE', '/api/bans/x'],
    ['GET', '/api/bans'],
    ['GET', '/api/reports'],
  ];
  for (const [method, path, body] of endpoints) {
    expect((await call(method, path, body, null)).status).toBe(401);
    expect((await call(method, path, body, 'wrong-token-wrong-token')).status).toBe(401);
  }
  const closed = await startServer();
  try {
    for (const [method, path, body] of endpoints) {
      const res = await fetch(`${closed.url}${path}`, { method, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, ...(body !== undefined && { body: JSON.stringify(body) }) });
      expect(res.status).toBe(404);
    }
  } finally {
    await closed.close();
  }
});

test('DELETE /api/messages/:id deletes any message: its readers are told, its text is gone; logged without the text', async () => {
  const { client: author } = await server.login('author');
  const { client: other } = await server.login('other');
  const sent = await ack(author, 'privateMsg', { to: 'other', text: 'the operator will remove this' });
  const id = sent.ok ? sent.message.id : 0;
  const told = next(other, 'messageDeleted');
  const res = await call('DELETE', `/api/messages/${id}`);
  expect([res.status, await res.json()]).toEqual([200, { ok: true, id }]);
  expect(await told).toEqual({ id, seq: id + 1 });
  expect(await ack(other, 'history', { with: 'author' })).toMatchObject({ ok: true, messages: [{ id, text: '', deletedAt: clock }] });
  const missing = await call('DELETE', '/api/messages/424242');
  expect([missing.status, await missing.json()]).toEqual([404, { error: { code: 'unknown_message', message: expect.any(String) } }]);
  expect((await call('DELETE', '/api/messages/abc')).status).toBe(400);
  expect(logs).toContainEqual(expect.objectContaining({ admin: 'delete message', message: id, msg: 'admin deleted a message' }));
  expect(JSON.stringify(logs)).not.toContain('the operator will remove this');
});

test('a ban disconnects every connection with its reason; the token, the name and new claims of it stop working until unbanned', async () => {
  const { client: tab1, res: login } = await server.login('troll');
  const tab2 = await server.connect();
  await ack(tab2, 'login', { username: 'troll', token: login.token });
  const toldWhy = [next(tab1, 'msg1', (n) => n.type === 'error'), next(tab2, 'msg1', (n) => n.type === 'error')];
  const gone = [tab1, tab2].map((tab) => new Promise<string>((resolve) => tab.once('disconnect', resolve)));
  const started = Date.now();
  const res = await call('POST', '/api/bans', { user: 'TROLL', reason: 'flooding' });
  expect([res.status, await res.json()]).toEqual([200, { ok: true, user: 'troll' }]);
  for (const notice of await Promise.all(toldWhy)) expect(notice).toMatchObject({ code: 'banned', text: 'This account is banned: flooding' });
  expect(await within(Promise.all(gone), 'both tabs disconnected')).toEqual(['io server disconnect', 'io server disconnect']);
  expect(Date.now() - started).toBeLessThan(1000);

  const retry = await server.connect();
  expect(await ack(retry, 'login', { username: 'troll', token: login.token })).toEqual({ ok: false, error: { code: 'banned', message: 'This account is banned: flooding' } });
  await expect(server.connect({ auth: { token: login.token } })).rejects.toMatchObject({ data: { code: 'banned' } });
  clock += 365 * DAY_MS; // long past the name's reservation: a banned name stays taken all the same
  expect(await ack(await server.connect(), 'login', { username: 'troll' })).toMatchObject({ ok: false, error: { code: 'username_taken' } });
  expect(await ack(await server.connect(), 'login', { username: 'tr0ll' })).toMatchObject({ ok: false, error: { code: 'username_taken' } });

  const listed = await call('GET', '/api/bans');
  expect(await listed.json()).toEqual({ bans: [{ user: 'troll', reason: 'flooding', since: clock - 365 * DAY_MS }] });
  const lifted = await call('DELETE', '/api/bans/troll');
  expect(await lifted.json()).toEqual({ ok: true, user: 'troll', lifted: true });
  expect(await ack(await server.connect(), 'login', { username: 'troll', token: login.token })).toMatchObject({ ok: true });
  expect(logs.filter((l) => typeof l.admin === 'string').map((l) => l.admin)).toEqual(['ban', 'list bans', 'unban']);
  expect((await call('POST', '/api/bans', { user: 'nobody-here' })).status).toBe(404);
  expect((await call('POST', '/api/bans', { user: 'troll', extra: 1 })).status).toBe(400);
});

test('a tutorial client of a banned provisional name is refused too', async () => {
  const tutorial = await server.connect();
  expect(await ack(tutorial, 'login', { id: 'kid' })).toMatchObject({ ok: true });
  const gone = new Promise((resolve) => tutorial.once('disconnect', resolve));
  await call('POST', '/api/bans', { user: 'kid' });
  await within(gone, 'the tutorial client disconnected');
  expect(await ack(await server.connect(), 'login', { id: 'kid' })).toMatchObject({ ok: false, error: { code: 'banned' } });
});
