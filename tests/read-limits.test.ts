/**
 * What one client may read, and hold open (issue 16): `users` comes a page at a time; reads (`users`,
 * `history`, `sync`) count against their socket and their address, with the HTTP reads counting against the
 * address too; an address holds at most so many live connections. Ordinary use (the page connecting, catching
 * up and scrolling back) never meets the default limits. Each limit's own refusal is in event-limits.test.ts;
 * what the limits do to other people's acks is bench/reads.ts's figure.
 */
import { DEFAULT_USERS_PAGE, MAX_USERS_PAGE } from '../src/protocol';
import { EventEmitter, once } from 'node:events';
import { ack, within, type Client, type TestServer } from './helpers';
import { DEFAULT_LIMITS, retryAfter, useLimitedServer } from './limited-server';

const limited = useLimitedServer();

/** Disconnects `client` and resolves once the server's Engine.IO connection for it has closed. */
async function connectionClosed(server: TestServer, client: Client): Promise<void> {
  const engine = server.app.io.engine as unknown as { clients: Record<string, EventEmitter> };
  const raw = engine.clients[client.io.engine.id];
  const closed = once(raw, 'close');
  client.disconnect();
  await within(closed, 'the server closing the connection');
}

/** Creates `count` users straight in the store (a login each would take the test's time). */
async function fillUsers(server: TestServer, count: number): Promise<void> {
  const { store } = server.app.services;
  for (let i = 0; i < count; i++) {
    const name = `user${String(i).padStart(4, '0')}`;
    await store.createUser({ name, key: name, tokenHash: `t${i}`, now: Date.now(), provisional: false });
  }
}

test('users comes a page at a time, by name, with every user once across the pages; over HTTP the same', async () => {
  const server = await limited.start();
  await fillUsers(server, 250);
  const { client } = await server.login('zz-online');
  const first = await ack(client, 'users', {});
  expect(first).toMatchObject({ ok: true, hasMore: true });
  expect(first.ok && first.users).toHaveLength(DEFAULT_USERS_PAGE);
  const seen: string[] = [];
  for (let after: string | undefined; ; ) {
    const page = await ack(client, 'users', after === undefined ? { limit: 60 } : { after, limit: 60 });
    if (!page.ok) throw new Error(page.error.code);
    seen.push(...page.users.map((u) => `${u.name}:${u.online}`));
    if (!page.hasMore) break;
    after = page.users[page.users.length - 1].name;
  }
  const names = Array.from({ length: 250 }, (_, i) => `user${String(i).padStart(4, '0')}:false`);
  expect(seen).toEqual([...names, 'zz-online:true']);
  const capped = await ack(client, 'users', { limit: 10_000 });
  expect(capped.ok && capped.users).toHaveLength(Math.min(MAX_USERS_PAGE, 251));
  const http = (await (await fetch(`${server.url}/api/users?after=user0248&limit=5`)).json()) as unknown;
  expect(http).toEqual({ users: [{ name: 'user0249', displayName: 'user0249', online: false }, { name: 'zz-online', displayName: 'zz-online', online: true }], hasMore: false });
});

test('reads count against their socket and their address; HTTP reads against the address (429, Retry-After)', async () => {
  const server = await limited.start({ readsPerSocket: { points: 3, seconds: 60 }, readsPerAddress: { points: 5, seconds: 60 } }, { trustProxy: true });
  const reads = (client: Client) => [ack(client, 'users', {}), ack(client, 'history', {}), ack(client, 'sync', { after: 0 })];
  const first = await limited.connectFrom('203.0.113.9');
  expect((await Promise.all(reads(first))).map((r) => r.ok)).toEqual([true, true, true]);
  // The socket's three are spent; its fourth is refused though its address has two left…
  expect(retryAfter(await ack(first, 'users', {}))).toBeGreaterThan(0);
  // …which another socket of the address uses, and then the address is out, for sockets and HTTP alike.
  const second = await limited.connectFrom('203.0.113.9');
  expect((await Promise.all(reads(second))).map((r) => (r.ok ? 'ok' : r.error.code))).toEqual(['ok', 'ok', 'rate_limited']);
  const refused = await fetch(`${server.url}/api/messages`, { headers: { 'x-forwarded-for': '203.0.113.9' } });
  expect(refused.status).toBe(429);
  expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(await refused.json()).toEqual({ error: { code: 'rate_limited', message: expect.any(String), retryAfterMs: expect.any(Number) } });
  expect((await fetch(`${server.url}/api/users`, { headers: { 'x-forwarded-for': '203.0.113.9' } })).status).toBe(429);
  // Another address reads as usual, over both.
  expect((await fetch(`${server.url}/api/users`, { headers: { 'x-forwarded-for': '198.51.100.4' } })).status).toBe(200);
  const other = await limited.connectFrom('198.51.100.4');
  expect((await Promise.all(reads(other))).map((r) => r.ok)).toEqual([true, true, true]);
});

test('an address holds at most MAX_SOCKETS_PER_ADDRESS live connections; a closed one frees its place', async () => {
  const server = await limited.start({ socketsPerAddress: 3 }, { trustProxy: true });
  const open = await Promise.all([1, 2, 3].map(() => limited.connectFrom('192.0.2.77')));
  await expect(limited.connectFrom('192.0.2.77')).rejects.toThrow();
  const polling = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`, { headers: { 'x-forwarded-for': '192.0.2.77' } });
  expect(polling.status).toBe(403);
  expect(await polling.json()).toMatchObject({ message: expect.stringContaining('Too many connections from this address') });
  // Others are not affected, and a connection that closes gives its place back.
  await limited.connectFrom('192.0.2.78');
  await connectionClosed(server, open[0]);
  await expect(limited.connectFrom('192.0.2.77')).resolves.toBeDefined();
});

test('ordinary use never meets the default limits: a page connecting, catching up, scrolling back, reconnecting', async () => {
  const server = await limited.start(DEFAULT_LIMITS);
  await fillUsers(server, 150);
  const { client: writer } = await server.login('writer');
  const { store } = server.app.services;
  const sender = { id: (await store.findUser('writer'))!.id, name: 'writer', displayName: 'writer' };
  const backlog = 1200; // a day away from a busy room: three pages of sync
  for (let i = 0; i < backlog; i += 100) {
    await Promise.all(Array.from({ length: 100 }, (_, j) => store.appendPublic({ sender, text: `message ${i + j}`, ts: Date.now() })));
  }
  for (let visit = 0; visit < 2; visit++) {
    const { client: page } = await server.login(`reader${visit}`);
    const answers: Array<{ ok: boolean }> = [await ack(page, 'users', {})];
    let after = 0;
    for (let more = true; more; ) {
      const res = await ack(page, 'sync', { after });
      answers.push(res);
      more = res.ok && res.hasMore;
      if (res.ok && res.messages.length > 0) after = res.messages[res.messages.length - 1].id;
    }
    let before: number | undefined;
    for (let i = 0; i < 20; i++) {
      const res = await ack(page, 'history', before === undefined ? {} : { before });
      answers.push(res);
      if (res.ok && res.messages.length > 0) before = res.messages[0].id;
    }
    expect(answers.filter((a) => !a.ok)).toEqual([]);
  }
  expect(await ack(writer, 'users', {})).toMatchObject({ ok: true });
});
