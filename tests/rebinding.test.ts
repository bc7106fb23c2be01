/**
 * DNS rebinding (issue 21): an attacker's name that resolves to this server gets nothing. Engine.IO's
 * `allowRequest` only ever saw a session's first request, so the sequence below, the one a rebound page's
 * browser sends, used to read the public timeline: a polling handshake with the attacker's Host and no
 * Origin (a same-origin GET), then POSTs carrying the attacker's origin. Every Engine.IO request, and every
 * HTTP request but the probes, now passes the origin and host rules (src/origins.ts, src/http/hosts.ts).
 */
import http from 'node:http';
import WebSocket from 'ws';
import { ack, startServer, type TestServer } from './helpers';

const EVIL_HOST = 'rebind.evil.example';
const EVIL_ORIGIN = `http://${EVIL_HOST}`;

let server: TestServer;
afterEach(() => server?.close());

interface Answer {
  status: number;
  body: string;
}

/** One HTTP request to the server with exactly these headers (fetch will not send a Host of our choosing). */
function request(method: 'GET' | 'POST', path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  const { port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers: { ...headers, ...(body !== undefined && { 'content-type': 'text/plain;charset=UTF-8' }) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const POLLING = '/socket.io/?EIO=4&transport=polling';
const asAttacker = { host: EVIL_HOST, origin: EVIL_ORIGIN };
/** What the server's own page on 127.0.0.1 sends (its origin is an IP address: no rebinding can make it). */
const asPage = () => ({ host: new URL(server.url).host, origin: server.url });

/** A polling session opened the legitimate way; resolves with its sid. */
async function legitimateSession(): Promise<string> {
  const open = await request('GET', POLLING, asPage());
  expect(open.status).toBe(200);
  return JSON.parse(open.body.slice(1)).sid as string;
}

test('the rebinding sequence is refused at every step, and the public timeline is never answered', async () => {
  server = await startServer();
  const { client: writer } = await server.login('writer');
  await ack(writer, 'sendMsg', { text: 'intranet secret' });

  // 1. The handshake: a same-origin GET, so the browser sends the attacker's Host and no Origin.
  const handshake = await request('GET', POLLING, { host: EVIL_HOST });
  expect(handshake).toEqual({ status: 403, body: JSON.stringify({ code: 4, message: 'Forbidden' }) });

  // 2-4. Had a session been opened some other way, none of its later requests would pass either.
  const sid = await legitimateSession();
  const session = `${POLLING}&sid=${sid}`;
  expect((await request('POST', session, asAttacker, '40')).status).toBe(403); // the Socket.IO connect
  expect((await request('GET', session, asAttacker)).status).toBe(403); // reading what came back
  expect((await request('POST', session, asAttacker, '42["history",{}]')).status).toBe(403);
  expect((await request('POST', session, { host: EVIL_HOST }, '40')).status).toBe(403); // without an Origin too
  expect((await request('GET', session, { host: server.url.slice('http://'.length), origin: EVIL_ORIGIN })).status).toBe(403);

  // The session itself is untouched: the page that opened it connects and reads, and only it.
  expect(await request('POST', session, asPage(), '40')).toEqual({ status: 200, body: 'ok' });
  const connected = await request('GET', session, asPage());
  expect(connected.body).toMatch(/^40\{"sid":/);
  expect(await request('POST', session, asPage(), '420["history",{}]')).toEqual({ status: 200, body: 'ok' });
  expect((await request('GET', session, asPage())).body).toContain('intranet secret');
});

test('a WebSocket upgrade passes the same rules: a new one and one of an existing session', async () => {
  server = await startServer();
  const { port } = new URL(server.url);
  const upgrade = (path: string, headers: Record<string, string>) =>
    new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers });
      ws.once('unexpected-response', (_req, res) => {
        resolve(res.statusCode!);
        res.resume();
        ws.terminate();
      });
      ws.once('open', () => {
        resolve(101);
        ws.close();
      });
      ws.once('error', reject);
    });
  const websocket = '/socket.io/?EIO=4&transport=websocket';
  expect(await upgrade(websocket, { host: EVIL_HOST })).toBe(403);
  expect(await upgrade(websocket, { host: `127.0.0.1:${port}`, origin: EVIL_ORIGIN })).toBe(403);
  const sid = await legitimateSession();
  expect(await upgrade(`${websocket}&sid=${sid}`, { host: `127.0.0.1:${port}`, origin: EVIL_ORIGIN })).toBe(403);
  expect(await upgrade(`${websocket}&sid=${sid}`, asAttacker)).toBe(403);
  expect(await upgrade(websocket, { host: `127.0.0.1:${port}`, origin: server.url })).toBe(101);
});

test('HTTP: a host name that is not the server\'s gets 403 everywhere but the probes; addresses and localhost pass', async () => {
  server = await startServer();
  for (const path of ['/api/messages', '/api/users', '/api/config', '/', '/metrics']) {
    const refused = await request('GET', path, { host: EVIL_HOST });
    expect({ path, status: refused.status }).toEqual({ path, status: 403 });
  }
  expect(JSON.parse((await request('GET', '/api/messages', { host: EVIL_HOST })).body)).toEqual({ error: { code: 'forbidden', message: expect.any(String) } });
  for (const path of ['/healthz', '/readyz']) expect((await request('GET', path, { host: EVIL_HOST })).status).toBe(200);
  for (const host of ['127.0.0.1:3000', 'localhost:3000', 'LOCALHOST', '[::1]:3000', '10.1.2.3']) {
    expect({ host, status: (await request('GET', '/api/messages', { host })).status }).toEqual({ host, status: 200 });
  }
});

test('with PUBLIC_ORIGINS, the hosts of those origins pass and no other name does; behind a trusted proxy, X-Forwarded-Host is the host asked for', async () => {
  server = await startServer({ publicOrigins: ['https://chat.example.com'] });
  const status = async (headers: Record<string, string>, path = POLLING) => (await request('GET', path, headers)).status;
  expect(await status({ host: 'chat.example.com' })).toBe(200);
  expect(await status({ host: 'Chat.Example.COM.', origin: 'https://chat.example.com' })).toBe(200);
  expect(await status({ host: 'chat.example.com', origin: EVIL_ORIGIN })).toBe(403);
  expect(await status({ host: 'chat.example.com.evil.example' })).toBe(403);
  expect(await status({ host: EVIL_HOST }, '/api/messages')).toBe(403);
  // Not trusted: what a client writes in X-Forwarded-Host changes nothing.
  expect(await status({ host: 'chat.example.com', 'x-forwarded-host': EVIL_HOST })).toBe(200);
  expect(await status({ host: EVIL_HOST, 'x-forwarded-host': 'chat.example.com' })).toBe(403);
  await server.close();

  server = await startServer({ publicOrigins: ['https://chat.example.com'], trustProxy: true });
  expect(await status({ host: '127.0.0.1:3000', 'x-forwarded-host': 'chat.example.com' })).toBe(200);
  expect(await status({ host: '127.0.0.1:3000', 'x-forwarded-host': EVIL_HOST })).toBe(403);
  expect(await status({ host: 'chat-backend', 'x-forwarded-host': 'chat.example.com' }, '/api/messages')).toBe(200);
});
