/**
 * Cluster mode through Redis outages (issue 10, "No silent hole when Redis blips"), with real processes: two
 * nodes, each reaching the test's redis-server through a TCP proxy of its own (so one node can lose Redis
 * while the other keeps it), a PostgreSQL database of the test's own, rate limits on.
 */
import Redis from 'ioredis';
import { logged, startCluster, whenLogged, type TestCluster } from './cluster-harness';
import { arrives, Clients } from './cluster-clients';
import { ack } from './helpers';
import { describeBehindNginx } from './nginx';
import { describePostgres } from './postgres';
import { describeWithRedis } from './redis-server';

jest.setTimeout(120_000);

/** How long a node may take to notice Redis is back: ioredis retries at most every 2 s, then presence resyncs. */
const BACK_MS = 20_000;

const describeCluster = (name: string, body: () => void) =>
  describePostgres(name, () => describeWithRedis()('with Redis', () => describeBehindNginx('behind nginx', body)));

describeCluster('Redis outages', () => {
  let cluster: TestCluster;
  const clients = new Clients();
  const url = (i: number) => cluster.nodes[i].url;
  beforeAll(async () => {
    cluster = await startCluster(2); // rate limits on, with their defaults
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
});
