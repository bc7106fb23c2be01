/**
 * A node's default identity in a real cluster (presence/node-id.ts): two nodes on one machine and one port but
 * different addresses are two nodes, and a node restarted with its settings is its predecessor again and
 * cleans up after it at once.
 */
import { describeCluster, logged, startCluster, type TestCluster } from './cluster-harness';
import { arrives, Clients, onlineNames } from './cluster-clients';
import type { ServerProcess } from './process';

jest.setTimeout(60_000);

describeCluster('node identity', () => {
  let cluster: TestCluster;
  const clients = new Clients();
  beforeAll(async () => {
    cluster = await startCluster(1);
  });
  afterEach(() => clients.closeAll());
  afterAll(() => cluster?.close());
  const idOf = (node: ServerProcess) => node.logs.find(logged('joined the cluster'))?.nodeId;

  test('two nodes on one machine with one PORT and different HOSTs are two nodes: the second leaves the first one\'s users be', async () => {
    const first = await cluster.addNodeOnFreePort({ HOST: '127.0.0.1' });
    await clients.login(first.url, { username: 'alpha' });
    const second = await cluster.addNode({ HOST: '127.0.0.2', PORT: String(first.port) });
    expect(idOf(first)).not.toBe(idOf(second));
    // Starting, a node removes what a predecessor with its identity left in Redis: had the second taken the
    // first one's identity, alpha would be gone from the list it answers as soon as it listens.
    const probe = await clients.connect(`http://127.0.0.2:${second.port}`);
    expect(await onlineNames(probe)).toContain('alpha');
  });

  test('a node restarted with its settings removes its predecessor\'s users itself, at start (not the reaper, later)', async () => {
    const node = await cluster.addNodeOnFreePort();
    const i = cluster.nodes.indexOf(node);
    const { client: watcher } = await clients.login(cluster.nodes[0].url, { username: 'watcher' });
    const online = arrives(watcher, 'presence', (p) => p.users.some((u) => u.name === 'ghosty' && u.online), 'ghosty online');
    await clients.login(node.url, { username: 'ghosty' });
    await online;

    const offline = arrives(watcher, 'presence', (p) => p.users.some((u) => u.name === 'ghosty' && !u.online), 'ghosty offline', 20_000);
    offline.catch(() => undefined); // awaited below
    node.child.kill('SIGKILL');
    expect(await node.exited).toBe('SIGKILL');
    const successor = await cluster.restartNode(i);
    await offline;
    expect(idOf(successor)).toBe(idOf(node));
    // Reported by the successor's first sync with Redis, which replaced what its predecessor left…
    expect(successor.logs.find(logged('presence: synced with Redis'))).toMatchObject({ changes: 1 });
    // …and not by a node that found the predecessor's heartbeat expired.
    const reaps = cluster.nodes.flatMap((n) => n.logs).filter((l) => String(l.what ?? '').startsWith('reaped'));
    expect(reaps).toEqual([]);
  });
});
