/**
 * The client library's delivery guarantee (docs/client.md, "The guarantee"): every message reaches the
 * application once, whichever routes it comes by, across reconnections; live messages that arrive before a
 * catch-up is done do not move the cursor; a cursor behind the retention window resets and goes on. Real
 * server, real socket.io-client; the network's faults come from a TCP proxy between them.
 */
import { prune } from '../../src/app';
import { nameKey } from '../../src/names';
import type { PublicMessage } from '../../src/protocol';
import { SqliteStore } from '../../src/store/sqlite';
import { gatedStore } from '../gated-store';
import { ack, next, startServer, within, type Client, type TestServer } from '../helpers';
import { TcpProxy } from '../tcp-proxy';
import { Clients, repeats, texts, until } from './harness';

const clients = new Clients();
const opened: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await clients.closeAll();
  for (const thing of opened.splice(0).reverse()) await thing.close();
});

async function serverWithProxy(...args: Parameters<typeof startServer>): Promise<{ server: TestServer; proxy: TcpProxy; via: string }> {
  const server = await startServer(...args);
  opened.push(server);
  const proxy = await TcpProxy.start(Number(new URL(server.url).port));
  opened.push(proxy);
  return { server, proxy, via: `http://127.0.0.1:${proxy.port}` };
}

/** The connection through `proxy` is cut, and new ones are refused until `heal`. */
async function away(proxy: TcpProxy): Promise<void> {
  proxy.block();
  await proxy.cut();
}

test('each message reaches the application once, whichever routes it comes by, across reconnections', async () => {
  const { server, proxy, via } = await serverWithProxy();
  const alice = await clients.user(server.url, 'alice');
  const bob = await clients.user(via, 'bob');

  // A public message comes back to its sender live and in its ack; a private one to the sender in its ack only.
  const hello = await alice.client.send('hello');
  const psst = await alice.client.sendPrivate('bob', 'psst');
  if (!hello.ok || !psst.ok) throw new Error('a send failed');
  await until(bob, () => bob.messages.length >= 2, 'bob got both');

  // Bob is away while a public and a private message are sent. Back, the private one comes twice: resent at his
  // login (nobody confirmed it) and by his sync; the public one by sync.
  await away(proxy);
  await alice.client.send('while away');
  await alice.client.sendPrivate('bob', 'missed you');
  proxy.heal();
  await until(bob, () => bob.messages.length >= 4 && bob.client.caughtUp, 'bob caught up');

  // The server ends his connection: Socket.IO would not reconnect by itself then; the library does.
  server.app.io.in(bob.client.socket.id!).disconnectSockets(true);
  await until(bob, () => bob.synced === 3, 'bob back after the server let go');
  await alice.client.send('after the server let go');
  await until(bob, () => bob.messages.length >= 5, 'bob got the last one');

  const all = ['hello', 'psst', 'while away', 'missed you', 'after the server let go'];
  expect(texts(bob)).toEqual(all);
  await until(alice, () => alice.messages.length >= 5, 'alice holds all five');
  expect(texts(alice)).toEqual(all);
  for (const person of [alice, bob]) expect(repeats(person)).toEqual([]);
  expect(bob.messages.map((m) => m.kind)).toEqual(['public', 'private', 'public', 'private', 'public']);
  expect(bob.messages[1]).toMatchObject({ kind: 'private', with: 'alice', mine: false });
  expect(alice.messages[1]).toMatchObject({ kind: 'private', with: 'bob', mine: true, clientId: expect.any(String) });
  expect(bob.synced).toBe(3);
});

test('live messages that arrive before the catch-up is done do not move the cursor past what was missed', async () => {
  const gates = gatedStore(SqliteStore.open(':memory:'));
  const { server, proxy, via } = await serverWithProxy({}, { store: gates.store });
  const resumer = await clients.user(via, 'resumer');
  const { client: talker } = await server.login('talker');
  await ack(talker, 'sendMsg', { text: 'held before leaving' });
  await until(resumer, () => resumer.messages.length === 1, 'the first message');

  await away(proxy);
  for (const text of ['missed 1', 'missed 2']) await ack(talker, 'sendMsg', { text });

  // Back and logged in, its sync held while a message arrives live; then the connection ends before the sync is
  // answered. The next connection must still sync from before the missed messages.
  const resumerId = (await server.app.services.store.findUser(nameKey('resumer')))!.id;
  const syncing = gates.gate('since', (reader: number | undefined) => reader === resumerId);
  opened.push({ close: async () => syncing.open() }); // before the server closes, should the test fail first
  proxy.heal();
  await syncing.arrived();
  const arrived = next(resumer.client.socket as unknown as Client, 'allmessage', (m) => m.text === 'live before the sync');
  await ack(talker, 'sendMsg', { text: 'live before the sync' });
  await arrived;
  expect(texts(resumer)).toEqual(['held before leaving']); // held back until the catch-up
  await away(proxy);
  syncing.open();
  proxy.heal();

  await until(resumer, () => resumer.messages.length === 4 && resumer.client.caughtUp, 'the resumer caught up');
  expect(texts(resumer)).toEqual(['held before leaving', 'missed 1', 'missed 2', 'live before the sync']);
  expect(repeats(resumer)).toEqual([]);
});

test('a cursor behind the retention window resets: the application is told, and messages flow again', async () => {
  let clock = 1_000_000;
  const { server, proxy, via } = await serverWithProxy({ retentionMs: 1000 }, { now: () => clock });
  const reader = await clients.user(via, 'reader');
  const { client: talker } = await server.login('talker');
  await ack(talker, 'sendMsg', { text: 'before' });
  await until(reader, () => reader.messages.length === 1, 'the first message');

  await away(proxy);
  await ack(talker, 'sendMsg', { text: 'pruned while away' });
  clock += 5000;
  const kept = await ack(talker, 'sendMsg', { text: 'kept' });
  expect(await prune(server.app.services)).toBe(2);
  const resets = new Promise<void>((resolve) => reader.client.on('reset', resolve));
  proxy.heal();
  await within(resets, 'the reset');
  await until(reader, () => reader.client.caughtUp, 'caught up after the reset');
  // After a reset the cursor starts again at the newest public message: older ones are history.
  expect(reader.client.cursor).toBe((kept as { message: PublicMessage }).message.id);

  await ack(talker, 'sendMsg', { text: 'after' });
  await until(reader, () => reader.messages.length === 2, 'the next message');
  expect(texts(reader)).toEqual(['before', 'after']);
  expect(reader.resets).toBe(1);
});
