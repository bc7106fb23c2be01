/**
 * The guarantees stated on Presence (src/presence/presence.ts), checked against every implementation, and
 * for Redis also with two nodes (two RedisPresence instances on one Redis, sockets spread over both): a
 * user comes online once and goes offline once however many sockets on however many nodes.
 */
import { MemoryPresence } from '../src/presence/memory';
import type { Presence, PresenceUser } from '../src/presence/presence';
import { RedisPresence } from '../src/presence/redis';
import { RedisServer, redisMissing } from './redis-server';

interface Cluster {
  /** One registry per node; socket i lives on node i % nodes.length. */
  nodes: Presence[];
  close(): Promise<void>;
}

const missing = redisMissing();
if (missing !== undefined && process.env.CI === 'true') throw new Error(`Redis suites cannot run: ${missing}`);
if (missing !== undefined) console.warn(`skipping the Redis variants of the presence suite: ${missing}`);

let redis: RedisServer | undefined;
let prefixes = 0;
beforeAll(async () => {
  if (missing === undefined) redis = await RedisServer.start();
});
afterAll(async () => {
  await redis?.close();
});

async function redisCluster(count: number): Promise<Cluster> {
  const prefix = `t${++prefixes}:`;
  const nodes: RedisPresence[] = [];
  for (let i = 0; i < count; i++) nodes.push(await RedisPresence.start({ redis: redis!.url, nodeId: `node-${i}`, prefix, opTimeoutMs: 10_000, startTimeoutMs: 3000 }));
  return { nodes, close: async () => void (await Promise.all(nodes.map((n) => n.close()))) };
}

const factories: Array<[string, () => Promise<Cluster>]> = [
  ['memory', async () => ({ nodes: [new MemoryPresence()], close: async () => undefined })],
  ...(missing === undefined
    ? ([
        ['redis', () => redisCluster(1)],
        ['redis, two nodes', () => redisCluster(2)],
      ] as Array<[string, () => Promise<Cluster>]>)
    : []),
];

const alice: PresenceUser = { id: 1, key: 'alice', name: 'Alice' };
const bob: PresenceUser = { id: 2, key: 'bob', name: 'Bob' };

describe.each(factories)('%s', (_name, open) => {
  let cluster: Cluster;
  let nodes: Presence[];
  const at = (i: number) => nodes[i % nodes.length];
  /** Every node must give the same answer. */
  const everywhere = <T>(ask: (p: Presence) => Promise<T>) => Promise.all(nodes.map(ask));

  beforeEach(async () => {
    cluster = await open();
    nodes = cluster.nodes;
  });
  afterEach(() => cluster?.close());

  test('a user with sockets on every node comes online once and goes offline once', async () => {
    const added: boolean[] = [];
    for (let i = 0; i < 4; i++) added.push(await at(i).add(alice, `s${i}`));
    expect(added).toEqual([true, false, false, false]);
    expect(await everywhere((p) => p.isOnline(alice.id))).toEqual(nodes.map(() => true));
    // socketCount counts every socket of the user on every node (MAX_SOCKETS_PER_USER relies on it).
    expect(await everywhere((p) => p.socketCount(alice.id))).toEqual(nodes.map(() => 4));
    const removed: boolean[] = [];
    for (let i = 0; i < 4; i++) removed.push(await at(i).remove(alice, `s${i}`));
    expect(removed).toEqual([false, false, false, true]);
    expect(await everywhere((p) => p.isOnline(alice.id))).toEqual(nodes.map(() => false));
    expect(await everywhere((p) => p.socketCount(alice.id))).toEqual(nodes.map(() => 0));
  });

  test('concurrent sockets of one user: exactly one add and one remove report the transition', async () => {
    const ids = Array.from({ length: 8 }, (_, i) => `c${i}`);
    const added = await Promise.all(ids.map((id, i) => at(i).add(alice, id)));
    expect(added.filter(Boolean)).toHaveLength(1);
    const removed = await Promise.all(ids.map((id, i) => at(i).remove(alice, id)));
    expect(removed.filter(Boolean)).toHaveLength(1);
    expect(await everywhere((p) => p.onlineCount())).toEqual(nodes.map(() => 0));
  });

  test('onlineAmong answers which of a page of users are online, on every node', async () => {
    await at(0).add(alice, 'o1');
    await at(1).add(bob, 'o2');
    await at(1).remove(bob, 'o2');
    expect(await everywhere((p) => p.onlineAmong([alice.id, bob.id, 99]))).toEqual(nodes.map(() => new Set([alice.id])));
    expect(await everywhere((p) => p.onlineAmong([]))).toEqual(nodes.map(() => new Set()));
    await at(0).remove(alice, 'o1');
  });

  test('removing an unknown socket, a socket twice, or another user’s socket reports nothing', async () => {
    expect(await at(0).remove(alice, 'never-added')).toBe(false);
    expect(await at(0).add(alice, 'a1')).toBe(true);
    expect(await at(0).remove(bob, 'a1')).toBe(false);
    expect(await at(0).isOnline(alice.id)).toBe(true);
    expect(await at(0).add(alice, 'a1')).toBe(false); // the same socket again is not a second socket
    expect(await at(0).remove(alice, 'a1')).toBe(true);
    expect(await at(0).remove(alice, 'a1')).toBe(false);
    expect(await at(1).remove(alice, 'a1')).toBe(false);
  });

  test('users are told apart by id: same key, different ids are two users', async () => {
    const retired: PresenceUser = { id: 10, key: 'carol', name: 'Carol' };
    const successor: PresenceUser = { id: 11, key: 'carol', name: 'carol' };
    expect(await at(0).add(retired, 'r1')).toBe(true);
    expect(await everywhere((p) => p.isOnline(successor.id))).toEqual(nodes.map(() => false));
    expect(await at(1).add(successor, 'n1')).toBe(true);
    expect(await everywhere((p) => p.onlineCount())).toEqual(nodes.map(() => 2));
    for (const names of await everywhere((p) => p.online())) expect([...names].sort()).toEqual(['Carol', 'carol']);
    expect(await at(0).remove(retired, 'r1')).toBe(true);
    expect(await everywhere((p) => p.isOnline(successor.id))).toEqual(nodes.map(() => true));
    expect(await everywhere((p) => p.online())).toEqual(nodes.map(() => ['carol']));
  });

  test('a user renamed while online (issue 21) is listed by the name its newest socket came with', async () => {
    const renamed = { ...alice, key: 'alicia', name: 'Alicia' };
    expect(await at(0).add(alice, 's1')).toBe(true);
    expect(await at(1).add(renamed, 's2')).toBe(false);
    expect(await everywhere((p) => p.online())).toEqual(nodes.map(() => ['Alicia']));
    expect(await at(0).remove(alice, 's1')).toBe(false);
    expect(await everywhere((p) => p.online())).toEqual(nodes.map(() => ['Alicia']));
    expect(await at(1).remove(renamed, 's2')).toBe(true);
    expect(await everywhere((p) => p.onlineCount())).toEqual(nodes.map(() => 0));
  });

  test('online lists names sorted by key, the first `limit` of them; onlineCount counts users, not sockets', async () => {
    // Keys in code point order: a < d < m < z < é < 李. By name the order would differ ('Dan' < 'MIA' < 'amy'),
    // so only a sort by key passes.
    const users: PresenceUser[] = [
      { id: 21, key: 'zoe', name: 'Zoe' },
      { id: 22, key: '李', name: '李' },
      { id: 23, key: 'dan', name: 'Dan' },
      { id: 24, key: 'émile', name: 'Émile' },
      { id: 25, key: 'mia', name: 'MIA' },
      { id: 26, key: 'amy', name: 'amy' },
    ];
    for (const [i, u] of users.entries()) {
      await at(i).add(u, `x${i}`);
      await at(i + 1).add(u, `y${i}`);
    }
    const sorted = ['amy', 'Dan', 'MIA', 'Zoe', 'Émile', '李'];
    expect(await everywhere((p) => p.online())).toEqual(nodes.map(() => sorted));
    expect(await everywhere((p) => p.online(2))).toEqual(nodes.map(() => sorted.slice(0, 2)));
    expect(await everywhere((p) => p.online(0))).toEqual(nodes.map(() => []));
    expect(await everywhere((p) => p.online(50))).toEqual(nodes.map(() => sorted));
    expect(await everywhere((p) => p.onlineCount())).toEqual(nodes.map(() => 6));
    await at(2).remove(users[2], 'x2'); // Dan keeps a socket
    expect(await everywhere((p) => p.online(3))).toEqual(nodes.map(() => ['amy', 'Dan', 'MIA']));
    await at(3).remove(users[2], 'y2');
    expect(await everywhere((p) => p.online())).toEqual(nodes.map(() => ['amy', 'MIA', 'Zoe', 'Émile', '李']));
    expect(await everywhere((p) => p.onlineCount())).toEqual(nodes.map(() => 5));
  });

  test('nothing changes behind the back of a registry whose nodes are all healthy; close is idempotent', async () => {
    const heard: unknown[] = [];
    const unsubscribe = nodes.map((p) => p.onExternalChange((changes) => heard.push(changes)));
    await at(0).add(alice, 'h1');
    await at(1).add(bob, 'h2');
    await at(1).remove(alice, 'h1'); // alice's socket lives on node 0: not node 1's to remove (unless one node)
    await at(0).remove(alice, 'h1');
    expect(heard).toEqual([]);
    for (const off of unsubscribe) off();
    await cluster.close();
    await cluster.close();
  });
});
