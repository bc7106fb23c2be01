/**
 * Cluster mode through Redis outages (issue 10, "No silent hole when Redis blips"), with real processes: two
 * nodes, each reaching the test's redis-server through a TCP proxy of its own (so one node can lose Redis
 * while the other keeps it), a PostgreSQL database of the test's own, rate limits on.
 */
import Redis from 'ioredis';
import { describeCluster, logged, startCluster, whenLogged, type TestCluster } from './cluster-harness';
import { arrives, Clients, crossNode, entitled, push, queryRows, settles } from './cluster-clients';
import { Traffic, type Member } from './cluster-traffic';
import { ack, record, WAIT_MS, within } from './helpers';

jest.setTimeout(120_000);

const ADMIN_TOKEN = 'cluster-admin-token-0123456789';
/** How long a node may take to notice Redis is back: ioredis retries at most every 2 s, then presence resyncs. */
const BACK_MS = 20_000;

describeCluster('Redis outages', () => {
  let cluster: TestCluster;
  const clients = new Clients();
  const url = (i: number) => cluster.nodes[i].url;
  beforeAll(async () => {
    // Limits on, the message ones raised: the traffic below sends 4 messages a second per user, above the
    // default sustained rate (which is for people, and tested in cluster-limits.test.ts).
    // Typing raised too, for the flood below; cross-node events go stale after one second, so that an outage of
    // a few seconds makes what it held back stale (CLUSTER_EVENT_MAX_AGE_SECONDS, cluster-events.ts).
    cluster = await startCluster(2, {
      ADMIN_TOKEN,
      RATE_LIMIT_MESSAGES_BURST: '100/10',
      RATE_LIMIT_MESSAGES: '600/60',
      RATE_LIMIT_TYPING: '100000/60',
      CLUSTER_EVENT_MAX_AGE_SECONDS: '1',
    });
  });
  /** Nodes cut off from Redis by `isolate` and not yet back through `reconnect`. */
  const isolated = new Set<number>();
  // Whatever a test got to before it failed, the next one starts with every node back on a running Redis.
  afterEach(async () => {
    await clients.closeAll();
    if (!cluster) return;
    const marks = cluster.nodes.map((n) => n.logs.length);
    const redisWasDown = cluster.redis.pid === undefined;
    await cluster.redis.ensureRunning();
    const back = redisWasDown ? cluster.nodes.map((_, i) => i) : [...isolated];
    for (const i of isolated) cluster.links[i].heal();
    isolated.clear();
    await Promise.all(back.map((i) => whenLogged(cluster.nodes[i], logged('presence: synced with Redis'), `node ${i} back after a failed test`, { from: marks[i], ms: BACK_MS })));
  });
  afterAll(() => cluster?.close());

  const metrics = (i: number) => metricsOf(url(i));

  /** Cuts node `i` off Redis (new connections refused too) and resolves once the node has noticed. */
  async function isolate(i: number): Promise<void> {
    const mark = cluster.nodes[i].logs.length;
    isolated.add(i);
    cluster.links[i].block();
    await cluster.links[i].cut();
    await whenLogged(cluster.nodes[i], logged('presence: Redis connection lost'), `node ${i} noticing`, { from: mark });
  }

  /** Lets node `i` reconnect and resolves once its presence has resynced (and its rate limits' connection is ready). */
  async function reconnect(i: number): Promise<void> {
    const node = cluster.nodes[i];
    const mark = node.logs.length;
    isolated.delete(i);
    cluster.links[i].heal();
    await whenLogged(node, logged('presence: synced with Redis'), `node ${i} resyncing`, { from: mark, ms: BACK_MS });
    await whenLogged(node, logged('redis ready (rate limits)'), `node ${i}'s limits reconnecting`, { from: mark, ms: BACK_MS });
  }

  /**
   * Watchers on both nodes, a `leaver` on node `leaverNode`, and traffic from clients on `nodes`, flowing
   * (each client acked 3 messages and received one from the other node).
   */
  async function scene(prefix: string, nodes: number[], leaverNode: number) {
    const { client: watcher0 } = await clients.login(url(0), { username: `${prefix}watch0` });
    const { client: watcher1 } = await clients.login(url(1), { username: `${prefix}watch1` });
    const { client: leaver } = await clients.login(url(leaverNode), { username: `${prefix}leaver` });
    const traffic = new Traffic(cluster.nodes.map((n) => n.url), nodes, prefix);
    await traffic.ready();
    traffic.start(250, Date.now() + 100_000);
    await traffic.until(traffic.flowing(3), 'traffic before the outage', 30_000);
    return { watcher0, watcher1, leaver, traffic };
  }

  /**
   * Traffic really flowed during the outage (each client acked `during`+ messages and received some from the
   * other node), the database holds every acked message once, and each client holds exactly the stored
   * messages it is entitled to (none lost, none foreign) and received each live delivery once.
   */
  async function expectWhole(traffic: Traffic, during: number): Promise<void> {
    const rows = await queryRows(cluster.db.url);
    const mine = new Set(traffic.members.map((m) => m.client.name));
    const acked = traffic.members.reduce((n, m) => n + m.acked.before + m.acked.during + m.acked.after, 0);
    expect(rows.filter((r) => mine.has(r.from))).toHaveLength(acked);
    for (const m of traffic.members) {
      expect(m.acked.during).toBeGreaterThanOrEqual(during);
      expect(m.fromOtherNodes.during).toBeGreaterThan(0);
      const ids = entitled(rows, m.client.name);
      await m.client.whenHolding(ids.length, WAIT_MS).catch(() => undefined);
      expect([...m.client.held.keys()].sort((a, b) => a - b)).toEqual(ids);
      expect(twice(m)).toEqual([]);
    }
  }

  test('a node cut off from Redis keeps accepting connections, logins, typing and messages at once (limits on)', async () => {
    const { client: watcher } = await clients.login(url(1), { username: 'watcher' });
    const { client: stay, session: staySession } = await clients.login(url(0), { username: 'stay' });
    await isolate(0);

    // Everything a client does first goes through the rate limits (connections, logins, tokens, messages):
    // with the limiter waiting for Redis, each of these would hang until the outage ends.
    const { client: newcomer } = await clients.login(url(0), { username: 'newcomer' });
    const other = await clients.connect(url(0));
    expect(await ack(other, 'login', { username: 'stay', token: staySession.token })).toMatchObject({ ok: true });
    expect(await ack(newcomer, 'typing', { to: 'watcher' })).toEqual({ ok: true });
    const seen = arrives(watcher, 'allmessage', (m) => m.from === 'newcomer', 'the message on the other node');
    const sent = await ack(newcomer, 'sendMsg', { text: 'sent while this node has no Redis' });
    expect(sent).toMatchObject({ ok: true });
    expect(await seen).toEqual(sent.ok && sent.message); // messages cross through PostgreSQL, not Redis
    const burst = await Promise.all(Array.from({ length: 10 }, (_, i) => ack(stay, 'sendMsg', { text: `burst ${i}` })));
    expect(burst.filter((r) => r.ok)).toHaveLength(10);
    expect(await ack(stay, 'privateMsg', { to: 'watcher', text: 'private, no Redis' })).toMatchObject({ ok: true });

    // Once Redis is back, the limits count there again (not in the node's stand-in).
    await reconnect(0);
    const { client: fresh } = await clients.login(url(0), { username: 'fresh' });
    expect(await ack(fresh, 'sendMsg', { text: 'counted in Redis' })).toMatchObject({ ok: true });
    const redis = new Redis(cluster.redis.url);
    try {
      const keys = await redis.keys('chat:limit:msg:*');
      const counts = await Promise.all(keys.map((k) => redis.get(k)));
      // Only fresh's one message: what was sent during the outage was counted in the node's stand-in and is
      // not replayed into Redis afterwards (nothing waited in a queue).
      expect(counts).toEqual(['1']);
    } finally {
      redis.disconnect();
    }
  });

  test('a node whose Redis stops answering (connection up, replies lost) still takes messages', async () => {
    const { client: watcher } = await clients.login(url(1), { username: 'hush-watch' });
    // hush's arrival is announced (a Pub/Sub publication) just after the replies start to be lost: the
    // publication reaches the other node, and its reply, lost, fails when the connection is cut below, which
    // must not take the node down (issue 16: an unhandled rejection did).
    const announced = arrives(watcher, 'presence', (p) => p.users.some((u) => u.name === 'hush'), 'hush announced on node 1');
    const talker = clients.open(url(0), { username: 'hush' });
    await within(new Promise((resolve) => talker.once('msg1', resolve)), 'hush welcomed (bound to its user)');
    cluster.links[0].dropReplies(); // what a network dropping packets looks like: nothing closes
    await announced;
    // Each count waits for its command timeout, then the node's stand-in decides; nothing waits for Redis.
    for (let i = 0; i < 3; i++) {
      const seen = arrives(watcher, 'allmessage', (m) => m.text === `unanswered ${i}`, 'the message on the other node');
      expect(await ack(talker, 'sendMsg', { text: `unanswered ${i}` })).toMatchObject({ ok: true });
      await seen;
    }
    const mark = cluster.nodes[0].logs.length;
    await cluster.links[0].cut(); // the connections drop; the node reconnects through the proxy
    await whenLogged(cluster.nodes[0], logged('presence: synced with Redis'), 'node 0 resyncing', { from: mark, ms: BACK_MS });
    expect(await ack(talker, 'sendMsg', { text: 'still here after the cut' })).toMatchObject({ ok: true });
    expect(cluster.nodes[0].child.exitCode).toBeNull();
  });

  test('one node without Redis for seconds: traffic flows on both, nothing lost or doubled, events catch up, no ghost', async () => {
    const { watcher0, watcher1, leaver, traffic } = await scene('o', [0, 0, 1, 1], 0);
    const [o0, , k0] = traffic.members.map((m) => m.client);
    try {

      await isolate(0);
      traffic.phase = 'during';
      // Between two sockets of the cut-off node, typing arrives at once: it never waits for Redis (issue 16).
      const [, o1] = traffic.members.map((m) => m.client);
      const local = arrives(o1.socket, 'typing', (t) => t.from === o0.name, 'typing between two sockets of node 0, without Redis');
      expect(await ack(o0.socket, 'typing', { to: o1.name })).toEqual({ ok: true });
      await local;
      // Across nodes, events of the outage go stale (a second here) before node 0 can read or publish them: they
      // are dropped, never delivered late, to anyone (issue 16: they used to be replayed once Redis was back).
      const late = { atO0: record(o0.socket, 'typing'), pushes: record(o0.socket, 'msg1'), atK0: record(k0.socket, 'typing') };
      expect(await ack(k0.socket, 'typing', { to: o0.name })).toEqual({ ok: true });
      expect(await push(url(1), ADMIN_TOKEN, o0.name, 'pushed during the outage')).toMatchObject({ ok: true });
      expect(await ack(o0.socket, 'typing', { to: k0.name })).toEqual({ ok: true });
      // Presence changes on the cut-off node: someone leaves, someone arrives.
      leaver.close();
      await clients.login(url(0), { username: 'arrival' });
      await traffic.until(traffic.flowing(12), 'traffic during the outage', 60_000); // ≥ 3 s at 4 messages/s each

      const announced = [
        arrives(watcher1, 'presence', (p) => p.users.some((u) => u.name === 'oleaver' && !u.online), 'the leaver announced offline', BACK_MS),
        arrives(watcher1, 'presence', (p) => p.users.some((u) => u.name === 'arrival' && u.online), 'the arrival announced online', BACK_MS),
      ];
      for (const p of announced) p.catch(() => undefined);
      await reconnect(0);
      traffic.phase = 'after';
      await Promise.all(announced);
      // Fresh events cross again, each way, after whatever the outage held back would have come.
      const fresh = [
        arrives(o0.socket, 'typing', (t) => t.from === 'owatch1', 'fresh typing from node 1'),
        arrives(o0.socket, 'msg1', (n) => n.type === 'push' && n.text === 'pushed after the outage', 'a fresh push from node 1'),
        arrives(k0.socket, 'typing', (t) => t.from === 'owatch0', 'fresh typing from node 0'),
      ];
      expect(await ack(watcher1, 'typing', { to: o0.name })).toEqual({ ok: true });
      expect(await push(url(1), ADMIN_TOKEN, o0.name, 'pushed after the outage')).toMatchObject({ ok: true });
      expect(await ack(watcher0, 'typing', { to: k0.name })).toEqual({ ok: true });
      await Promise.all(fresh);
      expect(late.atO0.filter((t) => t.from === k0.name)).toEqual([]);
      expect(late.pushes.filter((n) => n.text === 'pushed during the outage')).toEqual([]);
      expect(late.atK0.filter((t) => t.from === o0.name)).toEqual([]);
      await traffic.until(traffic.flowing(4), 'traffic after the outage', 30_000);
      await traffic.stop();

      await expectWhole(traffic, 12);
      for (const m of traffic.members) expect(m.client.connects).toBe(1); // connections stayed up: no client resync
      const names = ['owatch0', 'owatch1', 'arrival', ...traffic.members.map((m) => m.client.name)];
      for (const probe of [watcher0, watcher1]) await settles(probe, names);
      // Adapter events cross both ways again.
      await crossNode(cluster.nodes.map((n) => n.url), clients, ADMIN_TOKEN, [watcher0, 'owatch0'], [watcher1, 'owatch1'], 'o');
    } finally {
      traffic.close();
    }
  });

  test('a typing flood on a node cut off from Redis: what waits is bounded, and none of it reaches a later socket (issue 16)', async () => {
    const { client: flooder } = await clients.login(url(0), { username: 'flooder' });
    const { client: fresh } = await clients.login(url(0), { username: 'freshtyper' });
    const { session: target } = await clients.login(url(1), { username: 'target' });
    await isolate(0);
    // Twice as many events as the outbox holds (cluster-events.ts, OUTBOX_MAX_EVENTS = 1000), each acked at once
    // (50 at a time: a connection holds at most 64 events waiting).
    const before = await metrics(0);
    for (let i = 0; i < 40; i++) {
      const acks = await Promise.all(Array.from({ length: 50 }, () => ack(flooder, 'typing', { to: 'target' })));
      expect(acks.filter((a) => !a.ok)).toEqual([]);
    }
    const during = await metrics(0);
    expect(during.queued).toBeLessThanOrEqual(1000);
    expect(during.dropped - before.dropped).toBeGreaterThanOrEqual(1000);
    await reconnect(0);
    // A tab of the target that connects after the outage gets fresh typing, and nothing of the flood.
    const { client: later } = await clients.login(url(1), { username: 'target', token: target.token });
    const seen = record(later, 'typing');
    const freshOne = arrives(later, 'typing', (t) => t.from === 'freshtyper', 'fresh typing after the outage');
    expect(await ack(fresh, 'typing', { to: 'target' })).toEqual({ ok: true });
    await freshOne;
    expect(seen.filter((t) => t.from === 'flooder')).toEqual([]);
    expect((await metrics(0)).queued).toBe(0);
  });

  test('a node starts while Redis is down, takes messages at once, and joins the others once Redis is back (issue 16)', async () => {
    const { client: watcher } = await clients.login(url(1), { username: 'startwatch' });
    await cluster.redis.kill();
    const started = Date.now();
    const node = await cluster.addNode();
    // It listened without waiting out a Redis that is not there (it used to exit with 1 after 10 s).
    expect(Date.now() - started).toBeLessThan(8000);
    expect(node.logs.find(logged('presence: starting without Redis'))).toBeDefined();
    const { client: early } = await clients.login(node.url, { username: 'early' });
    const seen = arrives(watcher, 'allmessage', (m) => m.from === 'early', 'a message from the node that started without Redis');
    expect(await ack(early, 'sendMsg', { text: 'sent before this node ever saw Redis' })).toMatchObject({ ok: true });
    await seen; // through PostgreSQL: messages never needed Redis
    const mark = node.logs.length;
    await cluster.redis.restart();
    await whenLogged(node, logged('presence: synced with Redis'), 'the new node syncing', { from: mark, ms: BACK_MS });
    const typing = arrives(watcher, 'typing', (t) => t.from === 'early', 'typing from the new node, across');
    expect(await ack(early, 'typing', { to: 'startwatch' })).toEqual({ ok: true });
    await typing;
  });

  test('Redis lost and restarted empty while messages flow: traffic flows across, no client misses one, no ghost', async () => {
    const { watcher0, watcher1, leaver, traffic } = await scene('r', [0, 1, 0, 1], 1);
    try {

      const marks = cluster.nodes.map((n) => n.logs.length);
      await cluster.redis.kill();
      await Promise.all(
        cluster.nodes.map((n, i) => whenLogged(n, logged('presence: Redis connection lost'), `node ${i} noticing`, { from: marks[i] })),
      );
      traffic.phase = 'during';
      leaver.close(); // leaves while Redis is away: must not stay online afterwards
      await traffic.until(traffic.flowing(8), 'traffic while Redis is down', 60_000);

      const back = cluster.nodes.map((n) => n.logs.length);
      await cluster.redis.restart();
      await Promise.all(
        cluster.nodes.map((n, i) => whenLogged(n, logged('presence: synced with Redis'), `node ${i} resyncing`, { from: back[i], ms: BACK_MS })),
      );
      traffic.phase = 'after';
      await traffic.until(traffic.flowing(4), 'traffic after Redis came back', 30_000);
      await traffic.stop();

      await expectWhole(traffic, 8);
      // Presence settles to exactly who is connected, on both nodes (no ghost of the leaver).
      const names = ['rwatch0', 'rwatch1', ...traffic.members.map((m) => m.client.name)];
      for (const probe of [watcher0, watcher1]) await settles(probe, names);
      // And the adapter carries events both ways on the new, empty Redis.
      await crossNode(cluster.nodes.map((n) => n.url), clients, ADMIN_TOKEN, [watcher0, 'rwatch0'], [watcher1, 'rwatch1'], 'r');
    } finally {
      traffic.close();
    }
  });
});

/** The cluster-event gauges of node `i`'s /metrics (cluster-events.ts). */
async function metricsOf(url: string): Promise<{ queued: number; dropped: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  return { queued: value('chat_cluster_events_queued'), dropped: value('chat_cluster_events_dropped_total') };
}

/** Ids `m` received live more than once. */
function twice(m: Member): number[] {
  return [...m.deliveries].filter(([, n]) => n > 1).map(([id]) => id);
}
