/**
 * BASE_PATH=/chat (issue 9): the page, the HTTP API, the probes and Socket.IO all live under /chat/, and
 * nothing answers outside it. Straight to the server, without a proxy (tests/nginx-subpath.test.ts puts nginx
 * in front; tests/browser/subpath.test.ts a browser).
 */
import http from 'node:http';
import { Writable } from 'node:stream';
import pino from 'pino';
import { ack, closeClient, next, startServer, within, type TestServer } from './helpers';

const BASE = '/chat';

describe('with BASE_PATH=/chat', () => {
  let server: TestServer;
  const logLines: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _encoding, done) {
        logLines.push(JSON.parse(String(chunk)));
        done();
      },
    });
    server = await startServer({ basePath: BASE }, { log: pino({ level: 'debug' }, sink) });
  });
  afterAll(async () => {
    await server?.close();
  });

  const get = (path: string, init: RequestInit = {}) => fetch(server.url + path, { redirect: 'manual', ...init });

  test('Socket.IO answers at /chat/socket.io, over long-polling and WebSocket', async () => {
    // connect() asks for BASE + '/socket.io'; the next test shows that the root path is refused.
    const ws = await server.connect({ transports: ['websocket'] });
    const polling = await server.connect({ transports: ['polling'] });
    try {
      await ack(ws, 'login', { username: 'via_ws' });
      await ack(polling, 'login', { username: 'via_polling' });
      const atPolling = next(polling, 'allmessage');
      await ack(ws, 'sendMsg', { text: 'under /chat' });
      expect((await atPolling).text).toBe('under /chat');
      const atWs = next(ws, 'privateMsg');
      await ack(polling, 'privateMsg', { to: 'via_ws', text: 'private, under /chat' });
      expect(await atWs).toMatchObject({ from: 'via_polling', text: 'private, under /chat' });
      expect(ws.io.engine.transport.name).toBe('websocket');
      expect(polling.io.engine.transport.name).toBe('polling');
    } finally {
      await closeClient(ws);
      await closeClient(polling);
    }
  });

  test('Socket.IO does not answer at the root path /socket.io', async () => {
    const handshake = await get('/socket.io/?EIO=4&transport=polling');
    expect(handshake.status).toBe(404);
    expect(await handshake.json()).toEqual({
      error: {
        code: 'not_found',
        message: 'Nothing at GET /socket.io/.',
        hint: 'This server serves the chat under /chat/ (BASE_PATH=/chat), and nothing outside it. Did you mean /chat/socket.io/? If a proxy in front removes /chat from the path, have it pass the path on unchanged, or unset BASE_PATH.',
      },
    });
    for (const transport of ['polling', 'websocket'] as const) {
      const refused = server.connect({ path: '/socket.io', transports: [transport] });
      await expect(within(refused, `a ${transport} client at /socket.io`)).rejects.toThrow(/error/i);
    }
    expect((await get('/socket.io/socket.io.js')).status).toBe(404);
  });

  test('/chat redirects to /chat/, keeping the query; other methods find nothing there', async () => {
    const bare = await get(BASE);
    expect(bare.status).toBe(301);
    expect(bare.headers.get('location')).toBe('/chat/');
    await bare.text();
    const withQuery = await get(`${BASE}?transport=polling`);
    expect(withQuery.headers.get('location')).toBe('/chat/?transport=polling');
    await withQuery.text();
    const head = await get(BASE, { method: 'HEAD' });
    expect(head.status).toBe(301);
    const post = await get(BASE, { method: 'POST' });
    expect(post.status).toBe(404);
    await post.text();
  });

  test('the page at /chat/ refers to its files relatively, and each of them is served under /chat/', async () => {
    const page = await get(`${BASE}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const html = await page.text();
    const refs = [...html.matchAll(/\b(?:src|href)="([^"#][^"]*)"/g)].map((m) => m[1]);
    expect(refs.sort()).toEqual(['favicon.svg', 'favicon.svg', 'js/main.js', 'socket.io/socket.io.js', 'style.css']);
    for (const ref of new Set(refs)) {
      const url = new URL(ref, `${server.url}${BASE}/`);
      expect(url.pathname.startsWith(`${BASE}/`)).toBe(true);
      const res = await fetch(url);
      expect({ ref, status: res.status }).toEqual({ ref, status: 200 });
      await res.arrayBuffer();
    }
  });

  test('the probes, the metrics and the API answer under /chat/, and only there', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics', '/api/messages', '/api/users']) {
      const inside = await get(BASE + path);
      expect({ path, status: inside.status }).toEqual({ path, status: 200 });
      await inside.text();
      const outside = await get(path);
      expect({ path, status: outside.status }).toEqual({ path, status: 404 });
      expect(await outside.json()).toEqual({
        error: { code: 'not_found', message: `Nothing at GET ${path}.`, hint: expect.stringContaining(`Did you mean /chat${path}?`) },
      });
    }
    expect(await (await get(`${BASE}/healthz`)).json()).toMatchObject({ status: 'ok' });
    // Inside the prefix, the usual 404 names the path as asked for; a longer name is not the prefix.
    const missing = await get(`${BASE}/nothing-here`);
    expect(await missing.json()).toEqual({ error: { code: 'not_found', message: 'Nothing at GET /chat/nothing-here.' } });
    for (const path of ['/', '/chatroom/healthz', '/style.css', '/CHAT/healthz']) {
      const res = await get(path);
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
      await res.text();
    }
  });

  test('the request log shows the path the client asked for', async () => {
    const res = await get(`${BASE}/healthz`);
    await res.text();
    const entry = logLines.find((l) => l.msg === 'request' && l.req === res.headers.get('x-request-id'));
    expect(entry).toMatchObject({ path: '/chat/healthz', status: 200 });
  });
});

/**
 * A forgotten or mismatched BASE_PATH (issue 20): a 404 that looks like one says what BASE_PATH is and what to
 * check, as JSON for programs and as a page for a browser, and tells nothing else of the configuration.
 */
describe('a 404 that looks like a BASE_PATH mismatch says so', () => {
  const ADMIN_TOKEN = 'admin-token-that-must-not-show';
  const servers: TestServer[] = [];
  const start = async (basePath: string) => {
    const server = await startServer({ basePath, adminToken: ADMIN_TOKEN });
    servers.push(server);
    return server;
  };
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  const notFound = async (server: TestServer, path: string, accept = 'application/json') => {
    const res = await fetch(server.url + path, { headers: { accept } });
    expect({ path, status: res.status }).toEqual({ path, status: 404 });
    return res;
  };
  const hintOf = async (server: TestServer, path: string) => ((await (await notFound(server, path)).json()) as { error: { hint?: string } }).error.hint;

  test('BASE_PATH unset, the page and its parts asked for under a prefix: set BASE_PATH to it', async () => {
    const server = await start('');
    const unset = (prefix: string) =>
      `This server serves the chat at the root (/): BASE_PATH is not set. This request looks like one for the chat under ${prefix}/: ` +
      `if a proxy publishes it there and passes the path on unchanged, start the server with BASE_PATH=${prefix} (or have the proxy strip ${prefix}).`;
    for (const [path, prefix] of [
      ['/chat/', '/chat'],
      ['/chat/style.css', '/chat'],
      ['/chat/js/main.js', '/chat'],
      ['/chat/socket.io/?EIO=4&transport=polling', '/chat'],
      ['/apps/chat/healthz', '/apps/chat'],
      ['/apps/chat/api/users', '/apps/chat'],
    ]) {
      expect({ path, hint: await hintOf(server, path) }).toEqual({ path, hint: unset(prefix) });
    }
    // Not the chat under any prefix: the plain 404.
    for (const path of ['/nothing-here', '/chat/nothing-here', '/chat', '/wp-login.php']) {
      expect(await (await notFound(server, path)).json()).toEqual({ error: { code: 'not_found', message: `Nothing at GET ${path}.` } });
    }
  });

  test('BASE_PATH set, a request outside it: where the chat is, and what to check', async () => {
    const server = await start('/chat');
    expect(await hintOf(server, '/')).toBe(
      'This server serves the chat under /chat/ (BASE_PATH=/chat), and nothing outside it. Did you mean /chat/? If a proxy in front removes /chat from the path, have it pass the path on unchanged, or unset BASE_PATH.',
    );
    expect(await hintOf(server, '/apps/chat/')).toBe(
      'This server serves the chat under /chat/ (BASE_PATH=/chat), and nothing outside it. This request looks like one for the chat under /apps/chat/: if that is where it is published, set BASE_PATH=/apps/chat.',
    );
    expect(await hintOf(server, '/wp-login.php')).toBe('This server serves the chat under /chat/ (BASE_PATH=/chat), and nothing outside it. The page is at /chat/.');
    // Inside the prefix, a path that is not there is an ordinary 404.
    expect(await hintOf(server, '/chat/nothing-here')).toBeUndefined();
  });

  test('a browser gets the same as a page, every word of the request escaped; nothing else of the configuration shows', async () => {
    const server = await start('');
    const res = await notFound(server, '/chat/', 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8');
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    const page = await res.text();
    expect(page).toContain('<p>Nothing at GET /chat/.</p>');
    expect(page).toContain('start the server with BASE_PATH=/chat');

    // A path with markup in it, sent as is (fetch would percent-encode it).
    const raw = await rawGet(server, '/"><script>alert(1)</script>/', 'text/html');
    expect(raw.status).toBe(404);
    expect(raw.body).not.toContain('<script');
    expect(raw.body).toContain('<p>Nothing at GET /&#34;&#62;&#60;script&#62;alert(1)&#60;/script&#62;/.</p>');
    for (const body of [page, raw.body, JSON.stringify(await (await notFound(server, '/chat/healthz')).json())]) {
      expect(body).not.toContain(ADMIN_TOKEN);
      expect(body).not.toContain(String(new URL(server.url).port));
    }
  });
});

function rawGet(server: TestServer, path: string, accept: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${server.url}/`, { path, headers: { accept } }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
  });
}
