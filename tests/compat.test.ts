/**
 * Clients this project did not write: socket.io-client 3 and 2 (the latter only with ALLOW_EIO3), and
 * Debian's python3-socketio, speaking the tutorial's events and the handshake login.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { FAST_HEARTBEAT, ack, flush, next, onceApp, record, startServer, within, type TestServer } from './helpers';

// Old clients ship without typings; only what these tests use is declared here.
interface OldSocket {
  on(event: string, listener: (...args: any[]) => void): void;
  once(event: string, listener: (...args: any[]) => void): void;
  emit(event: string, ...args: unknown[]): void;
  close(): void;
}
type OldIo = (url: string, options: Record<string, unknown>) => OldSocket;
const ioV2: OldIo = require('socket.io-client-v2');
const ioV3: OldIo = require('socket.io-client-v3');

let server: TestServer;
afterEach(() => server?.close());

/** Connects an old client and resolves once connected (rejects on its connection error). */
function connectOld(io: OldIo, url: string): Promise<OldSocket> {
  const socket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false });
  return within(
    new Promise<OldSocket>((resolve, reject) => {
      socket.once('connect', () => resolve(socket));
      socket.once('connect_error', (err: Error) => {
        socket.close();
        reject(err);
      });
    }),
    'an old client connecting',
  );
}

/** Emits with an ack the old way (callback as last argument). */
function oldAck<T>(socket: OldSocket, event: string, payload: unknown): Promise<T> {
  return within(new Promise<T>((resolve) => socket.emit(event, payload, resolve)), `${event} ack`);
}

test('socket.io-client 3 logs in and chats, tutorial-style and with acks', async () => {
  server = await startServer();
  const client = await connectOld(ioV3, server.url);
  try {
    const watcher = await server.connect();
    const seen = next(watcher, 'allmessage');
    expect(await oldAck(client, 'login', { id: 'v3user' })).toMatchObject({ ok: true, user: { name: 'v3user', displayName: 'v3user' } });
    expect(await oldAck(client, 'sendMsg', { newAccount: 'from v3' })).toMatchObject({ ok: true });
    expect(await seen).toMatchObject({ from: 'v3user', text: 'from v3' });
  } finally {
    client.close();
  }
});

test('socket.io-client 2 (Engine.IO 3) is refused by default and chats with ALLOW_EIO3', async () => {
  server = await startServer();
  // Refused by the server for its protocol (not, say, a timeout): Engine.IO's own "unsupported protocol" error,
  // and the client's connect_error for the refused transport.
  const refused = within(
    new Promise<{ code: number; message: string }>((resolve) => server.app.io.engine.once('connection_error', resolve)),
    'the server refusing the v2 client',
  );
  await expect(connectOld(ioV2, server.url)).rejects.toMatchObject({ type: 'TransportError', message: 'websocket error' });
  expect(await refused).toMatchObject({ code: 5, message: 'Unsupported protocol version' });
  await server.close();

  server = await startServer({ allowEio3: true });
  const client = await connectOld(ioV2, server.url);
  try {
    const watcher = await server.connect();
    const seen = next(watcher, 'allmessage');
    const welcome = new Promise((resolve) => client.on('msg1', (n: { type: string }) => n.type === 'welcome' && resolve(n)));
    expect(await oldAck(client, 'login', { id: 'v2user' })).toMatchObject({ ok: true, user: { name: 'v2user', displayName: 'v2user' } });
    await within(welcome, 'the welcome notice');
    client.emit('sendMsg', { newAccount: 'from a v2 client' }); // tutorial-style: no ack
    expect(await seen).toMatchObject({ from: 'v2user', text: 'from a v2 client' });
    // A modern client sees the v2 user's messages and can write to it.
    const privately = new Promise((resolve) => client.on('privateMsg', resolve));
    const { client: modern } = await server.login('modern');
    expect(await ack(modern, 'privateMsg', { to: 'v2user', text: 'hi old friend' })).toMatchObject({ ok: true });
    expect(await within(privately, 'the private message at the v2 client')).toMatchObject({ from: 'modern', text: 'hi old friend' });
  } finally {
    client.close();
  }
});

test('socket.io-client 2: a private message it received is confirmed by its heartbeat and not pushed again at the next login', async () => {
  // Engine.IO 3 turns the heartbeat around: the client pings and the server answers (delivery-tracker.ts).
  server = await startServer({ allowEio3: true }, { heartbeat: FAST_HEARTBEAT });
  const client = await connectOld(ioV2, server.url);
  try {
    const login = await oldAck<{ ok: boolean; token: string }>(client, 'login', { username: 'oldtimer' });
    const privately = new Promise<{ id: number }>((resolve) => client.on('privateMsg', resolve));
    const { client: modern } = await server.login('modern');
    const sent = await ack(modern, 'privateMsg', { to: 'oldtimer', text: 'got it?' });
    if (!sent.ok) throw new Error(sent.error.code);
    const confirmed = onceApp(server, 'delivered', (_user, ids) => ids.includes(sent.message.id));
    expect(await within(privately, 'the private message at the v2 client')).toMatchObject({ id: sent.message.id });
    await confirmed;
    client.close();

    const again = await server.connect();
    const pushed = record(again, 'privateMsg');
    expect(await ack(again, 'login', { username: 'oldtimer', token: login.token })).toMatchObject({ ok: true });
    await flush(again);
    expect(pushed).toEqual([]);
  } finally {
    client.close();
  }
});

const PYTHON = '/usr/bin/python3';
const hasPythonSocketio = fs.existsSync(PYTHON) && runsOk(PYTHON, ['-c', 'import socketio']);
if (!hasPythonSocketio && process.env.CI === 'true') throw new Error('python3-socketio is missing; .ci/run installs it');
if (!hasPythonSocketio) console.warn('skipping the Python client tests: no python3-socketio (apt-get install python3-socketio)');
const python = hasPythonSocketio ? describe : describe.skip;

python('Debian\'s python3-socketio client', () => {
  test.each(['tutorial', 'auth'])('logs in (%s), sends, and gets its message back', async (mode) => {
    server = await startServer();
    const lines = await runPython([path.join(__dirname, 'clients', 'python_chat.py'), server.url, `py_${mode}`, mode]);
    const steps = Object.fromEntries(lines.map((line) => [line[0], line[1]]));
    if (mode === 'tutorial') expect(steps.login).toMatchObject({ ok: true, user: { name: 'py_tutorial', displayName: 'py_tutorial' } });
    else expect(steps.session).toMatchObject({ user: { name: 'py_auth', displayName: 'py_auth' }, token: expect.any(String) });
    expect(steps.sendMsg).toMatchObject({ ok: true, message: { from: `py_${mode}` } });
    expect(steps.allmessage).toEqual(steps.sendMsg.message);
    expect(steps.transport).toBe(mode === 'auth' ? 'websocket' : 'polling');
    const history = await ack(await server.connect(), 'history', {});
    expect(history.ok && history.messages).toEqual([steps.sendMsg.message]);
  }, 30_000);
});

function runsOk(command: string, args: string[]): boolean {
  const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
  return spawnSync(command, args, { stdio: 'ignore' }).status === 0;
}

/** Runs the Python client; resolves with its JSON lines, rejects with its stderr if it fails. */
function runPython(args: string[]): Promise<Array<[string, any]>> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`python client exited ${code}: ${stderr}${stdout}`));
      try {
        resolve(stdout.trim().split('\n').map((line) => JSON.parse(line)));
      } catch (err) {
        reject(new Error(`python client printed something else than JSON lines (${String(err)}): ${stdout}`));
      }
    });
  });
}
