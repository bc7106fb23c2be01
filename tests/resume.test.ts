/** Idempotent sends, sync after an absence, and reset beyond retention (issue: no message lost). */
import type { ChatMessage } from '../src/protocol';
import { prune } from '../src/app';
import { loadConfig } from '../src/config';
import { nameKey } from '../src/names';
import { ABUSE_REFUSALS } from '../src/realtime/session';
import { SqliteStore } from '../src/store/sqlite';
import { gatedStore } from './gated-store';
import { WAIT_MS, ack, closeClient, flush, next, onceSocketClosed, record, startServer, within, type Client, type TestServer } from './helpers';
import { ResumingClient } from './resuming-client';

let server: TestServer;
let clock = 1_000_000;
beforeEach(async () => {
  clock = 1_000_000;
  server = await startServer({ retentionMs: 1000 }, { now: () => clock });
});
afterEach(() => server.close());

test('a retried send with the same clientId is stored once and acks the original', async () => {
  const { client } = await server.login('retrier');
  const first = await ack(client, 'sendMsg', { text: 'only once', clientId: 'c-1' });
  const retry = await ack(client, 'sendMsg', { text: 'only once', clientId: 'c-1' });
  expect(retry).toEqual(first);
  const { client: other } = await server.login('other');
  const p1 = await ack(client, 'privateMsg', { to: 'other', text: 'private once', clientId: 'c-2' });
  const p2 = await ack(client, 'privateMsg', { to: 'other', text: 'private once', clientId: 'c-2' });
  expect(p2.ok && p2.message).toEqual(p1.ok && p1.message);
  expect(await ack(client, 'history', {})).toMatchObject({ messages: [{ text: 'only once' }] });
  expect(await ack(other, 'history', { with: 'retrier' })).toMatchObject({ messages: [{ text: 'private once' }] });
});

test('two tabs of one user send the same clientId at the same moment: stored once, broadcast once, both acked with it', async () => {
  const { client: tab1, res } = await server.login('twotabs');
  const tab2 = await server.connect();
  await ack(tab2, 'login', { username: 'twotabs', token: res.token });
  const watcher = await server.connect();
  const broadcasts = record(watcher, 'allmessage');
  // Different sockets have separate queues, so these two really run concurrently on the server.
  const payload = { text: 'clicked in two tabs', clientId: 'same-id-1' };
  const [a, b] = await Promise.all([ack(tab1, 'sendMsg', payload), ack(tab2, 'sendMsg', payload)]);
  expect(a).toEqual(b);
  expect(a.ok).toBe(true);
  const priv = { to: 'twotabs', text: 'a note to self, twice', clientId: 'same-id-2' };
  const [c, d] = await Promise.all([ack(tab1, 'privateMsg', priv), ack(tab2, 'privateMsg', priv)]);
  expect(c.ok && c.message).toEqual(d.ok && d.message);
  await flush(watcher);
  expect(broadcasts).toEqual([a.ok && a.message]);
  const history = await ack(tab1, 'history', {});
  expect(history.ok && history.messages).toEqual([a.ok && a.message]);
  const notes = await ack(tab1, 'history', { with: 'twotabs' });
  expect(notes.ok && notes.messages).toEqual([c.ok && c.message]);
});

test('an ack lost with the connection: the retry on a new connection does not duplicate', async () => {
  const { client, res } = await server.login('dropper');
  const watcher = await server.connect();
  const broadcast = next(watcher, 'allmessage');
  client.emit('sendMsg', { text: 'sent, then the line dropped', clientId: 'lost-ack-2' }, () => undefined);
  const stored = await broadcast; // committed and broadcast...
  await closeClient(client); // ...and the sender went away without looking at its ack

  const again = await server.connect();
  await ack(again, 'login', { username: 'dropper', token: res.token });
  const retry = await ack(again, 'sendMsg', { text: 'sent, then the line dropped', clientId: 'lost-ack-2' });
  expect(retry).toEqual({ ok: true, message: stored });
  const history = await ack(again, 'history', {});
  expect(history.ok && history.messages).toEqual([stored]);
});

test('a client back after an absence gets exactly what it missed with sync, public and its own private', async () => {
  const { client: away, res } = await server.login('away');
  const { client: talker } = await server.login('talker');
  await server.login('third');
  const seen = await ack(talker, 'sendMsg', { text: 'seen before leaving' });
  const cursor = seen.ok ? seen.message.id : 0;
  await closeClient(away);

  const missed: ChatMessage[] = [];
  for (let i = 0; i < 7; i++) {
    const pub = await ack(talker, 'sendMsg', { text: `public ${i}` });
    const priv = await ack(talker, 'privateMsg', { to: 'away', text: `private ${i}` });
    await ack(talker, 'privateMsg', { to: 'third', text: `not for away ${i}` });
    if (pub.ok) missed.push(pub.message);
    if (priv.ok) missed.push(priv.message);
  }

  const back = await server.connect();
  await ack(back, 'login', { username: 'away', token: res.token });
  const received = await syncAll(back, cursor, 4);
  expect(received).toEqual(missed);
  expect(await ack(back, 'sync', { after: missed[missed.length - 1].id })).toEqual({
    ok: true,
    messages: [],
    changes: [],
    hasMore: false,
    reset: false,
  });
  // Without login, sync sees public messages only.
  const anonymous = await syncAll(await server.connect(), cursor, 500);
  expect(anonymous.map((m) => m.text)).toEqual(missed.filter((m) => !('to' in m)).map((m) => m.text));
});

test('a client behind the retention window is told to reset', async () => {
  const { client } = await server.login('old');
  const early = await ack(client, 'sendMsg', { text: 'soon pruned' });
  await ack(client, 'sendMsg', { text: 'also pruned' });
  clock += 5000;
  const kept = await ack(client, 'sendMsg', { text: 'kept' });
  expect(await prune(server.app.services)).toBe(2);
  const before = early.ok ? early.message.id - 1 : 0;
  expect(await ack(client, 'sync', { after: before })).toEqual({ ok: true, messages: [], changes: [], hasMore: false, reset: true });
  const keptId = kept.ok ? kept.message.id : 0;
  const upToDate = await ack(client, 'sync', { after: keptId - 1 });
  expect(upToDate).toMatchObject({ ok: true, reset: false, messages: [{ text: 'kept' }] });
});

test('a live message on the new connection before its sync does not move the cursor past what was missed', async () => {
  const gates = gatedStore(SqliteStore.open(':memory:'));
  const gatedServer = await startServer({}, { store: gates.store });
  const resumer = new ResumingClient(gatedServer.url, 'resumer');
  try {
    await resumer.whenReady();
    const { client: talker } = await gatedServer.login('talker');
    await ack(talker, 'sendMsg', { text: 'held before leaving' });
    await resumer.whenHolding(1, WAIT_MS);
    const id = resumer.socket.id!;
    resumer.socket.disconnect();
    await onceSocketClosed(gatedServer, id);
    for (const text of ['missed 1', 'missed 2']) await ack(talker, 'sendMsg', { text });

    // Back, but its login (and so its sync) is held while a public message arrives live on the new connection.
    const resumerId = (await gatedServer.app.services.store.findUser(nameKey('resumer')))!.id;
    const login = gates.gate('touchUser', (userId: number) => userId === resumerId);
    const ready = resumer.whenReady(); // the next connection's (the disconnect renewed it)
    resumer.socket.connect();
    await login.arrived();
    await ack(talker, 'sendMsg', { text: 'live before the sync' });
    await resumer.whenHolding(2, WAIT_MS);
    login.open();
    await within(ready, 'the resumer caught up');

    const held = [...resumer.held.values()].sort((a, b) => a.id - b.id).map((m) => m.text);
    expect(held).toEqual(['held before leaving', 'missed 1', 'missed 2', 'live before the sync']);
    expect(resumer.duplicates).toBe(0);
  } finally {
    resumer.close();
    await gatedServer.close();
  }
});

test('a resuming sender refused for sending too fast waits as told and is never cut off for flooding', async () => {
  const defaults = loadConfig({}).rateLimits;
  const limited = await startServer({ rateLimits: { ...defaults, enabled: true, messagesBurst: { points: 4, seconds: 1 } } });
  const sender = new ResumingClient(limited.url, 'hasty');
  try {
    await sender.whenReady();
    const deadline = Date.now() + 15_000;
    for (let i = 0; i < 12; i++) await sender.send({ text: `hasty ${i}`, clientId: `hasty-${i}` }, deadline);
    expect(sender.refusals).toBeGreaterThan(0); // the limit was really met…
    expect(sender.refusals).toBeLessThan(ABUSE_REFUSALS); // …and answered with waits, not a burst of retries
    expect(sender.connects).toBe(1); // never disconnected for flooding
    const stored = await ack(await limited.connect(), 'history', {});
    expect(stored.ok && stored.messages.map((m) => m.text)).toEqual(Array.from({ length: 12 }, (_, i) => `hasty ${i}`));
  } finally {
    sender.close();
    await limited.close();
  }
});

/** Runs the documented resume loop: sync pages until hasMore is false. */
async function syncAll(client: Client, after: number, limit: number): Promise<ChatMessage[]> {
  const all: ChatMessage[] = [];
  let cursor = after;
  for (let page = 0; page < 100; page++) {
    const res = await ack(client, 'sync', { after: cursor, limit });
    if (!res.ok || res.reset) throw new Error(`sync failed: ${JSON.stringify(res)}`);
    all.push(...res.messages);
    if (!res.hasMore) return all;
    cursor = res.messages[res.messages.length - 1].id;
  }
  throw new Error('sync never finished');
}
