/**
 * The classic tutorial's client must keep working against this server: its event names and payloads, no acks,
 * no token kept, `login {id}` from the `connect` handler (issue 9: also across reconnects, restarts, tabs).
 */
import path from 'node:path';
import { io } from 'socket.io-client';
import { createApp, type ChatApp } from '../src/app';
import { testConfig, type Config } from '../src/config';
import type { PublicMessage } from '../src/protocol';
import { ack, closeClient, disconnectSettled, next, startServer, within, type Client, type TestServer } from './helpers';
import { TcpProxy } from './tcp-proxy';
import { tempDir } from './tmpdir';

let server: TestServer;
afterEach(() => server?.close());

/** A client written the tutorial's way: logs in with `{ id }` on every connect and never uses acks. */
function tutorialClient(url: string, id: string): Client {
  const client: Client = io(url, { transports: ['websocket'], forceNew: true, reconnectionDelay: 50, reconnectionDelayMax: 200 });
  client.on('connect', () => client.emit('login', { id }));
  return client;
}

/** Resolves with the next public message from `from` with text `text` at `client`. */
function arrives(client: Client, from: string, text: string): Promise<PublicMessage> {
  return next(client, 'allmessage', (m) => m.from === from && m.text === text);
}

test('connect, login {id}, sendMsg {newAccount} without acks: allmessage reaches every client, msg1 arrives', async () => {
  server = await startServer();
  const a = await server.connect();
  const b = await server.connect();
  const welcome = next(a, 'msg1', (n) => n.type === 'welcome');
  const atA = next(a, 'allmessage');
  const atB = next(b, 'allmessage');

  // Exactly what the tutorial's page does: fire and forget, no acks, no waiting between events.
  a.emit('login', { id: 'tom' });
  a.emit('sendMsg', { newAccount: 'hello from the tutorial' });

  expect((await welcome).text).toContain('tom');
  for (const message of [await atA, await atB]) {
    expect(message).toEqual({ id: expect.any(Number), from: 'tom', fromName: 'tom', text: 'hello from the tutorial', ts: expect.any(Number) });
  }
});

test('works over HTTP long-polling as well as WebSocket', async () => {
  server = await startServer();
  const a = await server.connect({ transports: ['polling'] });
  const got = next(a, 'allmessage');
  a.emit('login', { id: 'poller' });
  a.emit('sendMsg', { newAccount: 'over polling' });
  expect((await got).text).toBe('over polling');
  expect(a.io.engine.transport.name).toBe('polling');
});

test('the tutorial order, sendMsg right after io() and login in the connect handler, loses nothing', async () => {
  server = await startServer();
  const watcher = await server.connect();
  const first = arrives(watcher, 'early', 'written before the connection was up');
  const client = tutorialClient(server.url, 'early');
  client.emit('sendMsg', { newAccount: 'written before the connection was up' });
  expect(await first).toMatchObject({ from: 'early' });
  await closeClient(client);
});

test('a second tab of a tutorial user is the same user: private messages reach both tabs', async () => {
  server = await startServer();
  const tab1 = tutorialClient(server.url, 'tom');
  const tab2 = tutorialClient(server.url, 'tom');
  const { client: sam } = await server.login('sam');
  // Both tabs are logged in once their messages come back as tom's.
  const said = [arrives(sam, 'tom', 'tab 1 here'), arrives(sam, 'tom', 'tab 2 here')];
  tab1.emit('sendMsg', { newAccount: 'tab 1 here' });
  tab2.emit('sendMsg', { newAccount: 'tab 2 here' });
  await Promise.all(said);
  const atTabs = [next(tab1, 'privateMsg'), next(tab2, 'privateMsg')];
  expect(await ack(sam, 'privateMsg', { to: 'tom', text: 'to every tab of tom' })).toMatchObject({ ok: true, delivered: true });
  for (const got of await Promise.all(atTabs)) expect(got).toMatchObject({ from: 'sam', to: 'tom', text: 'to every tab of tom' });
  await Promise.all([closeClient(tab1), closeClient(tab2)]);
});

describe('across a network cut and a server restart', () => {
  const tmp = tempDir('chat-tutorial-');
  afterAll(() => tmp.cleanup());
  let app: ChatApp | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  test('a tutorial client keeps its name and keeps chatting', async () => {
    const config: Partial<Config> = { storage: { kind: 'sqlite', path: path.join(tmp.dir, 'chat.db'), synchronous: 'full' } };
    app = createApp(testConfig(config));
    const port = await app.listen();
    const url = `http://127.0.0.1:${port}`;
    // Tom reaches the server through a proxy, so that his network can vanish under him.
    const proxy = await TcpProxy.start(port);
    const watcher: Client = io(url, { transports: ['websocket'], forceNew: true, reconnectionDelay: 50, reconnectionDelayMax: 200 });
    await within(new Promise((resolve) => watcher.once('connect', () => resolve(undefined))), 'the watcher connecting');
    const tom = tutorialClient(`http://127.0.0.1:${proxy.port}`, 'tom');
    try {
      const hello = arrives(watcher, 'tom', 'hello');
      tom.emit('sendMsg', { newAccount: 'hello' });
      await hello;

      // A silent network cut: tom's connection stops carrying anything and the server hears nothing, so it
      // still has tom online on the old socket. Tom's client gives up on it (as its heartbeat would) and
      // reconnects, and logs in again by itself, while the old socket still holds the name.
      const oldSocket = app.io.of('/').sockets.get(tom.id!)!;
      proxy.silence();
      const back = new Promise<void>((resolve) => tom.io.once('reconnect', () => resolve()));
      tom.io.engine.close();
      await within(back, 'tom reconnecting');
      const afterCut = arrives(watcher, 'tom', 'after the cut');
      tom.emit('sendMsg', { newAccount: 'after the cut' });
      expect(await afterCut).toMatchObject({ from: 'tom' });
      expect(oldSocket.connected && oldSocket.data.user?.name).toBe('tom'); // the cut really went unnoticed
      // Tom's new socket is tom: a private message reaches it.
      const privately = next(tom, 'privateMsg');
      await ack(watcher, 'login', { username: 'ann' });
      expect(await ack(watcher, 'privateMsg', { to: 'tom', text: 'still you?' })).toMatchObject({ ok: true });
      expect(await privately).toMatchObject({ from: 'ann', text: 'still you?' });
      // The dead connection ends at last (as a TCP timeout would end it), taking tom's new one with it: tom
      // reconnects once more. (Until then the server's close would wait for it, up to the WebSocket close timeout.)
      const again = new Promise<void>((resolve) => tom.io.once('reconnect', () => resolve()));
      await proxy.cut();
      await within(again, 'tom reconnecting after the dead connection ended');

      // A server restart on the same port and file. What tom writes meanwhile is buffered by its client and
      // sent once it is back, just before its login: it must be stored as tom's, once.
      const down = new Promise<void>((resolve) => tom.once('disconnect', () => resolve()));
      await app.close();
      await within(down, 'tom noticing the server is down');
      tom.emit('sendMsg', { newAccount: 'after the restart' });
      const echoed = arrives(tom, 'tom', 'after the restart'); // every client, the sender too, gets it once stored
      app = createApp(testConfig({ ...config, port }));
      await app.listen();
      await echoed;
      const history = await ack(watcher, 'history', {});
      expect(history.ok && history.messages.map((m) => `${m.from}: ${m.text}`)).toEqual([
        'tom: hello',
        'tom: after the cut',
        'tom: after the restart',
      ]);
    } finally {
      await Promise.all([closeClient(tom), closeClient(watcher)]);
      await proxy.close();
    }
  });
});

describe('names', () => {
  let clock = Date.UTC(2026, 0, 1);
  beforeEach(() => {
    clock = Date.UTC(2026, 0, 1);
  });

  test('a name whose owner keeps its token cannot be taken by a token-less login, online or not', async () => {
    server = await startServer({}, { now: () => clock });
    const { client: alice } = await server.login('alice');
    const intruder = await server.connect();
    expect(await ack(intruder, 'login', { id: 'alice' })).toMatchObject({ ok: false, error: { code: 'username_taken' } });
    await disconnectSettled(server, alice);
    clock += 29 * 24 * 3600 * 1000;
    expect(await ack(intruder, 'login', { id: 'alice' })).toMatchObject({ ok: false, error: { code: 'username_taken' } });
  });

  test('a tutorial name is held for the grace period after its last connection, then claimed anew', async () => {
    server = await startServer({ legacyGraceMs: 60_000 }, { now: () => clock });
    const first = await server.connect();
    const claimed = await ack(first, 'login', { id: 'tom' });
    expect(claimed).toMatchObject({ ok: true, token: expect.any(String) });
    const { client: sam } = await server.login('sam');
    await ack(sam, 'privateMsg', { to: 'tom', text: 'for the first tom' });
    await disconnectSettled(server, first);
    // A token-keeping client cannot take it while it is held…
    expect(await ack(await server.connect(), 'login', { username: 'tom' })).toMatchObject({ error: { code: 'username_taken' } });
    // …a tutorial login within the grace is the same tom (no token to hand out: it joined a held name)…
    clock += 59_000;
    const again = await server.connect();
    const queued = next(again, 'privateMsg');
    const rejoined = await ack(again, 'login', { id: 'tom' });
    expect(rejoined).toEqual({ ok: true, user: { name: 'tom', displayName: 'tom' }, online: ['sam', 'tom'], onlineCount: 2, blocked: [] });
    expect(await queued).toMatchObject({ text: 'for the first tom' });
    await disconnectSettled(server, again);
    // …and after the grace, tom is someone new who cannot read the old tom's messages.
    clock += 61_000;
    const newcomer = await server.connect();
    expect(await ack(newcomer, 'login', { id: 'tom' })).toMatchObject({ ok: true, token: expect.any(String) });
    expect(await ack(newcomer, 'history', { with: 'sam' })).toEqual({ ok: true, messages: [], hasMore: false });
  });

  test('presenting the token once makes a tutorial name reserved for good', async () => {
    server = await startServer({ legacyGraceMs: 60_000 }, { now: () => clock });
    const first = await server.connect();
    const claimed = await ack(first, 'login', { id: 'kept' });
    const proof = await server.connect();
    expect(await ack(proof, 'login', { id: 'kept', token: claimed.ok ? claimed.token : '' })).toMatchObject({ ok: true });
    await disconnectSettled(server, first);
    await disconnectSettled(server, proof);
    clock += 3600_000;
    expect(await ack(await server.connect(), 'login', { id: 'kept' })).toMatchObject({ error: { code: 'username_taken' } });
  });

  test('when the owner secures a tutorial name, every connection that joined it without the token ends (issue 16)', async () => {
    server = await startServer({ legacyGraceMs: 60_000 });
    const owner = await server.connect();
    const claimed = await ack(owner, 'login', { id: 'tom' });
    if (!claimed.ok || !claimed.token) throw new Error('tom could not claim his name');
    const intruders = [await server.connect(), await server.connect({ transports: ['polling'] })];
    for (const intruder of intruders) expect(await ack(intruder, 'login', { id: 'tom' })).toMatchObject({ ok: true, user: { name: 'tom' } });
    const ended = intruders.map((intruder) => ({
      told: next(intruder, 'msg1', (n) => n.type === 'error' && n.code === 'username_taken'),
      gone: within(new Promise<string>((resolve) => intruder.once('disconnect', resolve)), 'an intruder being disconnected'),
    }));
    const { client: sam } = await server.login('sam');
    // tom presents his token (another tab, or the page keeping it): the name is reserved for good…
    const proof = await server.connect();
    expect(await ack(proof, 'login', { username: 'tom', token: claimed.token })).toMatchObject({ ok: true });
    // …and the connections that joined it without the token are told and disconnected; they cannot come back.
    for (const { told, gone } of ended) {
      expect(await told).toMatchObject({ code: 'username_taken' });
      expect(await gone).toBe('io server disconnect');
    }
    expect(await ack(await server.connect(), 'login', { id: 'tom' })).toMatchObject({ error: { code: 'username_taken' } });
    // The owner's connections stay: the one that claimed it (it was given the token) and the one that proved it.
    const atOwner = [owner, proof].map((c) => next(c, 'privateMsg', (m) => m.text === 'only for tom'));
    expect(await ack(sam, 'privateMsg', { to: 'tom', text: 'only for tom' })).toMatchObject({ ok: true, delivered: true });
    await Promise.all(atOwner);
    expect(owner.connected && proof.connected).toBe(true);
  });

  test('with LEGACY_LOGIN=off, {id} claims a name like {username}: a second token-less login is refused', async () => {
    server = await startServer({ legacyLogin: false });
    expect(await ack(await server.connect(), 'login', { id: 'strict' })).toMatchObject({ ok: true });
    expect(await ack(await server.connect(), 'login', { id: 'strict' })).toMatchObject({ error: { code: 'username_taken' } });
  });
});

describe('events sent before the login', () => {
  test('wait for the login and then run, in order, as that user', async () => {
    server = await startServer();
    const client = await server.connect();
    const acks = [1, 2, 3].map((i) => ack(client, 'sendMsg', { text: `before login ${i}` }));
    const login = await ack(client, 'login', { username: 'late' });
    expect(login.ok).toBe(true);
    const results = await Promise.all(acks);
    expect(results.map((r) => r.ok && `${r.message.from}: ${r.message.text}`)).toEqual([
      'late: before login 1',
      'late: before login 2',
      'late: before login 3',
    ]);
    const ids = results.map((r) => (r.ok ? r.message.id : 0));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
  });

  test('beyond the bound in number, the excess gets not_logged_in at once; the rest still waits', async () => {
    server = await startServer();
    const many = await server.connect();
    const waiting = Array.from({ length: 33 }, (_, i) => ack(many, 'sendMsg', { text: `m${i}` }));
    // The 33rd is refused at once; the first 32 wait for the login and go through.
    expect(await waiting[32]).toMatchObject({ ok: false, error: { code: 'not_logged_in' } });
    await ack(many, 'login', { username: 'many' });
    expect((await Promise.all(waiting.slice(0, 32))).every((r) => r.ok)).toBe(true);
  });

  test('beyond the bound in time, what waited gets not_logged_in, and nothing waits any more', async () => {
    server = await startServer({}, { preLoginWaitMs: 300 });
    const idle = await server.connect();
    expect(await ack(idle, 'typing', {})).toMatchObject({ ok: false, error: { code: 'not_logged_in' } });
    // The window is over (its end answered the event above): refused at once, even right before a login.
    const now = ack(idle, 'sendMsg', { text: 'too late' });
    await ack(idle, 'login', { username: 'idle' });
    expect(await now).toMatchObject({ ok: false, error: { code: 'not_logged_in' } });
  });
});
