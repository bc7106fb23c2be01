/**
 * Cluster mode (issue 10), with real processes: two nodes (dist/index.js) sharing a redis-server and a
 * PostgreSQL database of the test's own, nginx in front with docs/nginx/chat-cluster.conf. For every client the
 * cluster must behave like one node: same events, same ordering, same delivery guarantee.
 */
import { io, type ManagerOptions, type SocketOptions } from 'socket.io-client';
import { describeCluster, loggedInOn, startCluster, type TestCluster } from './cluster-harness';
import { entitled, onlineNames, queryRows } from './cluster-clients';
import { ack, closeClient, next, within, type Client } from './helpers';
import { ResumingClient } from './resuming-client';
import type { ChatMessage, SessionInfo } from '../src/protocol';

jest.setTimeout(120_000);

const ADMIN_TOKEN = 'cluster-admin-token-0123456789';
/**
 * Rate limits stay on, with the message ones raised: these clients send as fast as acks come (and retry with the
 * same clientId), faster than the default limits, which are meant for people.
 */
const CHATTY = { RATE_LIMIT_MESSAGES_BURST: '1000/10', RATE_LIMIT_MESSAGES: '5000/60' };

describeCluster('two nodes', () => {
  let cluster: TestCluster;
  const opened: Client[] = [];
  beforeAll(async () => {
    // Every client here comes from 127.0.0.1, and these tests log in and connect more than a minute's default
    // allowance for one address (the limits themselves are cluster-limits.test.ts's subject).
    cluster = await startCluster(2, { ADMIN_TOKEN, RATE_LIMIT_LOGINS_PER_ADDRESS: '1000/60', RATE_LIMIT_CONNECTIONS_PER_ADDRESS: '1000/60' });
  });
  afterAll(async () => {
    await Promise.all(opened.splice(0).map(closeClient));
    await cluster?.close();
  });

  /** A client logged in with the handshake, directly on node `i`. */
  async function on(i: number, auth: Record<string, unknown>, options: Partial<ManagerOptions & SocketOptions> = {}) {
    const client: Client = io(cluster.nodes[i].url, { transports: ['websocket'], forceNew: true, reconnection: false, auth, ...options });
    opened.push(client);
    const session = await within(
      new Promise<SessionInfo>((resolve, reject) => {
        client.once('session', resolve);
        client.once('connect_error', reject);
      }),
      `a login on node ${i}`,
    );
    return { client, session };
  }

  test('a public message from node A reaches node B once; a private one reaches every tab on both nodes and the sender\'s others', async () => {
    const { client: a } = await on(0, { username: 'ann' });
    const { client: bob1, session: bob } = await on(1, { username: 'bob' });
    const { client: bob2 } = await on(0, { token: bob.token });
    const { session: annSession } = await on(0, { username: 'ann2' });
    const { client: annOther } = await on(1, { token: annSession.token });
    const { client: ann2 } = await on(0, { token: annSession.token });

    const atB = next(bob1, 'allmessage');
    const sent = await ack(a, 'sendMsg', { text: 'from node A' });
    expect(await atB).toEqual(sent.ok && sent.message);

    // Bob's tabs on both nodes, and ann2's other tab on the other node, get it; the sending tab has its ack.
    const arrivals = [next(bob1, 'privateMsg'), next(bob2, 'privateMsg'), next(annOther, 'privateMsg')];
    const secret = await ack(ann2, 'privateMsg', { to: 'BOB', text: 'across nodes' });
    expect(secret).toMatchObject({ ok: true, delivered: true });
    for (const got of await Promise.all(arrivals)) expect(got).toEqual(secret.ok && secret.message);
    // Exactly once each: a round trip to the same connection after it shows nothing more came.
    const extra: ChatMessage[] = [];
    bob1.on('privateMsg', (m) => extra.push(m));
    await ack(bob1, 'users', {});
    expect(extra).toEqual([]);
  });

  test('typing, presence, msg1 notices and POST /api/push cross nodes', async () => {
    const { client: watcher } = await on(1, { username: 'watcher' });
    const joined = next(watcher, 'presence', (p) => p.users.some((u) => u.name === 'cara' && u.online));
    const { client: cara } = await on(0, { username: 'cara' });
    await joined;
    const typing = next(watcher, 'typing', (t) => t.from === 'cara');
    await ack(cara, 'typing', { to: 'watcher' });
    expect(await typing).toEqual({ from: 'cara', fromName: 'cara', to: 'watcher' });

    const pushed = next(cara, 'msg1', (n) => n.type === 'push');
    const res = await fetch(`${cluster.nodes[1].url}/api/push`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ to: 'cara', text: 'from the other node' }),
    });
    expect(await res.json()).toEqual({ ok: true, to: 'cara', online: true });
    expect(await pushed).toMatchObject({ type: 'push', text: 'from the other node' });

    const left = next(watcher, 'presence', (p) => p.users.some((u) => u.name === 'cara' && !u.online));
    await closeClient(cara);
    await left;
    expect(await ack(watcher, 'users', {})).toMatchObject({ ok: true, users: expect.arrayContaining([{ name: 'cara', displayName: 'cara', online: false }]) });
  });

  test('a node that shuts down gracefully announces its users offline to the other nodes at once', async () => {
    const extra = await cluster.addNode();
    const { client: watcher } = await on(0, { username: 'stayer' });
    const visitor: Client = io(extra.url, { transports: ['websocket'], forceNew: true, auth: { username: 'visitor' } });
    opened.push(visitor);
    const arrived = next(watcher, 'presence', (p) => p.users.some((u) => u.name === 'visitor' && u.online));
    await within(new Promise<void>((resolve) => visitor.once('session', () => resolve())), 'the visitor logging in');
    await arrived;
    const left = next(watcher, 'presence', (p) => p.users.some((u) => u.name === 'visitor' && !u.online));
    extra.child.kill('SIGTERM');
    expect(await extra.exited).toBe(0);
    // Announced by the leaving node itself (within the usual wait), not found later by the reaper (15 s+).
    await left;
    visitor.close();
  });

  test('a tutorial name secured on one node ends the connections that joined it without the token on the other (issue 16)', async () => {
    const anonymous = async (i: number) => {
      const client: Client = io(cluster.nodes[i].url, { transports: ['websocket'], forceNew: true, reconnection: false });
      opened.push(client);
      await within(new Promise((resolve) => client.once('connect', () => resolve(undefined))), `a connection to node ${i}`);
      return client;
    };
    const owner = await anonymous(0);
    const claimed = await ack(owner, 'login', { id: 'tomx' });
    if (!claimed.ok || !claimed.token) throw new Error('tomx could not claim the name');
    const intruder = await anonymous(1);
    expect(await ack(intruder, 'login', { id: 'tomx' })).toMatchObject({ ok: true });
    const told = next(intruder, 'msg1', (n) => n.type === 'error' && n.code === 'username_taken');
    const gone = within(new Promise<string>((resolve) => intruder.once('disconnect', resolve)), 'the intruder on node 1 being disconnected');
    expect(await ack(await anonymous(0), 'login', { username: 'tomx', token: claimed.token })).toMatchObject({ ok: true });
    await told;
    expect(await gone).toBe('io server disconnect');
    expect(await ack(await anonymous(1), 'login', { id: 'tomx' })).toMatchObject({ ok: false, error: { code: 'username_taken' } });
  });

  test('session is the first event of a handshake login on one node while the other broadcasts (issue 16)', async () => {
    // Node 0 broadcasts as fast as it answers (admin push notices, which no limit slows), so that node 1 has
    // events to deliver to a socket at any moment, also in the instant after it connected.
    let flowing = true;
    const pushing = (async () => {
      for (let i = 0; flowing; i++) {
        const res = await fetch(`${cluster.nodes[0].url}/api/push`, {
          method: 'POST',
          headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify({ text: `flowing ${i}` }),
        });
        await res.arrayBuffer();
      }
    })();
    const { client: watcher } = await on(1, { username: 'firstwatch' });
    await next(watcher, 'msg1', (n) => n.type === 'push'); // the broadcasts reach node 1
    const firsts: string[] = [];
    try {
      for (let i = 0; i < 15; i++) {
        const client: Client = io(cluster.nodes[1].url, { transports: ['websocket'], forceNew: true, reconnection: false, autoConnect: false, auth: { username: `first${i}` } });
        opened.push(client);
        const first = new Promise<string>((resolve) => client.onAny((event: string) => resolve(event)));
        client.connect();
        firsts.push(await within(first, `the first event of login ${i}`));
        await closeClient(client);
      }
    } finally {
      flowing = false;
      await pushing;
    }
    expect(firsts).toEqual(Array(15).fill('session'));
  });

  test('presence converges whatever order the nodes announce in: observers end with what users says (issue 16)', async () => {
    const observers = await Promise.all([on(0, { username: 'obs0' }), on(1, { username: 'obs1' })]);
    /** What each observer's events say of each user, applied in the order they came, as a page would. */
    const views = observers.map(({ client }) => {
      const view = new Map<string, boolean>();
      client.on('presence', (p) => p.users.forEach((u) => view.set(u.name, u.online)));
      return view;
    });
    const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms)); // the sequence's own timing
    for (let round = 0; round < 5; round++) {
      const [u, x] = [`conv${round}`, `other${round}`];
      const { client: onlyTab, session } = await on(0, { username: u });
      await Promise.all(observers.map(({ client }) => next(client, 'presence', (p) => p.users.some((e) => e.name === u && e.online))));
      // The interleaving that showed the bug: X logs in on node 1; 20 ms later U's only tab (node 0) closes;
      // 30 ms later U logs in again on node 1. U ends online.
      const xIn = on(1, { username: x });
      await pause(20);
      onlyTab.close();
      await pause(30);
      await on(1, { username: u, token: session.token });
      await xIn;
      // Fresh logins on each node, after everything above: once both are seen, every earlier announcement is.
      const marks = [`mark${round}a`, `mark${round}b`];
      const seen = observers.map(({ client }) => Promise.all(marks.map((m) => next(client, 'presence', (p) => p.users.some((e) => e.name === m && e.online)))));
      await Promise.all([on(0, { username: marks[0] }), on(1, { username: marks[1] })]);
      await Promise.all(seen);
      for (const [i, { client }] of observers.entries()) {
        const listed = (await onlineNames(client)).includes(u);
        expect({ observer: i, user: u, listed, events: views[i].get(u) }).toEqual({ observer: i, user: u, listed: true, events: true });
      }
    }
  });

  test('two nodes racing to claim one name: exactly one wins', async () => {
    const tries = await Promise.allSettled([on(0, { username: 'contested' }), on(1, { username: 'contested' })]);
    expect(tries.filter((t) => t.status === 'fulfilled')).toHaveLength(1);
    expect(tries.filter((t) => t.status === 'rejected').map((t) => (t as PromiseRejectedResult).reason.data)).toEqual([
      expect.objectContaining({ code: 'username_taken' }),
    ]);
  });

  test('a long-polling client through nginx stays connected past the ping interval and chats', async () => {
    const client: Client = io(cluster.nginx.url, { transports: ['polling'], forceNew: true, reconnection: false, auth: { username: 'poller' } });
    opened.push(client);
    await within(new Promise((resolve) => client.once('session', resolve)), 'the polling login');
    const disconnects: string[] = [];
    client.on('disconnect', (reason) => disconnects.push(reason));
    // Socket.IO pings every 25 s; a long-poll is held open until then, through nginx.
    await within(new Promise<void>((resolve) => client.io.engine.once('ping', () => resolve())), 'the first ping', 40_000);
    const { client: other } = await on(0, { username: 'pollwatch' });
    const seen = next(other, 'allmessage', (m) => m.from === 'poller');
    expect(await ack(client, 'sendMsg', { text: 'still here after a ping' })).toMatchObject({ ok: true });
    expect(await seen).toMatchObject({ text: 'still here after a ping' });
    expect(disconnects).toEqual([]);
    expect(client.io.engine.transport.name).toBe('polling');
  });
});

describeCluster('a node killed with SIGKILL', () => {
  let cluster: TestCluster;
  afterAll(() => cluster?.close());

  test('its clients move to the other node through nginx and lose nothing; its users who left go offline within 30 s', async () => {
    cluster = await startCluster(2, CHATTY);
    const names = ['k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7', 'k8'];
    // Distinct loopback addresses, so that nginx's hash spreads the clients over the nodes.
    // (`localAddress` reaches the WebSocket transport, ws, though socket.io-client's types do not list it.)
    const clients = names.map(
      (name, i) => new ResumingClient(cluster.nginx.url, name, { localAddress: `127.0.0.${10 + i}` } as Partial<ManagerOptions & SocketOptions>),
    );
    try {
      await Promise.all(clients.map((c) => c.whenReady()));
      const where = cluster.nodes.map(loggedInOn);
      const victim = where[0].size > 0 && where[1].size > 0 ? (where[0].size >= where[1].size ? 0 : 1) : undefined;
      expect(victim).toBeDefined(); // the hash spread the clients over both nodes
      const survivor = 1 - victim!;
      // A user whose only connection is on the victim, and who will not come back.
      const ghost: Client = io(cluster.nodes[victim!].url, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { username: 'ghost' } });
      await within(new Promise<void>((resolve) => ghost.once('session', () => resolve())), 'the ghost logging in');
      const observer: Client = io(cluster.nodes[survivor].url, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { username: 'observer' } });
      await within(new Promise<void>((resolve) => observer.once('session', () => resolve())), 'the observer logging in');

      const deadline = Date.now() + 90_000;
      const acked = new Map<string, ChatMessage>();
      let killedAt = 0;
      const ghostGone = new Promise<number>((resolve) =>
        observer.on('presence', (p) => p.users.some((u) => u.name === 'ghost' && !u.online) && resolve(Date.now())),
      );
      await Promise.all(
        clients.map(async (client, u) => {
          for (let i = 0; i < 20; i++) {
            const clientId = `${client.name}-${i}`;
            const to = i % 3 === 2 ? names[(u + 1 + (i % (names.length - 1))) % names.length] : undefined;
            const message = await client.send({ to, text: `${clientId} ${to ? `to ${to}` : 'public'}`, clientId }, deadline);
            acked.set(clientId, message);
            if (!killedAt && acked.size >= 60) {
              killedAt = Date.now();
              cluster.nodes[victim!].child.kill('SIGKILL');
            }
          }
        }),
      );
      expect(killedAt).toBeGreaterThan(0);
      expect(await cluster.nodes[victim!].exited).toBe('SIGKILL');

      // The database: every acked clientId exactly once, with the id its ack carried.
      const rows = await queryRows(cluster.db.url);
      expect(rows).toHaveLength(acked.size);
      for (const row of rows) expect(acked.get(row.clientId ?? '')?.id).toBe(row.id);
      // Every client: exactly what it is entitled to (all public, its own private), none twice, none foreign.
      for (const client of clients) {
        const ids = entitled(rows, client.name);
        await client.whenHolding(ids.length, 20_000).catch(() => undefined);
        expect([...client.held.keys()].sort((a, b) => a - b)).toEqual(ids);
        expect(client.resets).toBe(0);
      }
      // Everyone who was on the victim is now on the survivor.
      expect(clients.filter((c) => c.connects >= 2).length).toBe(where[victim!].size);
      // The ghost's node died with it: the survivor announces it offline within 30 s of the kill.
      const goneAt = await within(ghostGone, 'the ghost going offline', 35_000);
      expect(goneAt - killedAt).toBeLessThan(30_000);
      ghost.close();
      observer.close();
    } finally {
      for (const c of clients) c.close();
    }
  });
});
