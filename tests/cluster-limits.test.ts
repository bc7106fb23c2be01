/**
 * Rate limits across two nodes (issue 11, in cluster mode): each limit counts in Redis, so a user or an address
 * spread over both nodes is held to one allowance; each is hit and recovered from. Limits are small here so the
 * tests stay short. Clients connect straight to a node, each test from a loopback address of its own, so the
 * per-address limits of one test do not touch another's.
 *
 * Recovering means waiting as long as the refusal said (`retryAfterMs`): that is the server's promise under
 * test, so these waits are the one place a test here waits on time.
 */
import { describeCluster, logged, startCluster, whenLogged, type TestCluster } from './cluster-harness';
import { Clients, from } from './cluster-clients';
import { ack, type Client } from './helpers';
import { RawSocket } from './fuzz/raw-socket';
import type { ErrorBody } from '../src/errors';

jest.setTimeout(60_000);

const WINDOW_MS = 5_000;
const LIMITS = {
  RATE_LIMIT_MESSAGES_BURST: '8/5',
  RATE_LIMIT_MESSAGES: '200/60',
  RATE_LIMIT_LOGINS_PER_ADDRESS: '12/5',
  RATE_LIMIT_BAD_TOKENS_PER_ADDRESS: '4/5',
  RATE_LIMIT_CONNECTIONS_PER_ADDRESS: '6/5',
  MAX_SOCKETS_PER_USER: '3',
  LOG_LEVEL: 'debug', // the node's "disconnected" line says when a closed tab no longer counts
};

type Outcome = { ok: true } | { ok: false; error: ErrorBody };

/** The error of a refused action, checked to be `rate_limited` with a wait within the limit's window. */
function refusal(res: Outcome): number {
  expect(res).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
  const wait = (res as { error: ErrorBody }).error.retryAfterMs ?? 0;
  expect(wait).toBeGreaterThan(0);
  expect(wait).toBeLessThanOrEqual(WINDOW_MS);
  return wait;
}

/** Waits as long as a refusal said (see the file's comment). */
const waitAsTold = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeCluster('rate limits across two nodes', () => {
  let cluster: TestCluster;
  const clients = new Clients();
  const url = (i: number) => cluster.nodes[i].url;
  beforeAll(async () => {
    cluster = await startCluster(2, LIMITS);
  });
  afterEach(() => clients.closeAll());
  afterAll(() => cluster?.close());

  /** A user with a tab on each node, from `address`. */
  async function twoTabs(name: string, address: string): Promise<[Client, Client]> {
    const { client: first, session } = await clients.login(url(0), { username: name }, from(address));
    const { client: second } = await clients.login(url(1), { token: session.token }, from(address));
    return [first, second];
  }

  test('a flood split over both nodes is cut at one allowance and recovers when told; a user at 1/s beside it is untouched', async () => {
    // The same address, as behind one NAT: messages are limited per user, not per address.
    const [f0, f1] = await twoTabs('flooder', '127.0.0.21');
    const [n0, n1] = await twoTabs('normal', '127.0.0.21');
    const normal: Outcome[] = [];
    let stop = false;
    const steady = (async () => {
      for (let i = 0; !stop; i++) {
        normal.push(await ack(i % 2 === 0 ? n0 : n1, 'sendMsg', { text: `normal ${i}` }));
        await new Promise((resolve) => setTimeout(resolve, 1000)); // a pace: one message a second
      }
    })();

    let during = 0;
    try {
      // One at a time, alternating nodes: the allowance (8) is shared, so both nodes refuse after it.
      const flood: Outcome[] = [];
      for (let i = 0; i < 12; i++) flood.push(await ack(i % 2 === 0 ? f0 : f1, 'sendMsg', { text: `flood ${i}` }));
      expect(flood.slice(0, 8).filter((r) => !r.ok)).toEqual([]);
      const waits = flood.slice(8).map(refusal); // on node 0 and node 1, twice each
      during = normal.length;

      await waitAsTold(Math.max(...waits));
      expect(await ack(f1, 'sendMsg', { text: 'after the wait' })).toMatchObject({ ok: true });
      expect(await ack(f0, 'sendMsg', { text: 'and on the other node' })).toMatchObject({ ok: true });
    } finally {
      stop = true;
      await steady;
    }
    expect(normal.length).toBeGreaterThan(during); // it kept sending while the flooder waited
    expect(normal.filter((r) => !r.ok)).toEqual([]);
    expect(f0.connected && f1.connected).toBe(true); // four refusals: refused, not cut off
  });

  test('wrong tokens from one address over both nodes: refused after the allowance, the owner elsewhere unaffected, then allowed', async () => {
    const { client: owner, session } = await clients.login(url(0), { username: 'vic' }, from('127.0.0.23'));
    const attacker = [await clients.connect(url(0), from('127.0.0.22')), await clients.connect(url(1), from('127.0.0.22'))];
    const wrong = (i: number) => `${session.token!.slice(0, -4)}${String(1000 + i).slice(-4)}`;
    const tries: Outcome[] = [];
    for (let i = 0; i < 6; i++) tries.push(await ack(attacker[i % 2], 'login', { username: 'vic', token: wrong(i) }));
    for (const res of tries.slice(0, 4)) expect(res).toMatchObject({ ok: false, error: { code: 'username_taken' } });
    tries.slice(4).map(refusal); // one refusal on each node
    // From that address even the right token waits now; from the owner's address it opens the name.
    const wait = refusal(await ack(attacker[0], 'login', { username: 'vic', token: session.token }));
    const { client: ownerAgain } = await clients.login(url(1), { token: session.token }, from('127.0.0.23'));
    expect(ownerAgain.connected && owner.connected).toBe(true);

    await waitAsTold(wait);
    expect(await ack(attacker[1], 'login', { username: 'vic', token: session.token })).toMatchObject({ ok: true });
  });

  test('logins from one address over both nodes: refused after the allowance, then allowed', async () => {
    const sockets = [await clients.connect(url(0), from('127.0.0.24')), await clients.connect(url(1), from('127.0.0.24'))];
    const logins: Outcome[] = [];
    for (let i = 0; i < 14; i++) {
      const socket = sockets[i % 2];
      const res = await ack(socket, 'login', { username: `login${i}` });
      logins.push(res);
      if (res.ok) expect(await ack(socket, 'logout', {})).toEqual({ ok: true }); // free to log in again
    }
    expect(logins.slice(0, 12).filter((r) => !r.ok)).toEqual([]);
    const waits = logins.slice(12).map(refusal); // node 0, then node 1
    await waitAsTold(Math.max(...waits));
    expect(await ack(sockets[0], 'login', { username: 'loginafter' })).toMatchObject({ ok: true });
  });

  test('new connections from one address over both nodes: refused after the allowance, then allowed', async () => {
    // Counted per Engine.IO session (realtime/admission.ts): five connections alternating nodes, then a bare
    // session on node 1 takes the sixth and last point. A Socket.IO connect retried on that session costs one
    // more, so it is refused at the Socket.IO level, with its wait.
    for (let i = 0; i < 5; i++) await clients.connect(url(i % 2), from('127.0.0.25'));
    const raw = await RawSocket.open(url(1), {}, '127.0.0.25');
    try {
      expect(await raw.connect({ username: 'not a name' })).toMatchObject({ ok: false, error: { code: 'invalid_username' } });
      const wait = refusal(await raw.connect({ username: 'not a name' }));
      // Node 0 counts the same allowance: a new session there is refused before it opens (an HTTP error, which
      // carries no wait; Socket.IO clients retry it with their reconnection back-off).
      await expect(clients.connect(url(0), from('127.0.0.25'))).rejects.toMatchObject({ type: 'TransportError' });
      await waitAsTold(wait);
      expect((await clients.connect(url(0), from('127.0.0.25'))).connected).toBe(true);
    } finally {
      await raw.close();
    }
  });

  test('MAX_SOCKETS_PER_USER counts the tabs on both nodes; closing one makes room', async () => {
    const address = from('127.0.0.26');
    const { client: first, session } = await clients.loginBound(url(0), { username: 'many' }, address);
    const second = (await clients.loginBound(url(1), { token: session.token }, address)).client;
    await clients.loginBound(url(0), { token: session.token }, address);
    const fourth = await clients.login(url(1), { token: session.token }, address).then(() => undefined, (err: { data?: ErrorBody }) => err.data);
    expect(fourth).toMatchObject({ code: 'rate_limited', retryAfterMs: expect.any(Number) });

    // Closing the tab on node 1 makes room on node 0 once node 1 has forgotten it (its log says when).
    const node1 = cluster.nodes[1];
    const mark = node1.logs.length;
    const id = second.id;
    second.close();
    await whenLogged(node1, (l) => logged('disconnected')(l) && l.socket === id, 'the tab on node 1 closing', { from: mark });
    const { client: again } = await clients.login(url(0), { token: session.token }, address);
    expect(again.connected && first.connected).toBe(true);
  });
});
