/**
 * The documented sub-path configuration (docs/nginx/chat-subpath.conf) in front of a server with
 * BASE_PATH=/chat: Socket.IO over WebSocket and long-polling at /chat/socket.io, the page and the probes under
 * /chat/, the redirect from /chat, and nothing of the chat outside /chat/. The browser's view of the same
 * setup: tests/browser/subpath.test.ts.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { io } from 'socket.io-client';
import { ack, closeClient, next, startServer, type Client, type TestServer } from './helpers';
import { describeBehindNginx, startNginx, type Nginx } from './nginx';

describeBehindNginx('behind nginx at /chat/', () => {
  let server: TestServer;
  let nginx: Nginx;
  const logLines: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _encoding, done) {
        logLines.push(JSON.parse(String(chunk)));
        done();
      },
    });
    server = await startServer({ basePath: '/chat', trustProxy: true }, { log: pino({ level: 'debug' }, sink) });
    nginx = await startNginx({ site: 'chat-subpath.conf', upstreams: { chat_backend: [server.url] } });
  });

  afterAll(async () => {
    await server?.close();
    await nginx?.stop();
  });

  const get = (path: string, init: RequestInit = {}) => fetch(nginx.url + path, { redirect: 'manual', ...init });

  const viaProxy = async (options: Parameters<typeof io>[1]): Promise<Client> => {
    const client: Client = io(nginx.url, { path: '/chat/socket.io/', forceNew: true, reconnection: false, ...options });
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('connect_error', reject);
    });
    return client;
  };

  test('WebSocket and long-polling clients chat through the proxy at /chat/socket.io', async () => {
    const ws = await viaProxy({ transports: ['websocket'] });
    const polling = await viaProxy({ transports: ['polling'] });
    try {
      await ack(ws, 'login', { username: 'sub_ws' });
      await ack(polling, 'login', { username: 'sub_poll' });
      const atPolling = next(polling, 'allmessage');
      await ack(ws, 'sendMsg', { text: 'through nginx, under /chat' });
      expect((await atPolling).text).toBe('through nginx, under /chat');
      const back = next(ws, 'privateMsg');
      await ack(polling, 'privateMsg', { to: 'sub_ws', text: 'private via polling' });
      expect((await back).from).toBe('sub_poll');
      expect(ws.io.engine.transport.name).toBe('websocket');
      expect(polling.io.engine.transport.name).toBe('polling');
    } finally {
      await closeClient(ws);
      await closeClient(polling);
    }
  });

  test('a default client upgrades from polling to WebSocket through the proxy', async () => {
    const client = await viaProxy({});
    try {
      if (client.io.engine.transport.name !== 'websocket') {
        await new Promise<void>((resolve) => client.io.engine.once('upgrade', () => resolve()));
      }
      expect(client.io.engine.transport.name).toBe('websocket');
    } finally {
      await closeClient(client);
    }
  });

  test('/chat redirects to /chat/, where the page, its Socket.IO client and the probes are', async () => {
    const bare = await get('/chat');
    expect(bare.status).toBe(301);
    expect(new URL(bare.headers.get('location')!, nginx.url).pathname).toBe('/chat/');
    await bare.text();
    // nginx answers that one itself (see the comment in chat-subpath.conf), and keeps the query.
    const withQuery = await get('/chat?transport=polling');
    expect(withQuery.status).toBe(301);
    expect(withQuery.headers.has('x-request-id')).toBe(false);
    const target = new URL(withQuery.headers.get('location')!, nginx.url);
    expect(target.pathname + target.search).toBe('/chat/?transport=polling');
    await withQuery.text();
    const page = await get('/chat/');
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('src="socket.io/socket.io.js"');
    for (const path of ['/chat/socket.io/socket.io.js', '/chat/healthz', '/chat/readyz', '/chat/api/users']) {
      const res = await get(path);
      expect({ path, status: res.status }).toEqual({ path, status: 200 });
      await res.text();
    }
  });

  test('/chat/metrics is not served on the public side (issue 21); the server answers it on its own address', async () => {
    const hidden = await get('/chat/metrics');
    expect(hidden.status).toBe(404);
    expect(await hidden.text()).not.toContain('chat_');
    expect((await fetch(`${server.url}/chat/metrics`)).status).toBe(200);
  });

  test('nothing of the chat answers outside /chat/', async () => {
    // Those reach the rest of the site (here nginx's own empty default), never the chat server, whose every
    // response carries an X-Request-Id.
    for (const path of ['/socket.io/?EIO=4&transport=polling', '/socket.io/socket.io.js', '/healthz', '/chatroom/', '/']) {
      const res = await get(path);
      expect({ path, status: res.status >= 400, fromChat: res.headers.has('x-request-id') }).toEqual({ path, status: true, fromChat: false });
      await res.text();
    }
    const chat = await get('/chat/healthz');
    expect(chat.headers.has('x-request-id')).toBe(true);
    await chat.text();
  });

  test('a page served by the proxy may connect; a foreign origin may not', async () => {
    const handshake = `${nginx.url}/chat/socket.io/?EIO=4&transport=polling`;
    const same = await fetch(handshake, { headers: { origin: nginx.url } });
    expect(same.status).toBe(200);
    await same.text();
    const foreign = await fetch(handshake, { headers: { origin: 'https://evil.example' } });
    expect(foreign.status).toBe(403);
    await foreign.text();
  });

  test('the server logs the path and the client address as nginx received them', async () => {
    const res = await get('/chat/healthz', { headers: { 'x-forwarded-for': '203.0.113.9' } });
    expect(res.status).toBe(200);
    await res.text();
    const entry = logLines.find((l) => l.msg === 'request' && l.req === res.headers.get('x-request-id'));
    expect(entry).toMatchObject({ path: '/chat/healthz', status: 200, ip: '127.0.0.1' });
  });
});
