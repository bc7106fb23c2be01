/**
 * What only several nodes on one PostgreSQL database can break: commit order across connections, the feed
 * on every node, idempotency and name races between nodes, migrations at once, a lost LISTEN connection, a
 * notification too big for NOTIFY. The guarantees every store gives are checked in store.test.ts.
 */
import { setTimeout as delay } from 'node:timers/promises';
import pg from 'pg';
import { PostgresStore, type PostgresOptions } from '../src/store/postgres';
import { MIGRATION_LOCK } from '../src/store/postgres/migrate';
import { MIGRATIONS } from '../src/store/postgres/schema';
import { SchemaTooNewError } from '../src/store/schema-version';
import { APPEND_SQL, batchParam, type AppendInput } from '../src/store/postgres/writer';
import { messagesOf, range, recordFeed, type FeedRecorder } from './feed-recorder';
import { ADMIN_URL, createDatabase, describePostgres, type TestDatabase } from './postgres';

jest.setTimeout(120_000);

type Sender = { id: number; name: string; displayName: string };

describePostgres('PostgresStore, several nodes on one database', () => {
  let db: TestDatabase;
  let stores: PostgresStore[];
  let clients: pg.Client[];
  let errors: Error[];

  beforeEach(async () => {
    db = await createDatabase();
    stores = [];
    clients = [];
    errors = [];
  });
  afterEach(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await Promise.all(clients.map((c) => c.end()));
    await db.drop();
  });

  /** A node: a PostgresStore of its own on the shared database. */
  async function node(name: string, options: PostgresOptions = {}): Promise<PostgresStore> {
    const store = await PostgresStore.open(db.url, { poolSize: 3, applicationName: name, onError: (e) => errors.push(e), ...options });
    stores.push(store);
    return store;
  }

  /** A plain connection (to the test database, or to `url`), closed after the test. */
  async function connect(url = db.url): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    clients.push(client);
    return client;
  }

  async function user(store: PostgresStore, name: string): Promise<Sender> {
    const u = await store.createUser({ name, key: name, tokenHash: `h-${name}`, now: 1, provisional: false });
    if (!u) throw new Error(`could not create ${name}`);
    return { id: u.id, name: u.name, displayName: u.displayName };
  }

  /**
   * Waits until PostgreSQL's own state (pg_stat_activity) shows something. It offers no event for "a backend
   * started waiting on a lock", so this re-reads it, bounded by a deadline.
   */
  async function untilDatabase(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await delay(10);
    }
  }

  /** What a feed told: id, text (long ones shortened to their length), origin. */
  const told = (feed: FeedRecorder) => messagesOf(feed.heard).map((c) => [c.message.id, short(c.message.text), c.origin]);
  const short = (text: string) => (text.length > 40 ? `${text.slice(0, 10)}… (${text.length})` : text);

  test('ids follow commit order: an append waits behind a transaction holding the next id, readers see neither, then both in order', async () => {
    const a = await node('node-a');
    const b = await node('node-b');
    const alice = await user(a, 'alice');
    const feedA = recordFeed(a, 'node-a');
    const feedB = recordFeed(b, 'node-b');

    // Another node's group commit, held open after taking the next id (the store's own SQL, by hand). Its
    // text is too big for NOTIFY, so node-a must read it from the table after its own commit, before its
    // append may resolve.
    const held = await connect();
    await held.query('BEGIN');
    const long = `held ${'h'.repeat(9000)}`;
    const first: AppendInput = { sender: alice, recipient: null, text: long, ts: 1, origin: 'sock-held' };
    const heldId = Number((await held.query(APPEND_SQL, ['other-node', batchParam([first])])).rows[0].id);

    const behind = a.appendPublic({ sender: alice, text: 'behind', ts: 2, origin: 'sock-a' });
    const watcher = await connect();
    await untilDatabase('node-a to wait on the log head lock', async () => {
      const { rows } = await watcher.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity
         WHERE datname = $1 AND application_name = 'node-a' AND wait_event_type = 'Lock' AND query LIKE '%chat_append%'`,
        [db.name],
      );
      return rows[0].n === 1;
    });
    expect((await b.since(undefined, 0, 10)).messages).toEqual([]);
    expect(feedA.heard).toEqual([]);
    expect(feedB.heard).toEqual([]);

    await held.query('COMMIT');
    expect((await behind).message.id).toBe(heldId + 1);
    const expected = [
      [heldId, short(long), undefined],
      [heldId + 1, 'behind', 'sock-a'],
    ];
    expect(told(feedA)).toEqual(expected); // all told before the append resolved
    await feedB.until((heard) => heard.length === 2);
    expect(told(feedB)).toEqual(expected);
    expect((await b.since(undefined, 0, 10)).messages.map((m) => m.text)).toEqual([long, 'behind']);
  });

  test('two nodes appending at once: every read is a prefix of the id sequence, and each node is told every id once, in order', async () => {
    const a = await node('node-a');
    const b = await node('node-b');
    const reader = await node('reader');
    const senders = [await user(a, 'alice'), await user(b, 'bob')];
    const feeds = [recordFeed(a, 'node-a'), recordFeed(b, 'node-b')];
    const WRITERS = 8; // per node
    const EACH = 60;
    const total = 2 * WRITERS * EACH;

    // Now and then a text too long for a NOTIFY payload: the batch holding it is announced by its id range,
    // and the other node reads it from the table.
    const write = async (store: PostgresStore, sender: Sender, w: number) => {
      for (let i = 0; i < EACH; i++) {
        const text = (w + i) % 10 === 0 ? `${'x'.repeat(8500)} ${w}/${i}` : `${w}/${i}`;
        await store.appendPublic({ sender, text, ts: i, clientId: `${w}-${i}`, origin: `sock-${w}` });
      }
    };
    let writing = true;
    const reads: number[][] = [];
    const readLoop = (async () => {
      while (writing) reads.push((await reader.since(undefined, 0, 10_000)).messages.map((m) => m.id));
    })();
    await Promise.all([a, b].flatMap((store, k) => range(1, WRITERS).map((w) => write(store, senders[k], w))));
    writing = false;
    await readLoop;

    const notPrefix = reads.find((ids) => ids.some((id, i) => id !== i + 1));
    expect(notPrefix).toBeUndefined();
    expect(reads.length).toBeGreaterThan(1);
    for (const [k, feed] of feeds.entries()) {
      await feed.until((heard) => heard.length >= total);
      expect(feed.ids()).toEqual(range(1, total));
      // A node's own messages always come with their origin, even when a fetch for the other node's ran
      // meanwhile; the other node's come with it from a payload, without it from the table.
      const own = messagesOf(feed.heard).filter((c) => c.senderId === senders[k].id);
      expect(own.every((c) => c.origin !== undefined)).toBe(true);
      const others = messagesOf(feed.heard).filter((c) => c.senderId !== senders[k].id);
      expect(new Set(others.map((c) => c.origin === undefined))).toEqual(new Set([true, false]));
    }
    expect(errors).toEqual([]);
  });

  test('one clientId sent to two nodes at the same moment stores one message; both resolve with it', async () => {
    const a = await node('node-a');
    const b = await node('node-b');
    const alice = await user(a, 'alice');
    for (let i = 0; i < 20; i++) {
      const [x, y] = await Promise.all([
        a.appendPublic({ sender: alice, text: `via a ${i}`, ts: i, clientId: `k${i}` }),
        b.appendPublic({ sender: alice, text: `via b ${i}`, ts: i, clientId: `k${i}` }),
      ]);
      expect([x.duplicate, y.duplicate].sort()).toEqual([false, true]);
      expect(x.message).toEqual(y.message);
    }
    const stored = (await a.since(undefined, 0, 100)).messages;
    expect(stored.map((m) => m.id)).toEqual(range(1, 20)); // and the losers burnt no id
  });

  test('failed and duplicate appends burn no id, and a text PostgreSQL cannot hold fails alone', async () => {
    const a = await node('node-a');
    const alice = await user(a, 'alice');
    const results = await Promise.allSettled([
      a.appendPublic({ sender: alice, text: 'one', ts: 1, clientId: 'c' }),
      a.appendPublic({ sender: { id: 9999, name: 'ghost', displayName: 'ghost' }, text: 'no such sender', ts: 2 }),
      a.appendPublic({ sender: alice, text: 'one again', ts: 3, clientId: 'c' }),
      a.appendPublic({ sender: alice, text: 'nul \0 inside', ts: 4 }),
      a.appendPrivate({ sender: alice, recipient: { id: 9998, name: 'nobody', displayName: 'nobody' }, text: 'to no one', ts: 5 }),
      a.appendPublic({ sender: alice, text: 'two', ts: 6 }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: '23503' });
    expect((await a.since(undefined, 0, 10)).messages.map((m) => [m.id, m.text])).toEqual([
      [1, 'one'],
      [2, 'two'],
    ]);
  });

  test('a sign-in code redeemed on several nodes at once opens one session; an ended session opens nothing on any node', async () => {
    const nodes = [await node('node-a'), await node('node-b'), await node('node-c')];
    const owner = (await nodes[0].createUser({ name: 'owner', key: 'owner', tokenHash: 'owner-1', now: 1, provisional: false }))!;
    for (let i = 0; i < 5; i++) {
      await nodes[i % 3].addSignInCode({ hash: `code-${i}`, userId: owner.id, now: 10, expiresAt: 1000 });
      const device = { address: '127.0.0.1', agent: '' };
      const opened = await Promise.all(
        nodes.flatMap((store, k) => [0, 1].map((j) => store.redeemSignInCode(`code-${i}`, 20, { id: `s-${i}-${k}-${j}`, tokenHash: `t-${i}-${k}-${j}`, device }))),
      );
      expect(opened.filter((o) => o !== undefined)).toHaveLength(1);
    }
    const sessions = await nodes[1].listSessions(owner.id);
    expect(sessions).toHaveLength(6);
    const ended = await nodes[2].endSessions(owner.id, { except: sessions[0].id });
    expect(ended).toHaveLength(5);
    for (const store of nodes) {
      expect(await store.useSession(ended[0], 30, { address: '', agent: '' })).toBe(false);
      expect(await store.listSessions(owner.id)).toHaveLength(1);
    }
  });

  test('two nodes claiming one name at once: exactly one wins, also when both replace an expired holder', async () => {
    const a = await node('node-a');
    const b = await node('node-b');
    for (let i = 0; i < 10; i++) {
      const key = `name${i}`;
      const claims = await Promise.all(
        [a, b].map((s, k) => s.createUser({ name: key, key, tokenHash: `t${i}-${k}`, now: 10, provisional: false })),
      );
      expect(claims.filter((u) => u !== undefined)).toHaveLength(1);
      const holder = (await a.findUser(key))!;
      const replacements = await Promise.all(
        [a, b].map((s, k) =>
          s.createUser({ name: key, key, tokenHash: `r${i}-${k}`, now: 100, provisional: false, replacing: { id: holder.id, seenBefore: 50 } }),
        ),
      );
      const winners = replacements.filter((u) => u !== undefined);
      expect(winners).toHaveLength(1);
      expect((await b.findUser(key))!.id).toBe(winners[0]!.id);
      expect(await b.touchUser(holder.id, 200, true)).toBe(false);
    }
  });

  test('user look-ups asked together are answered each as by a query of its own, and never from a cache', async () => {
    const a = await node('node-a');
    const b = await node('node-b');
    const alice = await user(a, 'alice');
    const bob = await user(a, 'bob');
    // One turn of the event loop: one batch (src/store/postgres/lookups.ts), with a key repeated and one that is free.
    const found = await Promise.all(['alice', 'bob', 'alice', 'nobody'].map((key) => a.findUser(key)));
    expect(found.map((u) => u?.id)).toEqual([alice.id, bob.id, alice.id, undefined]);
    // The name changes hands on the other node: the next look-up here answers its new holder.
    const successor = await b.createUser({ name: 'alice', key: 'alice', tokenHash: 'h-new', now: 5, provisional: false, replacing: { id: alice.id, seenBefore: 2 } });
    expect(successor).toBeDefined();
    expect((await a.findUser('alice'))?.id).toBe(successor!.id);
    expect(errors).toEqual([]);
  });

  test('several nodes starting at once on an empty database migrate it once, and all of them work', async () => {
    const nodes = await Promise.all(range(1, 5).map((i) => node(`node-${i}`, { poolSize: 1 })));
    const applied = await (await connect()).query('SELECT version FROM schema_migrations ORDER BY version');
    expect(applied.rows.map((r) => r.version)).toEqual(range(1, MIGRATIONS.length));
    const feeds = nodes.map((n, i) => recordFeed(n, `node-${i + 1}`));
    const alice = await user(nodes[0], 'alice');
    const { message } = await nodes[4].appendPublic({ sender: alice, text: 'hello', ts: 1 });
    for (const feed of feeds) await feed.until((heard) => heard.some((c) => c.id === message.id));
  });

  test('a database migrated by a newer release is refused, and left as it was', async () => {
    await node('first');
    const admin = await connect();
    await admin.query('INSERT INTO schema_migrations (version) VALUES ($1)', [MIGRATIONS.length + 1]);
    await expect(PostgresStore.open(db.url, { applicationName: 'older' })).rejects.toThrow(
      new SchemaTooNewError(MIGRATIONS.length + 1, MIGRATIONS.length),
    );
    const applied = await admin.query('SELECT max(version) AS v FROM schema_migrations');
    expect(applied.rows[0].v).toBe(MIGRATIONS.length + 1);
    // The refusing node let go of the migration lock: a node of the newer release (here, one that takes the
    // lock itself) is not held up.
    await admin.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await admin.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
  });

  test('the LISTEN connection killed while messages commit: once it is back, each was told once, in order', async () => {
    // No periodic check: only the reconnect can catch up.
    const a = await node('node-a', { checkIntervalMs: 3_600_000 });
    const b = await node('node-b');
    const alice = await user(b, 'alice');
    const feed = recordFeed(a, 'node-a');
    const admin = await connect(ADMIN_URL);
    const other = await connect(); // another node's connection, open before the database closes its doors
    const listenPid = async () =>
      (await admin.query(`SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = 'node-a:listen'`, [db.name]))
        .rows[0]?.pid as number | undefined;
    const doors = (open: boolean) => admin.query(`ALTER DATABASE ${pg.escapeIdentifier(db.name)} ALLOW_CONNECTIONS ${open}`);

    await b.appendPublic({ sender: alice, text: 'before', ts: 1 });
    await feed.until((heard) => heard.length === 1);

    // 1. Commits while node-a cannot reconnect: their notifications are lost for certain.
    await doors(false);
    const firstPid = await listenPid();
    await admin.query('SELECT pg_terminate_backend($1, 30000)', [firstPid]);
    const small = (text: string): AppendInput => ({ sender: alice, recipient: null, text, ts: 2, origin: 'sock-o' });
    for (const batch of [[small('m2'), small('m3')], [small(`${'y'.repeat(9000)} m4`)], [small('m5')]]) {
      await other.query(APPEND_SQL, ['other-node', batchParam(batch)]);
    }
    expect(feed.ids()).toEqual([1]);
    await doors(true);
    await feed.until((heard) => heard.length >= 5);
    expect(feed.ids()).toEqual(range(1, 5));
    expect(errors.some((e) => /commit feed connection lost/.test(e.message))).toBe(true);

    // 2. Killed while another node keeps committing: the reconnect races the commits.
    const stream = (async () => {
      for (let i = 0; i < 200; i++) await b.appendPublic({ sender: alice, text: `s${i}`, ts: 3 });
    })();
    await feed.until((heard) => heard.length >= 50);
    const secondPid = await listenPid();
    expect(secondPid).not.toBe(firstPid);
    await admin.query('SELECT pg_terminate_backend($1)', [secondPid]);
    await stream;
    await feed.until((heard) => heard.length >= 205);
    expect(feed.ids()).toEqual(range(1, 205));
  });

  test('a commit whose notification never came is told after the periodic check of the head', async () => {
    const a = await node('node-a', { checkIntervalMs: 50 });
    const alice = await user(a, 'alice');
    const feed = recordFeed(a, 'node-a');
    // What a node does, minus its NOTIFY: as if the notification were lost.
    await (await connect()).query(
      `WITH next AS (UPDATE log_head SET last_id = last_id + 1 RETURNING last_id)
       INSERT INTO messages (id, sender_id, sender_name, body, created_at) SELECT last_id, $1, $2, 'unannounced', 1 FROM next`,
      [alice.id, alice.name],
    );
    await feed.until((heard) => heard.length === 1);
    expect(told(feed)).toEqual([[1, 'unannounced', undefined]]);
  });

  test('a message too big for NOTIFY reaches other nodes from the table (without origin), and its own with it', async () => {
    const a = await node('node-a');
    const b = await node('node-b');
    const alice = await user(a, 'alice');
    const feedA = recordFeed(a, 'node-a');
    const feedB = recordFeed(b, 'node-b');
    const big = '界'.repeat(4000); // 12,000 bytes of UTF-8

    await a.appendPublic({ sender: alice, text: 'small', ts: 1, origin: 'sock-1' });
    await a.appendPublic({ sender: alice, text: big, ts: 2, origin: 'sock-2' });
    await a.appendPrivate({ sender: alice, recipient: alice, text: 'small again', ts: 3, origin: 'sock-3' });
    await feedB.until((heard) => heard.length === 3);
    expect(told(feedB)).toEqual([
      [1, 'small', 'sock-1'],
      [2, short(big), undefined],
      [3, 'small again', 'sock-3'],
    ]);
    expect(told(feedA)).toEqual([
      [1, 'small', 'sock-1'],
      [2, short(big), 'sock-2'],
      [3, 'small again', 'sock-3'],
    ]);
    expect(feedB.heard[2]).toMatchObject({ senderId: alice.id, recipientId: alice.id, message: { to: 'alice' } });
  });

  test('close commits and tells what is queued, then refuses appends; closing twice is fine', async () => {
    const sockets = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;
    const before = sockets();
    const a = await node('node-a');
    const alice = await user(a, 'alice');
    const feed = recordFeed(a, 'node-a');
    const pending = a.appendPublic({ sender: alice, text: 'queued', ts: 1 });
    await Promise.all([a.close(), a.close()]);
    expect((await pending).message.id).toBe(1);
    expect(feed.ids()).toEqual([1]);
    // Closed means closed: no connection of node-a is left (pg-pool's own end() resolves earlier).
    expect(sockets()).toBe(before);
    await expect(a.appendPublic({ sender: alice, text: 'late', ts: 2 })).rejects.toThrow('store is closed');
    const b = await node('node-b');
    expect((await b.since(undefined, 0, 10)).messages.map((m) => m.text)).toEqual(['queued']);
  });
});
