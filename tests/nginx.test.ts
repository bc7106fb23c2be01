/**
 * The documented nginx configuration (docs/nginx/chat.conf) in front of a real server: WebSocket and
 * long-polling through the proxy, the page, the client's real IP, and the origin check behind a proxy.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ack, closeClient, next, startServer, type Client, type TestServer } from './helpers';
import { tempDir } from './tmpdir';
import { Writable } from 'node:stream';
import pino from 'pino';
import { io } from 'socket.io-client';

const NGINX = '/usr/sbin/nginx';
const available = fs.existsSync(NGINX);
if (!available && process.env.CI === 'true') throw new Error(`${NGINX} is missing; .ci/run installs it`);
if (!available) console.warn(`skipping nginx tests: ${NGINX} not installed (apt-get install -y nginx)`);
const maybe = available ? describe : describe.skip;

maybe('behind nginx', () => {
  let server: TestServer;
  let nginx: ChildProcess;
  let proxyUrl: string;
  const tmp = tempDir('chat-nginx-');
  const logLines: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _encoding, done) {
        logLines.push(JSON.parse(String(chunk)));
        done();
      },
    });
    server = await startServer({ trustProxy: true }, { log: pino({ level: 'debug' }, sink) });
    const backendPort = new URL(server.url).port;
    const port = await freePort();
    proxyUrl = `http://127.0.0.1:${port}`;
    const site = fs
      .readFileSync(path.join(__dirname, '..', 'docs', 'nginx', 'chat.conf'), 'utf8')
      .replace('server 127.0.0.1:3000;', `server 127.0.0.1:${backendPort};`)
      .replace('listen 80;', `listen 127.0.0.1:${port};`);
    const conf = path.join(tmp.dir, 'nginx.conf');
    fs.writeFileSync(
      conf,
      `worker_processes 1;
pid ${tmp.dir}/nginx.pid;
error_log ${tmp.dir}/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${tmp.dir}/body;
  proxy_temp_path ${tmp.dir}/proxy;
  fastcgi_temp_path ${tmp.dir}/fastcgi;
  uwsgi_temp_path ${tmp.dir}/uwsgi;
  scgi_temp_path ${tmp.dir}/scgi;
  ${site}
}
`,
    );
    nginx = spawn(NGINX, ['-p', tmp.dir, '-c', conf, '-g', 'daemon off;'], { stdio: 'ignore' });
    await waitForPort(port);
  });

  afterAll(async () => {
    await server?.close();
    if (nginx && nginx.exitCode === null) {
      const exited = new Promise((r) => nginx.once('exit', r));
      nginx.kill('SIGQUIT');
      await exited;
    }
    tmp.cleanup();
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

  test('the page loads through the proxy; requests carry the proxy request id', async () => {
    const res = await fetch(`${proxyUrl}/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('/socket.io/socket.io.js');
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

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nginx did not listen on ${port}`);
}
