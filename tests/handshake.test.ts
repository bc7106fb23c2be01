/**
 * Login in the Socket.IO handshake (`io(url, { auth })`, issue 9): the socket is logged in before any of its
 * packets is handled; refusals come back as `connect_error` with the same codes as acks.
 */
import path from 'node:path';
import { io, type ManagerOptions, type SocketOptions } from 'socket.io-client';
import { createApp, type ChatApp } from '../src/app';
import { testConfig } from '../src/config';
import type { SessionInfo } from '../src/protocol';
import { MemoryPresence } from '../src/presence/memory';
import { SqliteStore } from '../src/store/sqlite';
import { gatedStore } from './gated-store';
import { ack, closeClient, flush, next, record, startServer, within, type Client, type TestServer } from './helpers';
import { ResumingClient } from './resuming-client';
import { tempDir } from './tmpdir';

let server: TestServer;
afterEach(() => server?.close());

const opened: Client[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map(closeClient));
});

/** A client with handshake auth; resolves with its `session` event, or rejects with the connect_error. */
function connectWith(url: string, auth: Record<string, unknown>, options: Partial<ManagerOptions & SocketOptions> = {}) {
  const client: Client = io(url, { transports: ['websocket'], forceNew: true, reconnection: false, auth, ...options });
  opened.push(client);
  const session = new Promise<SessionInfo>((resolve, reject) => {
    client.once('session', resolve);
    client.once('connect_error', reject);
  });
  return { client, session: within(session, 'the handshake') };
}

test('session is the first event of a handshake login, even while presence is slow and messages flow (issue 16)', async () => {
  // Presence answering after a few milliseconds, as Redis does in a cluster: the binding that waits for it
  // must not let the socket receive broadcasts before its session.
  const presence = new MemoryPresence();
  const slowAdd = presence.add.bind(presence);
  presence.add = async (user, socketId) => {
    await new Promise((resolve) => setTimeout(resolve, 5));
    return slowAdd(user, socketId);
  };
  server = await startServer({}, { presence });
  const { client: writer } = await server.login('flow');
  let flowing = true;
  const writing = (async () => {
    for (let i = 0; flowing; i++) await ack(writer, 'sendMsg', { text: `flowing ${i}` });
  })();
  const firsts: string[] = [];
  try {
    for (let i = 0; i < 10; i++) {
      const client: Client = io(server.url, { transports: ['websocket'], forceNew: true, reconnection: false, autoConnect: false, auth: { username: `first${i}` } });
      opened.push(client);
      const first = new Promise<string>((resolve) => client.onAny((event: string) => resolve(event)));
      client.connect();
      firsts.push(await within(first, `the first event of login ${i}`));
    }
  } finally {
    flowing = false;
    await writing;
  }
  expect(firsts).toEqual(Array(10).fill('session'));
});

test('auth {username} logs in during the handshake: a session event, then events need no login', async () => {
  server = await startServer();
  const { client, session } = connectWith(server.url, { username: 'ann' });
  expect(await session).toEqual({ user: { name: 'ann', displayName: 'ann' }, token: expect.any(String), sessionId: expect.any(String), online: ['ann'], onlineCount: 1, blocked: [] });
  expect(await ack(client, 'sendMsg', { text: 'no login event needed' })).toMatchObject({ ok: true, message: { from: 'ann' } });
});

test('auth {username, token} and auth {token} open the same user; a wrong or unknown token is refused', async () => {
  server = await startServer();
  const first = await connectWith(server.url, { username: 'bea' }).session;
  const again = await connectWith(server.url, { username: 'BEA', token: first.token }).session;
  expect(again).toMatchObject({ user: { name: 'bea', displayName: 'bea' }, token: first.token });
  const byToken = await connectWith(server.url, { token: first.token }).session;
  expect(byToken).toMatchObject({ user: { name: 'bea', displayName: 'bea' }, token: first.token, onlineCount: 1 });

  await expect(connectWith(server.url, { username: 'bea', token: 'wrong' }).session).rejects.toMatchObject({
    message: expect.stringContaining('taken'),
    data: { code: 'username_taken', message: expect.any(String) },
  });
  await expect(connectWith(server.url, { token: 'no-such-token' }).session).rejects.toMatchObject({ data: { code: 'unauthorized' } });
});

test('bad auth payloads are refused with the codes an ack would carry', async () => {
  server = await startServer();
  await expect(connectWith(server.url, { username: 'a b' }).session).rejects.toMatchObject({ data: { code: 'invalid_username' } });
  await expect(connectWith(server.url, { username: 'ok', admin: true }).session).rejects.toMatchObject({ data: { code: 'invalid_payload' } });
  await expect(connectWith(server.url, { username: 42 }).session).rejects.toMatchObject({ data: { code: 'invalid_username' } });
  // No auth at all is an anonymous connection, as before.
  const anonymous = await server.connect();
  expect(await ack(anonymous, 'history', {})).toEqual({ ok: true, messages: [], hasMore: false });
});

test('a client that leaves during the handshake does not keep a name it claimed', async () => {
  const gates = gatedStore(SqliteStore.open(':memory:'));
  server = await startServer({}, { store: gates.store });
  const held = gates.gate('createUser', (user: { key: string }) => user.key === 'quitter');
  const engineClosed = new Promise<void>((resolve) =>
    server.app.io.engine.once('connection', (raw: { once(event: 'close', listener: () => void): void }) => raw.once('close', () => resolve())),
  );
  const client: Client = io(server.url, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { username: 'quitter' } });
  opened.push(client);
  await held.arrived();
  const released = gates.gate('releaseUser', () => true);
  client.disconnect(); // closes the connection while the claim waits in the store
  await within(engineClosed, 'the server seeing the connection close');
  held.open();
  await released.arrived(); // the claim found its connection gone and gives the name back
  await released.open(); // once given back
  expect(await ack(await server.connect(), 'login', { username: 'quitter' })).toMatchObject({ ok: true });
});

describe('messages written while the server was down', () => {
  const tmp = tempDir('chat-buffered-');
  afterAll(() => tmp.cleanup());
  let app: ChatApp | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  /** Starts (or restarts) the server on `port` with the same database file. */
  async function start(file: string, port = 0): Promise<string> {
    app = createApp(testConfig({ port, storage: { kind: 'sqlite', path: path.join(tmp.dir, file), synchronous: 'full' } }));
    return `http://127.0.0.1:${await app.listen()}`;
  }

  /** Three messages emitted by `writer` while the server is down, then the server back on the same port. */
  async function writeWhileDown(file: string, writer: (url: string) => Client, name: string) {
    const url = await start(file);
    const watcher = new ResumingClient(url, 'watcher');
    const client = writer(url);
    opened.push(client);
    // Listening before anything can arrive: with handshake auth the welcome comes right after connecting,
    // perhaps before the watcher is ready.
    const welcomed = new Promise((resolve) => client.once('msg1', resolve));
    const echoed = record(client, 'allmessage'); // every public message the writer gets, to count them
    try {
      await watcher.whenReady();
      await within(welcomed, `${name} welcomed`);
      const down = new Promise<void>((resolve) => client.once('disconnect', () => resolve()));
      await app!.close();
      await within(down, `${name} noticing the server is down`);
      for (let i = 1; i <= 3; i++) client.emit('sendMsg', { text: `offline ${i}` }); // buffered by socket.io-client
      const echoes = [1, 2, 3].map((i) => next(client, 'allmessage', (m) => m.text === `offline ${i}`));
      await start(file, Number(new URL(url).port));
      for (const echo of echoes) expect(await echo).toMatchObject({ from: name });
      const stored = await ack(client, 'history', {});
      expect(stored.ok && stored.messages.map((m) => `${m.from}: ${m.text}`)).toEqual([1, 2, 3].map((i) => `${name}: offline ${i}`));
      // The watcher (which resumes with sync) holds each exactly once (live or by sync, whichever came first).
      await watcher.whenHolding(3, 5000);
      const held = [...watcher.held.values()].sort((a, b) => a.id - b.id);
      expect(held.map((m) => m.text)).toEqual(['offline 1', 'offline 2', 'offline 3']);
      expect(watcher.duplicates).toBe(0);
      // And the writer got each back exactly once: everything sent to it so far has arrived after this round trip.
      await flush(client);
      const times = (text: string) => echoed.filter((m) => m.text === text).length;
      expect([1, 2, 3].map((i) => times(`offline ${i}`))).toEqual([1, 1, 1]);
    } finally {
      watcher.close();
    }
  }

  const reconnecting: Partial<ManagerOptions & SocketOptions> = {
    transports: ['websocket'],
    forceNew: true,
    reconnectionDelay: 50,
    reconnectionDelayMax: 200,
  };

  test('with handshake auth: stored and delivered once, as the user, after it comes back', async () => {
    await writeWhileDown(
      'auth.db',
      (url) => {
        const client: Client = io(url, { ...reconnecting, auth: { username: 'hazel' } });
        // As documented: keep the token, and reconnect with it.
        client.on('session', (info) => (client.auth = { username: 'hazel', token: info.token }));
        return client;
      },
      'hazel',
    );
  });

  test('with the tutorial\'s login in the connect handler: the same', async () => {
    await writeWhileDown(
      'tutorial.db',
      (url) => {
        const client: Client = io(url, reconnecting);
        client.on('connect', () => client.emit('login', { id: 'ivo' }));
        return client;
      },
      'ivo',
    );
  });
});
