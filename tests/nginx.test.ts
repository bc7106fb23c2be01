/**
 * The documented nginx configuration (docs/nginx/chat.conf) in front of a real server: WebSocket and
 * long-polling through the proxy, the page, the client's real IP, and the origin check behind a proxy.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { io } from 'socket.io-client';
import { ack, closeClient, next, startServer, type Client, type TestServer } from './helpers';
import { describeBehindNginx, startNginx, type Nginx } from './nginx';
import { tempDir } from './tmpdir';

describeBehindNginx('behind nginx', () => {
  let server: TestServer;
  let nginx: Nginx;
  let proxyUrl: string;
  const logLines: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _encoding, done) {
        logLines.push(JSON.parse(String(chunk)));
        done();
      },
    });
    server = await startServer({ trustProxy: true }, { log: pino({ level: 'debug' }, sink) });
    nginx = await startNginx({ site: 'chat.conf', upstreams: { chat_backend: [server.url] } });
    proxyUrl = nginx.url;
  });

  afterAll(async () => {
    await server?.close();
    await nginx?.stop();
  });

  const viaProxy = async (options: Parameters<typeof io>[1]): Promise<Client> => {
    const client: Client = io(proxyUrl, { forceNew: true, reconnection: false, ...options });
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('connect_error', reject);
    });
    return client;
  };

  test('WebSocket and long-polling clients chat through the proxy', async () => {
    const ws = await viaProxy({ transports: ['websocket'] });
    const polling = await viaProxy({ transports: ['polling'] });
    try {
      await ack(ws, 'login', { username: 'proxied_ws' });
      await ack(polling, 'login', { username: 'proxied_poll' });
      const atPolling = next(polling, 'allmessage');
      const atWs = next(ws, 'allmessage');
      await ack(ws, 'sendMsg', { text: 'through nginx' });
      expect((await atPolling).text).toBe('through nginx');
      expect((await atWs).text).toBe('through nginx');
      const back = next(ws, 'privateMsg');
      await ack(polling, 'privateMsg', { to: 'proxied_ws', text: 'private via polling' });
      expect((await back).from).toBe('proxied_poll');
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

  test('/metrics is not served on the public side (issue 21); the server itself answers it on its own address', async () => {
    for (const path of ['/metrics', '/metrics?x=1']) {
      const hidden = await fetch(`${proxyUrl}${path}`);
      expect({ path, status: hidden.status }).toEqual({ path, status: 404 });
      expect(await hidden.text()).not.toContain('chat_');
    }
    const direct = await fetch(`${server.url}/metrics`);
    expect(direct.status).toBe(200);
    expect(await direct.text()).toContain('chat_');
  });

  test('the page loads through the proxy; requests carry the proxy request id', async () => {
    const res = await fetch(`${proxyUrl}/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('src="socket.io/socket.io.js"');
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f]{32}$/); // nginx's $request_id
  });

  test('a browser page served by the proxy may connect; a foreign origin may not', async () => {
    const same = await fetch(`${proxyUrl}/socket.io/?EIO=4&transport=polling`, { headers: { origin: proxyUrl } });
    expect(same.status).toBe(200);
    await same.text();
    const foreign = await fetch(`${proxyUrl}/socket.io/?EIO=4&transport=polling`, { headers: { origin: 'https://evil.example' } });
    expect(foreign.status).toBe(403);
    await foreign.text();
  });

  test('with TRUST_PROXY the server logs the client address nginx saw, not a spoofed X-Forwarded-For', async () => {
    const res = await fetch(`${proxyUrl}/healthz`, { headers: { 'x-forwarded-for': '203.0.113.9' } });
    expect(res.status).toBe(200);
    await res.text();
    const id = res.headers.get('x-request-id');
    const entry = logLines.find((l) => l.msg === 'request' && l.req === id);
    expect(entry).toMatchObject({ path: '/healthz', status: 200, ip: '127.0.0.1' });
  });
});

describeBehindNginx('startNginx (tests/nginx.ts)', () => {
  test('resolves only once nginx accepts connections: a connection straight after it succeeds', async () => {
    const nginx = await startNginx({ site: 'chat.conf', upstreams: { chat_backend: ['127.0.0.1:9'] } });
    try {
      const { port } = new URL(nginx.url);
      await new Promise<void>((resolve, reject) => {
        const socket = net.connect(Number(port), '127.0.0.1', () => {
          socket.end();
          resolve();
        });
        socket.once('error', reject);
      });
    } finally {
      await nginx.stop();
    }
  });

  test('a configuration nginx refuses fails the start at once, with nginx\'s reason', async () => {
    const tmp = tempDir('chat-nginx-site-');
    try {
      const site = path.join(tmp.dir, 'broken.conf');
      fs.writeFileSync(site, 'upstream chat_backend {\n  server 127.0.0.1:3000;\n}\nserver {\n  listen 80;\n  no_such_directive on;\n}\n');
      const started = Date.now();
      await expect(startNginx({ site, upstreams: { chat_backend: ['127.0.0.1:9'] } })).rejects.toThrow(/unknown directive "no_such_directive"/);
      expect(Date.now() - started).toBeLessThan(5000); // not the readiness timeout
    } finally {
      tmp.cleanup();
    }
  });
});
