/**
 * The documented nginx files on a stock Debian nginx (issue 20): the package's nginx.conf, its default site
 * enabled ("Welcome to nginx!", `listen 80 default_server`, `server_name _`), and the chat's file installed as
 * docs/deployment.md says. `chat.conf` used to lose every request to that default site; now the chat answers
 * its own host name wherever the file is put, and the default site keeps everything else. chat-tls.conf adds
 * HTTPS (a self-signed certificate made here by openssl) with HTTP redirected to it, and the sub-path file
 * works beside the default site too. Clients reach nginx by name (tests/named-client.ts).
 */
import fs from 'node:fs';
import { ack, closeClient, next, startServer, type TestServer } from './helpers';
import { selfSigned } from './certificate';
import { get, namedAgents, namedClient, type NamedAgents } from './named-client';
import { hasNginx, NGINX, startNginx, type Nginx } from './nginx';
import { debianMissing, type Placement } from './nginx-site';
import { tempDir } from './tmpdir';

const HOST = 'chat.example.com';
const SITE_HOST = 'example.com';
const WELCOME = 'Welcome to nginx!';

// nginx.ts fails the run under CI when nginx is missing; a non-Debian nginx is a failure there as well.
const missing = hasNginx ? debianMissing() : `${NGINX} is not installed`;
if (missing !== undefined && process.env.CI === 'true') throw new Error(`a Debian nginx is required under CI: ${missing}`);
if (missing !== undefined) console.warn(`Skipping the Debian nginx tests: ${missing}.`);
const describeDebian = missing === undefined ? describe : describe.skip;

/** A chat message from one client to another through `url` (over WebSocket and long-polling). */
async function chatThrough(agents: NamedAgents, url: string, socketPath?: string): Promise<void> {
  const ws = await namedClient(agents, url, 'websocket', socketPath);
  const polling = await namedClient(agents, url, 'polling', socketPath);
  try {
    await ack(ws, 'login', { username: `ws_${Date.now() % 100000}` });
    await ack(polling, 'login', { username: `poll_${Date.now() % 100000}` });
    const heard = next(polling, 'allmessage');
    await ack(ws, 'sendMsg', { text: `through nginx at ${url}` });
    expect((await heard).text).toBe(`through nginx at ${url}`);
  } finally {
    await closeClient(ws);
    await closeClient(polling);
  }
}

describeDebian.each(['sites-enabled', 'conf.d'] as Placement[])('chat.conf in %s/ of a stock Debian nginx', (placement) => {
  let server: TestServer;
  let nginx: Nginx;
  let agents: NamedAgents;
  let chatUrl: string;

  beforeAll(async () => {
    server = await startServer({ trustProxy: true, publicOrigins: [`http://${HOST}`] });
    nginx = await startNginx({ site: 'chat.conf', upstreams: { chat_backend: [server.url] }, debian: placement });
    agents = namedAgents([HOST]);
    chatUrl = `http://${HOST}:${nginx.ports.http}`;
  });
  afterAll(async () => {
    agents?.destroy();
    await nginx?.stop();
    await server?.close();
  });

  test('the chat answers its host name: the page, and chatting over WebSocket and long-polling', async () => {
    const page = await get(agents, `${chatUrl}/`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('src="socket.io/socket.io.js"');
    expect(page.headers['x-request-id']).toMatch(/^[0-9a-f]{32}$/); // through nginx, from the chat server
    await chatThrough(agents, chatUrl);
  });

  test('every other name, and the bare address, still reach the default site', async () => {
    for (const host of ['127.0.0.1', 'other.example.com']) {
      const res = await get(agents, `${nginx.url}/`, { headers: { host } });
      expect({ host, status: res.status, welcome: res.body.includes(WELCOME) }).toEqual({ host, status: 200, welcome: true });
    }
  });
});

describeDebian('chat-tls.conf on a stock Debian nginx: HTTPS, and HTTP redirected to it', () => {
  const tmp = tempDir('chat-tls-');
  let server: TestServer;
  let nginx: Nginx;
  let agents: NamedAgents;
  let httpUrl: string;
  let httpsUrl: string;

  beforeAll(async () => {
    const tls = selfSigned(tmp.dir, [HOST]);
    server = await startServer({ trustProxy: true, publicOrigins: [`https://${HOST}`] });
    nginx = await startNginx({ site: 'chat-tls.conf', upstreams: { chat_backend: [server.url] }, debian: 'sites-enabled', tls });
    agents = namedAgents([HOST], fs.readFileSync(tls.cert, 'utf8'));
    httpUrl = `http://${HOST}:${nginx.ports.http}`;
    httpsUrl = `https://${HOST}:${nginx.ports.https}`;
  });
  afterAll(async () => {
    agents?.destroy();
    await nginx?.stop();
    await server?.close();
    tmp.cleanup();
  });

  test('plain HTTP to the chat\'s name is redirected to the same URL over HTTPS; other names keep the default site', async () => {
    const redirect = await get(agents, `${httpUrl}/some/page?x=1`);
    expect(redirect.status).toBe(301);
    expect(redirect.headers.location).toBe(`https://${HOST}/some/page?x=1`);
    const other = await get(agents, `${nginx.url}/`, { headers: { host: '127.0.0.1' } });
    expect(other.body).toContain(WELCOME);
  });

  test('over HTTPS: the page, with HSTS, and chatting over WebSocket (wss) and long-polling', async () => {
    const page = await get(agents, `${httpsUrl}/`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('src="socket.io/socket.io.js"');
    expect(page.headers['strict-transport-security']).toBe('max-age=31536000');
    expect(page.headers['x-request-id']).toMatch(/^[0-9a-f]{32}$/);
    await chatThrough(agents, httpsUrl);
  });

  test('the page\'s own origin (https://chat.example.com, as PUBLIC_ORIGINS says) may open a socket; another may not', async () => {
    const handshake = (origin: string) => get(agents, `${httpsUrl}/socket.io/?EIO=4&transport=polling`, { headers: { origin } });
    expect((await handshake(`https://${HOST}`)).status).toBe(200);
    expect((await handshake('https://evil.example')).status).toBe(403);
  });
});

describeDebian('chat-subpath.conf on a stock Debian nginx', () => {
  let server: TestServer;
  let nginx: Nginx;
  let agents: NamedAgents;

  beforeAll(async () => {
    server = await startServer({ basePath: '/chat', trustProxy: true, publicOrigins: [`http://${SITE_HOST}`] });
    nginx = await startNginx({ site: 'chat-subpath.conf', upstreams: { chat_backend: [server.url] }, debian: 'sites-enabled' });
    agents = namedAgents([SITE_HOST]);
  });
  afterAll(async () => {
    agents?.destroy();
    await nginx?.stop();
    await server?.close();
  });

  test('the chat answers at /chat/ of its site, the default site everything else', async () => {
    const siteUrl = `http://${SITE_HOST}:${nginx.ports.http}`;
    const page = await get(agents, `${siteUrl}/chat/`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('src="socket.io/socket.io.js"');
    await chatThrough(agents, siteUrl, '/chat/socket.io/');
    const other = await get(agents, `${nginx.url}/chat/`, { headers: { host: '127.0.0.1' } });
    expect(other.headers['x-request-id']).toBeUndefined(); // the default site's, not the chat's
  });
});
