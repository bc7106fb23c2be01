/**
 * BASE_PATH=/chat (issue 9): the page, the HTTP API, the probes and Socket.IO all live under /chat/, and
 * nothing answers outside it. Straight to the server, without a proxy (tests/nginx-subpath.test.ts puts nginx
 * in front; tests/browser/subpath.test.ts a browser).
 */
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
    expect(await handshake.json()).toEqual({ error: { code: 'not_found', message: 'Nothing at GET /socket.io/.' } });
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
      expect(await outside.json()).toEqual({ error: { code: 'not_found', message: `Nothing at GET ${path}.` } });
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
