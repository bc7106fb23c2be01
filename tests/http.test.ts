import http from 'node:http';
import { ack, flush, next, record, startServer, type TestServer } from './helpers';

const ADMIN = 'an-admin-token-for-tests';
let server: TestServer;
beforeEach(async () => {
  server = await startServer({ adminToken: ADMIN });
});
afterEach(() => server.close());

const get = (path: string, init?: RequestInit) => fetch(`${server.url}${path}`, init);
const push = (body: unknown, token = ADMIN) =>
  get('/api/push', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

test('/api/config tells the page how users sign in', async () => {
  const res = await fetch(`${server.url}/api/config`);
  expect(await res.json()).toEqual({ auth: 'open' });
  expect(res.headers.get('content-security-policy')).toContain("connect-src 'self';");
});

test('healthz and readyz answer JSON', async () => {
  const health = await get('/healthz');
  expect(health.status).toBe(200);
  expect(await health.json()).toMatchObject({ status: 'ok' });
  const ready = await get('/readyz');
  expect(ready.status).toBe(200);
  expect(await ready.json()).toEqual({ status: 'ready' });
});

test('readyz is 503 when the store is unreachable', async () => {
  await server.app.services.store.close();
  const ready = await get('/readyz');
  expect(ready.status).toBe(503);
  expect(await ready.json()).toEqual({ status: 'unavailable' });
});

test('GET /api/messages pages the public timeline; GET /api/users lists users', async () => {
  const { client } = await server.login('writer');
  for (let i = 0; i < 5; i++) await ack(client, 'sendMsg', { text: `t${i}` });
  await ack(client, 'privateMsg', { to: 'writer', text: 'not public' });
  const page = (await (await get('/api/messages?limit=3')).json()) as { messages: Array<{ id: number; text: string }>; hasMore: boolean };
  expect(page.messages.map((m) => m.text)).toEqual(['t2', 't3', 't4']);
  expect(page.hasMore).toBe(true);
  const older = (await (await get(`/api/messages?before=${page.messages[0].id}`)).json()) as typeof page;
  expect(older.messages.map((m) => m.text)).toEqual(['t0', 't1']);
  // Like `history`: an empty `before` is no `before`, and 0 is a valid (empty) page.
  expect(((await (await get('/api/messages?before=&limit=3')).json()) as typeof page).messages).toEqual(page.messages);
  expect(await (await get('/api/messages?before=0')).json()).toEqual({ messages: [], hasMore: false });
  const bad = await get('/api/messages?limit=abc');
  expect(bad.status).toBe(400);
  expect(await bad.json()).toMatchObject({ error: { code: 'invalid_payload' } });
  expect(await (await get('/api/users')).json()).toEqual({ users: [{ name: 'writer', displayName: 'writer', online: true }], hasMore: false });
});

test('POST /api/push: to one user (every tab) or to everyone; 401 on a wrong token', async () => {
  const { client: tab1, res } = await server.login('target');
  const tab2 = await server.connect();
  await ack(tab2, 'login', { username: 'target', token: res.token });
  const { client: other } = await server.login('other');
  const otherSaw = record(other, 'msg1');

  const arrivals = [tab1, tab2].map((c) => next(c, 'msg1', (n) => n.type === 'push'));
  const one = await push({ to: 'target', text: 'just for you' });
  expect(one.status).toBe(200);
  expect(await one.json()).toEqual({ ok: true, to: 'target', online: true });
  for (const n of await Promise.all(arrivals)) expect(n).toMatchObject({ type: 'push', text: 'just for you', ts: expect.any(Number) });
  await flush(other);
  expect(otherSaw.filter((n) => n.type === 'push')).toEqual([]);

  const everyone = [tab1, other].map((c) => next(c, 'msg1', (n) => n.text === 'to all'));
  expect((await push({ text: 'to all' })).status).toBe(200);
  await Promise.all(everyone);

  const wrong = await push({ text: 'x' }, 'not-the-token');
  expect(wrong.status).toBe(401);
  expect(await wrong.json()).toMatchObject({ error: { code: 'unauthorized' } });
  const noAuth = await get('/api/push', { method: 'POST', body: '{}' });
  expect(noAuth.status).toBe(401);
});

test('POST /api/push validates its body and names unknown users', async () => {
  expect((await push({ to: 'ghost', text: 'boo' })).status).toBe(404);
  const empty = await push({ text: '   ' });
  expect(empty.status).toBe(400);
  expect(await empty.json()).toMatchObject({ error: { code: 'invalid_message' } });
  const extra = await push({ text: 'x', html: '<b>' });
  expect(await extra.json()).toMatchObject({ error: { code: 'invalid_payload' } });
  const broken = await push('{"text": ');
  expect(broken.status).toBe(400);
  const body = (await broken.json()) as { error: { code: string; message: string } };
  expect(body.error.code).toBe('invalid_payload');
  expect(JSON.stringify(body)).not.toMatch(/at .*\.(js|ts):\d+/); // no stack trace
});

test('/api/push does not exist while ADMIN_TOKEN is unset, whatever the method (issue 16)', async () => {
  const plain = await startServer();
  try {
    for (const method of ['POST', 'GET', 'PUT', 'DELETE']) {
      const res = await fetch(`${plain.url}/api/push`, {
        method,
        headers: { authorization: 'Bearer anything-at-all-here', 'content-type': 'application/json' },
        ...(method !== 'GET' && { body: JSON.stringify({ text: 'x' }) }),
      });
      expect({ method, status: res.status }).toEqual({ method, status: 404 });
      expect(await res.json()).toMatchObject({ error: { code: 'not_found' } });
    }
  } finally {
    await plain.close();
  }
});

test('a wrong method is a JSON error naming the allowed ones (issue 16)', async () => {
  for (const [method, path, allowed] of [
    ['GET', '/api/push', 'POST'],
    ['POST', '/api/users', 'HEAD, GET'],
    ['DELETE', '/api/messages', 'HEAD, GET'],
    ['PUT', '/healthz', 'HEAD, GET'],
  ]) {
    const res = await get(path, { method });
    expect({ method, path, status: res.status, allow: res.headers.get('allow') }).toEqual({ method, path, status: 405, allow: allowed });
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(await res.json()).toEqual({ error: { code: 'method_not_allowed', message: expect.stringContaining(allowed) } });
  }
  // A method the server implements nowhere: 501, JSON all the same.
  const unknown = await get('/api/users', { method: 'PROPFIND' });
  expect(unknown.status).toBe(501);
  expect(await unknown.json()).toMatchObject({ error: { code: 'method_not_allowed' } });
});

test('errors are JSON with a code and never leak internals', async () => {
  const missing = await get('/api/nothing-here');
  expect(missing.status).toBe(404);
  expect(await missing.json()).toMatchObject({ error: { code: 'not_found' } });
  await server.app.services.store.close(); // make the store fail
  const failing = await get('/api/messages');
  expect(failing.status).toBe(500);
  const text = await failing.text();
  expect(JSON.parse(text)).toEqual({ error: { code: 'internal_error', message: expect.any(String) } });
  expect(text).not.toMatch(/sqlite|database|SELECT|\.ts:/i);
});

test('the page is served at / with a Content-Security-Policy, and so is the Socket.IO client', async () => {
  const page = await get('/');
  expect(page.status).toBe(200);
  expect(page.headers.get('content-type')).toMatch(/text\/html/);
  expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
  expect(await page.text()).toContain('src="socket.io/socket.io.js"'); // relative: see base-path.test.ts
  const client = await get('/socket.io/socket.io.js');
  expect(client.status).toBe(200);
  expect(await client.text()).toContain('Socket.IO');
});

test('DNS rebinding: an attacker\'s host name with a matching Origin is refused; IP and localhost hosts work', async () => {
  const port = new URL(server.url).port;
  const poll = (headers: Record<string, string>) => socketPoll(server.url, headers);
  // The browser, fooled into resolving evil.example to this server, sends Host and Origin that match.
  expect(await poll({ host: `evil.example:${port}`, origin: `http://evil.example:${port}` })).toBe(403);
  expect(await poll({ host: `127.0.0.1:${port}`, origin: `http://127.0.0.1:${port}` })).toBe(200);
  expect(await poll({ host: `localhost:${port}`, origin: `http://localhost:${port}` })).toBe(200);
  expect(await poll({ host: `[::1]:${port}`, origin: `http://[::1]:${port}` })).toBe(200);
  // With PUBLIC_ORIGINS set, that list decides and the Host header is not consulted at all.
  const named = await startServer({ publicOrigins: ['https://chat.example.com'] });
  try {
    const namedPort = new URL(named.url).port;
    expect(await socketPoll(named.url, { host: 'chat.example.com', origin: 'https://chat.example.com' })).toBe(200);
    expect(await socketPoll(named.url, { host: 'evil.example', origin: 'https://evil.example' })).toBe(403);
    expect(await socketPoll(named.url, { host: `127.0.0.1:${namedPort}`, origin: `http://127.0.0.1:${namedPort}` })).toBe(403);
  } finally {
    await named.close();
  }
});

test('browsers from foreign origins cannot open a socket; listed origins can', async () => {
  const foreign = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`, { headers: { origin: 'https://evil.example' } });
  expect(foreign.status).toBe(403);
  const same = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`, { headers: { origin: server.url } });
  expect(same.status).toBe(200);
  await same.text();
  const listed = await startServer({ allowedOrigins: ['https://chat.example.com'] });
  try {
    const ok = await fetch(`${listed.url}/socket.io/?EIO=4&transport=polling`, { headers: { origin: 'https://chat.example.com' } });
    expect(ok.status).toBe(200);
    await ok.text();
  } finally {
    await listed.close();
  }
});

test('X-Forwarded-Host counts only with TRUST_PROXY: a page whose address only the proxy knows', async () => {
  // The page was loaded from the proxy's public address; the request reaches this server with its own Host.
  const behindProxy = { host: '127.0.0.1', origin: 'http://203.0.113.5:3000', 'x-forwarded-host': '203.0.113.5:3000' };
  // Without TRUST_PROXY the header is the client's own claim and proves nothing.
  expect(await socketPoll(server.url, behindProxy)).toBe(403);
  const proxied = await startServer({ trustProxy: true });
  try {
    expect(await socketPoll(proxied.url, behindProxy)).toBe(200);
    // Trusted or not, a host *name* is never enough (DNS rebinding, test above).
    expect(await socketPoll(proxied.url, { ...behindProxy, origin: 'http://evil.example', 'x-forwarded-host': 'evil.example' })).toBe(403);
  } finally {
    await proxied.close();
  }
});

/** The status of a Socket.IO long-polling handshake request with these headers (node:http: fetch forbids Host). */
function socketPoll(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.get(`${url}/socket.io/?EIO=4&transport=polling`, { headers }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
    });
    request.once('error', reject);
  });
}
