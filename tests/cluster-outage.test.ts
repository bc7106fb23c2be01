/**
 * Cluster mode through Redis outages (issue 10, "No silent hole when Redis blips"), with real processes: two
 * nodes, each reaching the test's redis-server through a TCP proxy of its own (so one node can lose Redis
 * while the other keeps it), a PostgreSQL database of the test's own, rate limits on.
 */
import Redis from 'ioredis';
import { describeCluster, logged, startCluster, whenLogged, type TestCluster } from './cluster-harness';
import { arrives, Clients, crossNode, entitled, push, queryRows, settles } from './cluster-clients';
import { Traffic, type Member } from './cluster-traffic';
import { ack, WAIT_MS } from './helpers';

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
    cluster = await startCluster(2, { ADMIN_TOKEN, RATE_LIMIT_MESSAGES_BURST: '100/10', RATE_LIMIT_MESSAGES: '600/60' });
  });
  afterEach(() => clients.closeAll());
  afterAll(() => cluster?.close());

  /** Cuts node `i` off Redis (new connections refused too) and resolves once the node has noticed. */
  async function isolate(i: number): Promise<void> {
    const mark = cluster.nodes[i].logs.length;
    cluster.links[i].block();
    await cluster.links[i].cut();
    await whenLogged(cluster.nodes[i], logged('presence: Redis connection lost'), `node ${i} noticing`, { from: mark });
  }

  /** Lets node `i` reconnect and resolves once its presence has resynced (and its rate limits' connection is ready). */
  async function reconnect(i: number): Promise<void> {
    const node = cluster.nodes[i];
    const mark = node.logs.length;
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
    const { client: talker } = await clients.login(url(0), { username: 'hush' });
    cluster.links[0].dropReplies(); // what a network dropping packets looks like: nothing closes
    // Each count waits for its command timeout, then the node's stand-in decides; nothing waits for Redis.
    for (let i = 0; i < 3; i++) {
      const seen = arrives(watcher, 'allmessage', (m) => m.text === `unanswered ${i}`, 'the message on the other node');
      expect(await ack(talker, 'sendMsg', { text: `unanswered ${i}` })).toMatchObject({ ok: true });
      await seen;
    }
    const mark = cluster.nodes[0].logs.length;
    await cluster.links[0].cut(); // the connections drop; the node reconnects through the proxy
    await whenLogged(cluster.nodes[0], logged('presence: synced with Redis'), 'node 0 resyncing', { from: mark, ms: BACK_MS });
  });

  test('one node without Redis for seconds: traffic flows on both, nothing lost or doubled, events catch up, no ghost', async () => {
    const { watcher0, watcher1, leaver, traffic } = await scene('o', [0, 0, 1, 1], 0);
    const [o0, , k0] = traffic.members.map((m) => m.client);
    try {

      await isolate(0);
      traffic.phase = 'during';
      let healed = false;
      // Published on node 1 for node 0's users while node 0 cannot read the stream: the Streams adapter must
      // deliver them once node 0 reads again (the Pub/Sub adapter would drop them). And node 0's own events
      // wait in its connection's offline queue.
      const caughtUp = [
        arrives(o0.socket, 'typing', (t) => t.from === k0.name, 'typing from node 1, caught up', 60_000),
        arrives(o0.socket, 'msg1', (n) => n.type === 'push' && n.text === 'pushed during the outage', 'the push, caught up', 60_000),
        arrives(k0.socket, 'typing', (t) => t.from === o0.name, 'typing from node 0, sent late', 60_000),
      ].map((p) => p.then(() => healed));
      for (const p of caughtUp) p.catch(() => undefined); // awaited below; not unhandled if the test fails first
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
      healed = true;
      await reconnect(0);
      traffic.phase = 'after';
      expect(await Promise.all(caughtUp)).toEqual([true, true, true]); // each arrived, and only after the outage
      await Promise.all(announced);
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

/** Ids `m` received live more than once. */
function twice(m: Member): number[] {
  return [...m.deliveries].filter(([, n]) => n > 1).map(([id]) => id);
}
