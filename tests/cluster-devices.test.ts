/**
 * Issue 21 in a real cluster (two nodes, Redis, PostgreSQL): a sign-in code made on one node opens a session
 * on the other; ending a session closes its connections on every node at once and its token opens nothing on
 * any; a new display name reaches the user's connections on every node, and what they send carries it.
 */
import { describeCluster, startCluster, type TestCluster } from './cluster-harness';
import { arrives, Clients } from './cluster-clients';
import { ack, within } from './helpers';

jest.setTimeout(120_000);

describeCluster('devices across nodes', () => {
  let cluster: TestCluster;
  const clients = new Clients();
  beforeAll(async () => {
    cluster = await startCluster(2);
  });
  afterEach(() => clients.closeAll());
  afterAll(() => cluster?.close());

  const url = (i: number) => cluster.nodes[i].url;

  test('a session ended on node A: its connections on node B are told and closed at once, its token opens nothing anywhere', async () => {
    const { client: laptop, session: first } = await clients.login(url(0), { username: 'ann' });
    const made = await ack(laptop, 'signInCode', {});
    if (!made.ok) throw new Error(made.error.code);
    const { client: phone, session: second } = await clients.login(url(1), { code: made.code });
    expect(second).toMatchObject({ user: { name: 'ann' }, token: expect.any(String) });
    const { client: phoneTab } = await clients.login(url(1), { token: second.token });
    const { client: phoneOnA } = await clients.login(url(0), { token: second.token });

    const told = [phone, phoneTab, phoneOnA].map((c) => arrives(c, 'msg1', (n) => n.code === 'session_ended', 'session_ended notice'));
    const gone = [phone, phoneTab, phoneOnA].map((c) => new Promise<string>((resolve) => c.once('disconnect', resolve)));
    expect(await ack(laptop, 'endSession', { id: second.sessionId })).toEqual({ ok: true, ended: 1 });
    await Promise.all(told);
    expect(await within(Promise.all(gone), 'every connection of the session closed')).toEqual(Array(3).fill('io server disconnect'));
    for (const i of [0, 1]) {
      await expect(clients.login(url(i), { token: second.token })).rejects.toMatchObject({ data: { code: 'unauthorized' } });
    }
    // The other session is untouched, on either node.
    await clients.login(url(1), { token: first.token });
    expect(laptop.connected).toBe(true);
  });

  test('a code is single use across nodes', async () => {
    const { client: owner } = await clients.login(url(0), { username: 'bea' });
    const made = await ack(owner, 'signInCode', {});
    if (!made.ok) throw new Error(made.error.code);
    const results = await Promise.allSettled([0, 1, 0, 1].map((i) => clients.login(url(i), { code: made.code })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected')).toEqual(Array(3).fill({ status: 'rejected', reason: expect.objectContaining({ data: expect.objectContaining({ code: 'unauthorized' }) }) }));
  });

  test('docs/nginx/chat-cluster.conf keeps /metrics off the public side; each node answers it on its own address', async () => {
    const hidden = await fetch(`${cluster.nginx.url}/metrics`);
    expect(hidden.status).toBe(404);
    expect(await hidden.text()).not.toContain('chat_');
    expect((await fetch(`${url(0)}/metrics`)).status).toBe(200);
  });

  test("a new display name reaches the user's connections on every node", async () => {
    const { client: onA, session } = await clients.login(url(0), { username: 'cy' });
    const { client: onB } = await clients.login(url(1), { token: session.token });
    const { client: watcher } = await clients.login(url(1), { username: 'dee' });
    const told = arrives(watcher, 'profileChanged', (c) => c.name === 'cy', 'profileChanged on node B');
    expect(await ack(onA, 'profile', { displayName: 'Cy Twombly' })).toMatchObject({ ok: true });
    expect(await told).toMatchObject({ name: 'cy', displayName: 'Cy Twombly' });
    const heard = arrives(watcher, 'typing', (t) => t.from === 'cy', 'typing from node B');
    await ack(onB, 'typing', {});
    expect(await heard).toEqual({ from: 'cy', fromName: 'Cy Twombly' });
    const message = arrives(watcher, 'allmessage', (m) => m.text === 'from B', 'the message from node B');
    await ack(onB, 'sendMsg', { text: 'from B' });
    expect(await message).toMatchObject({ from: 'cy', fromName: 'Cy Twombly' });
  });
});
