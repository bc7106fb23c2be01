/** The guarantees stated on ChatStore (src/store/store.ts), checked against every implementation. */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { loadConfig } from '../src/config';
import { openSqliteStore, openStore } from '../src/store';
import { PostgresStore } from '../src/store/postgres';
import { SqliteStore } from '../src/store/sqlite';
import { StoreThread } from '../src/store/sqlite/thread';
import { MIGRATIONS } from '../src/store/sqlite/schema';
import { SchemaTooNewError } from '../src/store/schema-version';
import { displacedKey, nameKey } from '../src/names';
import type { ChatStore } from '../src/store/store';
import type { Party } from '../src/store/messages';
import { createDatabase, describePostgres } from './postgres';
import { makeUser, storeFactories } from './store-factories';
import { within } from './helpers';
import { tempDir } from './tmpdir';

const tmp = tempDir('chat-store-files-');
afterAll(() => tmp.cleanup());
const factories = storeFactories();

describe.each(factories)('%s', (_name, open) => {
  let store: ChatStore;
  let dispose: (() => Promise<void>) | undefined;
  let a: Party;
  let b: Party;
  let c: Party;
  beforeEach(async () => {
    ({ store, dispose } = await open());
    a = await makeUser(store, 'a');
    b = await makeUser(store, 'b');
    c = await makeUser(store, 'c');
  });
  afterEach(async () => {
    await store.close();
    await dispose?.();
  });

  test('ids strictly increase across public and private messages, and concurrent appends resolve in id order', async () => {
    const order: number[] = [];
    const writes = Array.from({ length: 50 }, (_, i) =>
      (i % 2
        ? store.appendPublic({ sender: a, text: `p${i}`, ts: i })
        : store.appendPrivate({ sender: a, recipient: b, text: `q${i}`, ts: i })
      ).then((r) => {
        order.push(r.message.id);
        return r.message.id;
      }),
    );
    const ids = await Promise.all(writes);
    expect(ids).toEqual([...ids].sort((x, y) => x - y));
    expect(order).toEqual(ids);
    expect(new Set(ids).size).toBe(50);
  });

  test('a clientId makes an append idempotent per sender', async () => {
    const first = await store.appendPublic({ sender: a, text: 'once', ts: 1, clientId: 'k1' });
    const again = await store.appendPublic({ sender: a, text: 'different text', ts: 2, clientId: 'k1' });
    expect(first.duplicate).toBe(false);
    expect(again).toEqual({ message: first.message, duplicate: true });
    const other = await store.appendPublic({ sender: b, text: 'same key, other sender', ts: 3, clientId: 'k1' });
    expect(other.duplicate).toBe(false);
    const page = await store.publicHistory({ limit: 10 });
    expect(page.messages.map((m) => m.text)).toEqual(['once', 'same key, other sender']);
  });

  test('one failing write in a group commit fails alone', async () => {
    const ghost = { id: 9999, name: 'ghost', displayName: 'ghost' }; // violates the sender foreign key
    const results = await Promise.allSettled([
      store.appendPublic({ sender: a, text: 'ok 1', ts: 1 }),
      store.appendPublic({ sender: ghost, text: 'bad', ts: 2 }),
      store.appendPublic({ sender: a, text: 'ok 2', ts: 3 }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((await store.publicHistory({ limit: 10 })).messages.map((m) => m.text)).toEqual(['ok 1', 'ok 2']);
  });

  test('private messages are visible only to their two parties', async () => {
    await store.appendPrivate({ sender: a, recipient: b, text: 'a→b', ts: 1 });
    await store.appendPublic({ sender: c, text: 'public', ts: 2 });
    expect((await store.conversation(a.id, b.id, { limit: 10 })).messages.map((m) => m.text)).toEqual(['a→b']);
    expect((await store.conversation(b.id, a.id, { limit: 10 })).messages.map((m) => m.text)).toEqual(['a→b']);
    expect((await store.conversation(c.id, a.id, { limit: 10 })).messages).toEqual([]);
    expect((await store.since(c.id, 0, 10)).messages.map((m) => m.text)).toEqual(['public']);
    expect((await store.since(b.id, 0, 10)).messages.map((m) => m.text)).toEqual(['a→b', 'public']);
    expect((await store.since(undefined, 0, 10)).messages.map((m) => m.text)).toEqual(['public']);
    expect((await store.undelivered(b.id, 0, 10)).map((m) => m.text)).toEqual(['a→b']);
    expect(await store.undelivered(c.id, 0, 10)).toEqual([]);
  });

  test('private messages stay undelivered until marked, for their recipient only, and page by id', async () => {
    const sent = [];
    for (let i = 0; i < 5; i++) sent.push((await store.appendPrivate({ sender: a, recipient: b, text: `u${i}`, ts: i })).message);
    const toC = (await store.appendPrivate({ sender: a, recipient: c, text: 'for c', ts: 9 })).message;
    expect(await store.undelivered(b.id, 0, 2)).toEqual(sent.slice(0, 2));
    expect(await store.undelivered(b.id, sent[1].id, 10)).toEqual(sent.slice(2));
    await store.markDelivered(b.id, [sent[0].id, sent[3].id, toC.id]); // toC is not b's: ignored
    expect(await store.undelivered(b.id, 0, 10)).toEqual([sent[1], sent[2], sent[4]]);
    expect(await store.undelivered(c.id, 0, 10)).toEqual([toC]);
  });

  test('onCommitted hears every new message once, in id order, after its commit and before its promise', async () => {
    const heard: Array<{ id: number; origin?: string; recipientId: number | null }> = [];
    const stop = store.onCommitted((c) => c.kind === 'message' && heard.push({ id: c.message.id, origin: c.origin, recipientId: c.recipientId }));
    const writes = [
      store.appendPublic({ sender: a, text: 'p', ts: 1, origin: 'sock-1' }),
      store.appendPrivate({ sender: a, recipient: b, text: 'q', ts: 2, clientId: 'k' }),
      store.appendPublic({ sender: { id: 9999, name: 'ghost', displayName: 'ghost' }, text: 'fails', ts: 3 }),
      store.appendPrivate({ sender: a, recipient: b, text: 'q again', ts: 4, clientId: 'k' }), // duplicate
    ].map((w) => w.then((r) => ({ id: r.message.id, heardBefore: heard.some((h) => h.id === r.message.id) })));
    const results = await Promise.allSettled(writes);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    const resolved = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const [pub, priv] = resolved.map((r) => r.id);
    expect(resolved.every((r) => r.heardBefore)).toBe(true);
    expect(heard).toEqual([
      { id: pub, origin: 'sock-1', recipientId: null },
      { id: priv, origin: undefined, recipientId: b.id },
    ]);
    // Committed means visible to readers.
    expect((await store.since(b.id, 0, 10)).messages.map((m) => m.id)).toEqual([pub, priv]);
    stop();
    await store.appendPublic({ sender: a, text: 'after unsubscribe', ts: 5 });
    expect(heard).toHaveLength(2);
  });

  test('two appends with one clientId at the same moment store one message; both get it', async () => {
    const [x, y] = await Promise.all([
      store.appendPublic({ sender: a, text: 'tab 1', ts: 1, clientId: 'same' }),
      store.appendPublic({ sender: a, text: 'tab 2', ts: 1, clientId: 'same' }),
    ]);
    expect([x.duplicate, y.duplicate].sort()).toEqual([false, true]);
    expect(x.message).toEqual(y.message);
    expect((await store.publicHistory({ limit: 10 })).messages).toEqual([x.message]);
  });

  test('since pages forward from an id; public messages carry no "to"', async () => {
    for (let i = 0; i < 5; i++) await store.appendPublic({ sender: a, text: `s${i}`, ts: i });
    const first = await store.since(a.id, 0, 3);
    expect(first.hasMore).toBe(true);
    expect(first.messages.map((m) => m.text)).toEqual(['s0', 's1', 's2']);
    expect('to' in first.messages[0]).toBe(false);
    const rest = await store.since(a.id, first.messages[2].id, 3);
    expect(rest).toEqual({ messages: expect.any(Array), changes: [], hasMore: false });
    expect(rest.messages.map((m) => m.text)).toEqual(['s3', 's4']);
  });

  test('prune deletes old messages, records how far, and never lets an id be reused', async () => {
    const old = await store.appendPublic({ sender: a, text: 'old', ts: 100 });
    const newest = await store.appendPublic({ sender: a, text: 'newest', ts: 100 });
    await store.appendPublic({ sender: a, text: 'recent', ts: 500 });
    expect(await store.prunedThrough()).toBe(0);
    expect(await store.prune(200)).toBe(2);
    expect(await store.prunedThrough()).toBe(newest.message.id);
    expect((await store.publicHistory({ limit: 10 })).messages.map((m) => m.text)).toEqual(['recent']);
    const next = await store.appendPublic({ sender: a, text: 'after prune', ts: 600 });
    expect(next.message.id).toBeGreaterThan(newest.message.id + 1);
    expect(old.message.id).toBeLessThan(newest.message.id);
    expect(await store.prune(50)).toBe(0);
    expect(await store.prunedThrough()).toBe(newest.message.id);
  });

  test('identity: one active user per key; a replaced user keeps its id and messages to itself', async () => {
    expect(await store.createUser({ name: 'A', key: 'a', tokenHash: 'x', now: 2, provisional: false })).toBeUndefined();
    await store.appendPrivate({ sender: b, recipient: a, text: 'for the first a', ts: 1 });
    const successor = await store.createUser({ name: 'a', key: 'a', tokenHash: 'y', now: 3, provisional: false, replacing: { id: a.id, seenBefore: 2 } });
    expect(successor).toBeDefined();
    expect(successor!.id).not.toBe(a.id);
    expect((await store.findUser('a'))!.id).toBe(successor!.id);
    expect((await store.conversation(successor!.id, b.id, { limit: 10 })).messages).toEqual([]);
    expect((await store.listUsers({ limit: 10 })).users.map((u) => u.name)).toEqual(['a', 'b', 'c']);
  });

  test('users are listed a page at a time in display order, active ones only (issue 16)', async () => {
    // Case- and width-insensitive, then exact; code point order (an astral letter after every BMP one).
    const names = ['Zoe', 'mary', 'Bob', 'bob2', 'Ｂｏｂ3', 'émile', '\u{20000}x', '李', 'rita', 'Mary2'];
    for (const [i, name] of names.entries()) await store.createUser({ name, key: `k${i}`, tokenHash: `t${i}`, now: 1, provisional: false });
    await store.createUser({ name: 'retired', key: 'k-old', tokenHash: 'old', now: 1, provisional: false });
    await store.createUser({ name: 'retired', key: 'k-old2', tokenHash: 'new', now: 9, provisional: false, replacing: { id: (await store.findUser('k-old'))!.id, seenBefore: 5 } });
    const all = ['a', 'b', 'Bob', 'bob2', 'Ｂｏｂ3', 'c', 'mary', 'Mary2', 'retired', 'rita', 'Zoe', 'émile', '李', '\u{20000}x'];
    const pages: string[][] = [];
    let after: string | undefined;
    for (;;) {
      const page = await store.listUsers({ after, limit: 4 });
      pages.push(page.users.map((u) => u.name));
      if (!page.hasMore) break;
      after = page.users[page.users.length - 1].name;
    }
    expect(pages.flat()).toEqual(all);
    expect(pages.map((p) => p.length)).toEqual([4, 4, 4, 2]);
    expect(await store.listUsers({ after: 'Mary2', limit: 2 })).toEqual({ users: [expect.objectContaining({ name: 'retired' }), expect.objectContaining({ name: 'rita' })], hasMore: true });
    expect(await store.listUsers({ after: '\u{20000}x', limit: 2 })).toEqual({ users: [], hasMore: false });
    const ids = (await store.listUsers({ limit: 100 })).users.map((u) => u.id);
    expect(new Set(ids).size).toBe(all.length);
  });

  test('a login without the token (not proven) touches only a provisional user (issue 16)', async () => {
    expect(await store.touchUser(a.id, 60, false)).toBe(false);
    expect((await store.findUser('a'))!.lastSeenAt).toBe(1);
    const p = await store.createUser({ name: 'P', key: 'p', tokenHash: 'hash-p', now: 1, provisional: true });
    expect(await store.touchUser(p!.id, 5, false)).toBe(true);
    expect(await store.touchUser(p!.id, 6, true)).toBe(true); // the owner secures the name
    expect(await store.touchUser(p!.id, 7, false)).toBe(false); // a tutorial login can no longer join it
    expect(await store.findUser('p')).toMatchObject({ provisional: false, lastSeenAt: 6 });
  });

  test('touchUser only moves last-seen forward', async () => {
    expect(await store.touchUser(a.id, 50, true)).toBe(true);
    expect(await store.touchUser(a.id, 10, true)).toBe(true);
    expect((await store.findUser('a'))!.lastSeenAt).toBe(50);
  });

  test('a retirement and a login of the retired user never both succeed, whichever commits first', async () => {
    // The owner's login commits first: the replacement, decided on a stale read, must not happen.
    expect(await store.touchUser(a.id, 100, true)).toBe(true);
    const stale = { name: 'a', key: 'a', tokenHash: 'new', now: 100, provisional: false, replacing: { id: a.id, seenBefore: 50 } };
    expect(await store.createUser(stale)).toBeUndefined();
    expect((await store.findUser('a'))!.id).toBe(a.id);
    // The replacement commits first: the owner's login then opens nothing.
    const successor = await store.createUser({ ...stale, now: 500, replacing: { id: a.id, seenBefore: 200 } });
    expect(successor).toBeDefined();
    expect(await store.touchUser(a.id, 500, true)).toBe(false);
    expect((await store.findUser('a'))!.id).toBe(successor!.id);
    // Both at once (the order they commit in is the engine's business): exactly one succeeds.
    const [touched, replaced] = await Promise.all([
      store.touchUser(b.id, 900, true),
      store.createUser({ name: 'b', key: 'b', tokenHash: 'new-b', now: 900, provisional: false, replacing: { id: b.id, seenBefore: 800 } }),
    ]);
    expect(touched).toBe(replaced === undefined);
    expect((await store.findUser('b'))!.id).toBe(replaced?.id ?? b.id);
  });

  test('findSession finds the active user whose session holds a token hash; a proven login ends provisional', async () => {
    const p = await store.createUser({ name: 'P', key: 'p', tokenHash: 'hash-p', now: 1, provisional: true });
    expect(p).toMatchObject({ name: 'P', key: 'p', displayName: 'P', provisional: true, lastSeenAt: 1, account: null, namesAt: 0 });
    expect((await store.findSession('hash-p'))?.user).toEqual(p);
    expect(await store.findSession('nope')).toBeUndefined();
    expect(await store.findSession('')).toBeUndefined();
    expect(await store.touchUser(p!.id, 5, false)).toBe(true);
    expect((await store.findUser('p'))!.provisional).toBe(true);
    expect(await store.touchUser(p!.id, 6, true)).toBe(true);
    expect(await store.findUser('p')).toMatchObject({ provisional: false, lastSeenAt: 6 });
    const q = await store.createUser({ name: 'p', key: 'p', tokenHash: 'hash-q', now: 9, provisional: false, replacing: { id: p!.id, seenBefore: 8 } });
    expect(await store.findSession('hash-p')).toBeUndefined(); // retired, and its sessions with it
    expect((await store.findSession('hash-q'))?.user).toEqual(q);
  });

  test('a release holds against seenUsers (another tab closing) but a login undoes it', async () => {
    await store.touchUser(a.id, 100, true);
    await store.releaseUser(a.id);
    await store.seenUsers([a.id, b.id], 200);
    expect((await store.findUser('a'))!.lastSeenAt).toBe(0);
    expect((await store.findUser('b'))!.lastSeenAt).toBe(200);
    expect(await store.touchUser(a.id, 300, true)).toBe(true);
    expect((await store.findUser('a'))!.lastSeenAt).toBe(300);
  });
});

test('a file store keeps everything across close and reopen', async () => {
  const file = path.join(tmp.dir, 'reopen.db');
  const first = SqliteStore.open(file);
  const u = (await first.createUser({ name: 'r', key: 'r', tokenHash: 'h', now: 1, provisional: false }))!;
  const pending = first.appendPublic({ sender: u, text: 'committed on close', ts: 1 });
  await first.close(); // flushes the pending group commit first
  expect((await pending).duplicate).toBe(false);
  const second = SqliteStore.open(file);
  expect((await second.publicHistory({ limit: 5 })).messages.map((m) => m.text)).toEqual(['committed on close']);
  await second.close();
});

test('a file store answers reads on its read-only thread, which sees every write once acked (issue 18)', async () => {
  const call = jest.spyOn(StoreThread.prototype, 'call'); // and still calls it
  try {
    const store = SqliteStore.open(path.join(tmp.dir, 'reader.db'));
    await store.ready;
    const u = await makeUser(store, 'w');
    for (let i = 0; i < 20; i++) {
      const { message } = await store.appendPublic({ sender: u, text: `m${i}`, ts: i });
      // Asked at once after the ack, on the other thread: it must already see the message.
      expect((await store.publicHistory({ limit: 1 })).messages.map((m) => m.id)).toEqual([message.id]);
    }
    expect(await store.findUser('w')).toMatchObject({ id: u.id });
    await store.close();
    const threadOf = (method: string) => [...new Set(call.mock.calls.flatMap(([m], i) => (m === method ? [call.mock.contexts[i].role] : [])))];
    expect(threadOf('publicHistory')).toEqual(['reader']);
    expect(threadOf('findUser')).toEqual(['reader']);
    expect(threadOf('appendPublic')).toEqual(['writer']);
    expect(threadOf('createUser')).toEqual(['writer']);
  } finally {
    call.mockRestore();
  }
});

test("a file store's WAL is copied into the file by the checkpointer's thread while the writer goes on (issue 18)", async () => {
  const file = path.join(tmp.dir, 'checkpoints.db');
  const store = SqliteStore.open(file);
  await store.ready;
  const u = await makeUser(store, 'c');
  // A commit goes to the WAL; the writer alone would copy it into the file only past WRITER_CHECKPOINT_PAGES.
  const fileWritten = new Promise<void>((resolve) => {
    const watcher = fs.watch(file, () => {
      watcher.close();
      resolve();
    });
  });
  await store.appendPublic({ sender: u, text: 'to be checkpointed', ts: 1 });
  await within(fileWritten, 'a checkpoint writing the database file');
  expect((await store.publicHistory({ limit: 1 })).messages.map((m) => m.text)).toEqual(['to be checkpointed']);
  await store.close();
});

test('a database from an older release is migrated in place, keeping its users and messages', async () => {
  const file = path.join(tmp.dir, 'v1.db');
  const old = new Database(file);
  old.exec(MIGRATIONS[0] as string);
  old.pragma('user_version = 1');
  old.prepare("INSERT INTO users (name, name_key, token_hash, created_at, last_seen_at) VALUES ('Old', 'old', 'h', 1, 2)").run();
  old.prepare("INSERT INTO messages (sender_id, sender_name, body, created_at) VALUES (1, 'Old', 'kept', 3)").run();
  old.close();
  const store = SqliteStore.open(file);
  try {
    const user = { id: 1, name: 'Old', key: 'old', displayName: 'Old', createdAt: 1, lastSeenAt: 2, provisional: false, account: null, namesAt: 0 };
    expect(await store.findUser('old')).toEqual(user);
    // Its token became the first session: it still opens the user.
    expect(await store.findSession('h')).toEqual({ session: { id: expect.stringMatching(/^[0-9a-f]{32}$/), userId: 1, createdAt: 1, lastSeenAt: 2, address: '', agent: '' }, user });
    expect((await store.publicHistory({ limit: 5 })).messages.map((m) => m.text)).toEqual(['kept']);
  } finally {
    await store.close();
  }
});

test('keys stored before look-alike names became one identity are rekeyed; nobody loses a name or a message', async () => {
  const file = path.join(tmp.dir, 'v2.db');
  const old = new Database(file);
  for (const migration of MIGRATIONS.slice(0, 2)) old.exec(migration as string);
  old.pragma('user_version = 2');
  const insert = old.prepare('INSERT INTO users (name, name_key, token_hash, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?)');
  // Keys as they were (NFKC + lower case): two people whose names only look alike, and an ordinary name.
  insert.run('alice', 'alice', 'h1', 1, 100); // seen longer ago
  insert.run('\u0430lice', '\u0430lice', 'h2', 2, 200); // Cyrillic а, seen last: keeps the shared key
  insert.run('mary', 'mary', 'h3', 3, 300);
  old.prepare("INSERT INTO messages (sender_id, sender_name, recipient_id, recipient_name, body, created_at) VALUES (1, 'alice', 3, 'mary', 'kept', 4)").run();
  old.close();
  const store = SqliteStore.open(file);
  try {
    const keyOf = async (name: string) => (await store.findUser(nameKey(name)))?.id;
    expect(await keyOf('\u0430lice')).toBe(2); // the shared key went to the one seen last
    expect(await keyOf('alice')).toBe(2); // any look-alike spelling finds that user
    expect((await store.findUser(displacedKey('alice')))?.id).toBe(1); // the other keeps its exact name
    expect((await store.findUser(nameKey('mary')))?.id).toBe(3);
    expect((await store.conversation(1, 3, { limit: 5 })).messages.map((m) => m.text)).toEqual(['kept']);
  } finally {
    await store.close();
  }
});

test('openSqliteStore refuses a PostgreSQL configuration, pointing to openStore', () => {
  expect(() => openSqliteStore(loadConfig({ DATABASE_URL: 'postgres://localhost/chat' }).storage)).toThrow(/await openStore/);
});

describePostgres('openStore', () => {
  test('opens PostgreSQL when the configuration names it (connecting and migrating first)', async () => {
    const db = await createDatabase();
    try {
      const store = await openStore(loadConfig({ DATABASE_URL: db.url, DATABASE_POOL_SIZE: '2' }).storage);
      expect(store).toBeInstanceOf(PostgresStore);
      await store.ping();
      expect(await store.listUsers({ limit: 10 })).toEqual({ users: [], hasMore: false });
      await store.close();
    } finally {
      await db.drop();
    }
  });
});

test('a database migrated by a newer release is refused, not run with queries written for another schema', async () => {
  const file = path.join(tmp.dir, 'newer.db');
  const newer = new Database(file);
  newer.pragma(`user_version = ${MIGRATIONS.length + 1}`);
  newer.close();
  const store = SqliteStore.open(file);
  await expect(store.ready).rejects.toThrow(new SchemaTooNewError(MIGRATIONS.length + 1, MIGRATIONS.length));
  await expect(store.ready).rejects.toBeInstanceOf(SchemaTooNewError); // its class survives the store's thread
  await store.close();
  // Nothing was changed, and the file was let go: it can be opened (and deleted) at once.
  const after = new Database(file);
  expect(after.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length + 1);
  after.close();
});
