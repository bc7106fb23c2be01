/**
 * Issue 19 in cluster mode, with real processes: two nodes (dist/index.js) on one PostgreSQL and a redis-server,
 * nginx in front. Edits and deletions made on one node reach the readers on the other, once, live and by sync;
 * a block made on one node hides the blocked user's private messages sent through the other; a ban on one node
 * disconnects the user's connections on every node within a second.
 */
import { describeCluster, startCluster, type TestCluster } from './cluster-harness';
import { arrives, Clients } from './cluster-clients';
import { ack, flush, record, within, type Client } from './helpers';
import type { SessionInfo } from '../src/protocol';

jest.setTimeout(120_000);

const ADMIN_TOKEN = 'cluster-admin-token-0123456789';

describeCluster('moderation on two nodes', () => {
  let cluster: TestCluster;
  const clients = new Clients();
  beforeAll(async () => {
    cluster = await startCluster(2, { ADMIN_TOKEN });
  });
  afterAll(async () => {
    await clients.closeAll();
    await cluster?.close();
  });

  const login = async (i: number, auth: Record<string, unknown>): Promise<[Client, SessionInfo]> => {
    const { client, session } = await clients.login(cluster.nodes[i].url, auth);
    return [client, session];
  };

  test('an edit and a deletion on node 0 reach a room member on node 1 once, live and by sync', async () => {
    const [author] = await login(0, { username: 'writer' });
    const [reader] = await login(1, { username: 'reader' });
    await ack(author, 'createRoom', { name: 'desk' });
    await ack(reader, 'joinRoom', { room: 'desk' });
    const edits = record(reader, 'messageEdited');
    const deletions = record(reader, 'messageDeleted');
    const sent = await ack(author, 'roomMsg', { room: 'desk', text: 'draft' });
    const id = sent.ok ? sent.message.id : 0;
    const edited = arrives(reader, 'messageEdited', (e) => e.id === id, 'the edit on node 1');
    await ack(author, 'editMsg', { id, text: 'final' });
    expect(await edited).toMatchObject({ id, text: 'final' });
    const deleted = arrives(reader, 'messageDeleted', (d) => d.id === id, 'the deletion on node 1');
    await ack(author, 'deleteMsg', { id });
    await deleted;
    await flush(reader);
    expect([edits.length, deletions.length]).toEqual([1, 1]);
    const synced = await ack(reader, 'sync', { after: id - 1 });
    expect(synced).toMatchObject({ ok: true, messages: [{ id, text: '', deletedAt: expect.any(Number) }] });
    expect(synced.ok && synced.changes.map((c) => c.type)).toEqual(['edit', 'delete']);
  });

  test('a block made on node 0 hides the private messages the blocked user sends through node 1', async () => {
    const [blocker] = await login(0, { username: 'quiet' });
    const [pest, pestSession] = await login(1, { username: 'noisy' });
    const [pestOther] = await login(0, { token: pestSession.token });
    expect(await ack(blocker, 'block', { user: 'noisy' })).toEqual({ ok: true });
    const blockerSaw = record(blocker, 'privateMsg');
    const toOtherTab = arrives(pestOther, 'privateMsg', (m) => m.text === 'hello?', "the sender's other tab");
    expect(await ack(pest, 'privateMsg', { to: 'quiet', text: 'hello?' })).toMatchObject({ ok: true });
    await toOtherTab; // the sender's own tab on the blocker's node got it: delivery there has run
    await flush(blocker);
    expect(blockerSaw).toEqual([]);
    expect(await ack(blocker, 'history', { with: 'noisy' })).toEqual({ ok: true, messages: [], hasMore: false });
  });

  test('a ban on node 0 disconnects the user on both nodes within a second; a login on either is refused', async () => {
    const [tab0, session] = await login(0, { username: 'banme' });
    const [tab1] = await login(1, { token: session.token });
    const gone = [tab0, tab1].map((tab) => new Promise<number>((resolve) => tab.once('disconnect', () => resolve(Date.now()))));
    const told = arrives(tab1, 'msg1', (n) => n.type === 'error' && n.code === 'banned', 'the ban notice on node 1');
    const started = Date.now();
    const res = await fetch(`${cluster.nodes[0].url}/api/bans`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'banme', reason: 'testing' }),
    });
    expect(await res.json()).toEqual({ ok: true, user: 'banme' });
    expect(await told).toMatchObject({ text: 'This account is banned: testing' });
    const times = await within(Promise.all(gone), 'both tabs disconnected');
    expect(Math.max(...times) - started).toBeLessThan(1000);
    for (const i of [0, 1]) {
      await expect(clients.login(cluster.nodes[i].url, { token: session.token })).rejects.toMatchObject({ data: { code: 'banned' } });
    }
  });
});
