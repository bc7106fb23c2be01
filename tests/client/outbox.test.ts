/**
 * The client library's outbox (client/outbox.ts): a send whose ack is lost goes again with the same clientId
 * and is stored once; a sender over the rate limit waits as the server says and is never cut off; messages
 * written while offline wait, and with a persistent store outlive the client (a reload); a refusal that will not
 * pass is final. Real server, real socket.io-client, a TCP proxy for the network.
 */
import { loadConfig } from '../../src/config';
import { ABUSE_REFUSALS } from '../../src/realtime/session';
import { memoryStore } from '../../client/index';
import { ack, next, startServer, within } from '../helpers';
import { Clients, closed, eachProxiedServer, repeats, texts, until } from './harness';

const clients = new Clients();
const env = eachProxiedServer(clients);

/** The public timeline as stored. */
async function stored(): Promise<string[]> {
  const res = await ack(await env.server.connect(), 'history', { limit: 100 });
  if (!res.ok) throw new Error(res.error.code);
  return res.messages.map((m) => m.text);
}

test('a send whose ack was lost goes again with the same clientId: stored once, and handed over once', async () => {
  const writer = await clients.user(env.via, 'writer');
  const watcher = await env.server.connect();
  const broadcast = next(watcher, 'allmessage', (m) => m.text === 'exactly once');
  env.proxy.dropReplies();
  const sending = writer.client.send('exactly once');
  const original = await broadcast; // stored and broadcast; the ack (and the echo) never reach the writer
  await env.proxy.cut(); // the line drops: the client reconnects and sends it again
  const res = await within(sending, 'the send acked');
  expect(res.ok && res.message).toMatchObject({ id: original.id, text: 'exactly once' });
  expect(await stored()).toEqual(['exactly once']);
  await until(writer, () => writer.client.caughtUp, 'caught up');
  expect(texts(writer)).toEqual(['exactly once']);
  expect(repeats(writer)).toEqual([]);
});

test('refused for sending too fast, it waits as the server says and is never cut off for flooding', async () => {
  const defaults = loadConfig({}).rateLimits;
  const limited = await startServer({ rateLimits: { ...defaults, enabled: true, messagesBurst: { points: 4, seconds: 1 } } });
  try {
    const hasty = await clients.user(limited.url, 'hasty');
    // What the entries held back say they wait for (the page words a rate limit's wait as such).
    const waitingFor = new Set<string>();
    hasty.client.on('outbox', (entries) => entries.forEach((e) => e.state === 'waiting' && waitingFor.add(e.error?.code ?? 'nothing')));
    const sent = Array.from({ length: 12 }, (_, i) => `hasty ${i}`);
    const results = await within(Promise.all(sent.map((text) => hasty.client.send(text))), 'every send acked', 15_000);
    expect(results.filter((r) => !r.ok)).toEqual([]);
    const refusals = (await limited.app.services.metrics.errors.get()).values.find((v) => v.labels.code === 'rate_limited')?.value ?? 0;
    expect(refusals).toBeGreaterThan(0); // the limit was really met…
    // …and answered with the server's waits: the first burst's sends in flight (4), then at most one refusal per
    // window of the limit (12 messages, 4 a window). A shorter wait of its own costs 14-15 here; a fixed 20 ms, 99.
    expect(refusals).toBeLessThanOrEqual(4 + 12 / 4);
    expect(refusals).toBeLessThan(ABUSE_REFUSALS);
    expect([...waitingFor]).toEqual(['rate_limited']);
    expect(hasty.synced).toBe(1); // never disconnected
    const history = await ack(await limited.connect(), 'history', {});
    expect(history.ok && history.messages.map((m) => m.text)).toEqual(sent); // in the order written
    expect(texts(hasty)).toEqual(sent);
  } finally {
    await clients.closeAll();
    await limited.close();
  }
});

test('messages written offline wait for the connection, and with a persistent store outlive the client', async () => {
  const stores = { sessionStore: memoryStore(), outboxStore: memoryStore() };
  const first = clients.make(env.via, stores);
  expect((await first.client.connect({ username: 'writer' })).ok).toBe(true);

  env.proxy.block();
  await env.proxy.cut();
  await until(first, () => first.client.status.status === 'reconnecting', 'cut off');
  // An entry that cannot go yet is reported all the same (the page draws it as waiting for the connection).
  const reported: string[][] = [];
  first.client.on('outbox', (entries) => reported.push(entries.map((e) => `${e.text}: ${e.state}`)));
  const offline = first.client.send('written offline');
  expect(reported).toEqual([['written offline: queued']]);
  await until(first, () => first.client.pending.length === 1 && first.client.status.status === 'reconnecting', 'waiting offline');
  env.proxy.heal();
  expect(await within(offline, 'sent once back')).toMatchObject({ ok: true, message: { text: 'written offline' } });

  // Offline again; this client goes away (a page reloaded, a process restarted) with two messages unsent.
  env.proxy.block();
  await env.proxy.cut();
  const lost = [first.client.send('before the reload'), first.client.sendPrivate('writer', 'a note to self')];
  await until(first, () => first.client.pending.length === 2, 'two waiting');
  await closed(first.client);
  expect((await Promise.all(lost)).map((r) => !r.ok && r.error.code)).toEqual(['closed', 'closed']);

  // The next client with the same stores is the same user, and sends them.
  env.proxy.heal();
  const second = clients.make(env.via, stores);
  expect(await within(second.client.connect(), 'the next client connected')).toMatchObject({ ok: true, user: { name: 'writer' } });
  await until(second, () => second.client.pending.length === 0 && second.messages.length === 2, 'the two sent');
  expect(texts(second)).toEqual(['before the reload', 'a note to self']);
  expect(await stored()).toEqual(['written offline', 'before the reload']);
  const notes = await second.client.history({ with: 'writer' });
  expect(notes.ok && notes.messages.map((m) => m.text)).toEqual(['a note to self']);
});

test('a refusal that will not pass is final: the send answers it, and the entry stays failed until retried or discarded', async () => {
  const writer = await clients.user(env.server.url, 'writer');
  // No room has that name: answered once, not retried.
  const toRoom = await within(writer.client.sendToRoom('lobby', 'anyone here?'), 'the refusal');
  expect(toRoom).toMatchObject({ ok: false, error: { code: 'unknown_room' } });
  const nobody = await within(writer.client.sendPrivate('nobody-here', 'hello?'), 'the refusal');
  expect(nobody).toMatchObject({ ok: false, error: { code: 'unknown_user' } });
  expect(writer.client.pending.map((e) => [e.text, e.state])).toEqual([
    ['anyone here?', 'failed'],
    ['hello?', 'failed'],
  ]);
  const failedId = writer.client.pending[1].clientId;
  expect(writer.client.retry(failedId)).toBe(true);
  await until(writer, () => writer.client.pending[1]?.state === 'failed', 'refused again');
  expect(writer.client.discard(failedId)).toBe(true);
  expect(writer.client.discard(writer.client.pending[0].clientId)).toBe(true);
  expect(writer.client.pending).toEqual([]);
  expect(await stored()).toEqual([]);
});
