/**
 * Client-side tools for the cluster tests (cluster*.test.ts): clients logged in on one node, the messages the
 * database holds, what each client is entitled to, and presence converging after an outage.
 */
import pg from 'pg';
import { io, type ManagerOptions, type SocketOptions } from 'socket.io-client';
import type { ServerToClientEvents, SessionInfo } from '../src/protocol';
import { ack, closeClient, within, WAIT_MS, type Client } from './helpers';

export type ClientOptions = Partial<ManagerOptions & SocketOptions>;

/**
 * `localAddress` picks the loopback address a client connects from (ws passes it on; socket.io-client's types
 * do not list it): the address the nodes' per-address limits count, and what nginx's hash spreads.
 */
export const from = (address: string) => ({ localAddress: address }) as ClientOptions;

/** The Socket.IO clients of one test file, closed together. */
export class Clients {
  private readonly all: Client[] = [];

  /** A client of `url` (no reconnection), not waited for. */
  open(url: string, auth: Record<string, unknown> = {}, options: ClientOptions = {}): Client {
    const client: Client = io(url, { transports: ['websocket'], forceNew: true, reconnection: false, auth, ...options });
    this.all.push(client);
    return client;
  }

  /** A client logged in with the handshake; rejects with the `connect_error` if the node refuses it. */
  async login(url: string, auth: Record<string, unknown>, options: ClientOptions = {}): Promise<{ client: Client; session: SessionInfo }> {
    const client = this.open(url, auth, options);
    const session = await within(
      new Promise<SessionInfo>((resolve, reject) => {
        client.once('session', resolve);
        client.once('connect_error', reject);
      }),
      `${String(auth.username ?? 'a token')} logging in at ${url}`,
    );
    return { client, session };
  }

  /**
   * A client logged in with the handshake and bound on its node: `session` comes before the binding (issue 16),
   * the `welcome` notice after it, so what counts the user's tabs (MAX_SOCKETS_PER_USER) has counted this one.
   */
  async loginBound(url: string, auth: Record<string, unknown>, options: ClientOptions = {}): Promise<{ client: Client; session: SessionInfo }> {
    const client = this.open(url, auth, options);
    const welcomed = arrives(client, 'msg1', (notice) => notice.type === 'welcome', `${String(auth.username ?? 'a token')} bound at ${url}`);
    const session = await within(
      new Promise<SessionInfo>((resolve, reject) => {
        client.once('session', resolve);
        client.once('connect_error', reject);
      }),
      `${String(auth.username ?? 'a token')} logging in at ${url}`,
    );
    await welcomed;
    return { client, session };
  }

  /** An anonymous client, once connected; rejects with the `connect_error` if the node refuses it. */
  async connect(url: string, options: ClientOptions = {}): Promise<Client> {
    const client = this.open(url, {}, options);
    await within(
      new Promise<void>((resolve, reject) => {
        client.once('connect', () => resolve());
        client.once('connect_error', reject);
      }),
      `a connection to ${url}`,
    );
    return client;
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.all.splice(0).map(closeClient));
  }
}

/** The next `event` on `client` that `match` accepts, within `ms` (listening from the call on). */
export function arrives<E extends keyof ServerToClientEvents>(
  client: Client,
  event: E,
  match: (payload: Parameters<ServerToClientEvents[E]>[0]) => boolean,
  what: string,
  ms = WAIT_MS,
): Promise<Parameters<ServerToClientEvents[E]>[0]> {
  let listener: (payload: any) => void = () => undefined;
  const got = new Promise<Parameters<ServerToClientEvents[E]>[0]>((resolve) => {
    listener = (payload) => match(payload) && resolve(payload);
    client.on(event, listener as any);
  });
  return within(got, what, ms).finally(() => client.off(event, listener as any));
}

export interface Row {
  id: number;
  clientId: string | null;
  from: string;
  to: string | null;
}

/** The stored messages, in id order. */
export async function queryRows(url: string): Promise<Row[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query(
      'SELECT id::int AS id, client_id AS "clientId", sender_name AS "from", recipient_name AS "to" FROM messages ORDER BY id',
    );
    return rows;
  } finally {
    await client.end();
  }
}

/** The ids `name` may hold: every public message, and the private ones it sent or received. */
export function entitled(rows: Row[], name: string): number[] {
  return rows.filter((r) => r.to === null || r.to === name || r.from === name).map((r) => r.id);
}

/** The names `probe`'s node lists as online (every page of `users`). */
export async function onlineNames(probe: Client): Promise<string[]> {
  const names: string[] = [];
  for (let after: string | undefined; ; ) {
    const res = await ack(probe, 'users', after === undefined ? {} : { after });
    if (!res.ok) return [];
    names.push(...res.users.filter((u) => u.online).map((u) => u.name));
    if (!res.hasMore) return names.sort();
    after = res.users[res.users.length - 1].name;
  }
}

/**
 * Presence after an outage converges through the registry's own resync, announced with `presence` events:
 * reads the list again after each one the probe sees, until it is `expected` (bounded).
 */
export async function settles(probe: Client, expected: string[], ms = 25_000): Promise<void> {
  const want = JSON.stringify([...expected].sort());
  let changes = 0;
  let wake: () => void = () => undefined;
  const onPresence = () => {
    changes++;
    wake();
  };
  probe.on('presence', onPresence); // listening before each read: no change slips by unseen
  try {
    const until = Date.now() + ms;
    for (;;) {
      const seen = changes;
      const now = await onlineNames(probe);
      if (JSON.stringify(now) === want) return;
      if (Date.now() > until) return void expect(now).toEqual([...expected].sort());
      if (changes === seen) {
        await within(new Promise<void>((resolve) => (wake = resolve)), 'a presence change', until - Date.now()).catch(() => undefined);
      }
    }
  } finally {
    probe.off('presence', onPresence);
  }
}

/** POST /api/push on the node at `url`; resolves with the JSON answer. */
export async function push(url: string, adminToken: string, to: string, text: string): Promise<unknown> {
  const res = await fetch(`${url}/api/push`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ to, text }),
  });
  return res.json();
}

export type Named = [client: Client, name: string];

/**
 * Typing, a push notice and a presence announcement cross from node 0 to node 1 and back. `a` and `b` are
 * clients logged in on node 0 and node 1 (with their names); `tag` keeps the joiners' names apart.
 */
export async function crossNode(urls: string[], clients: Clients, adminToken: string, a: Named, b: Named, tag: string): Promise<void> {
  for (const [[from, fromName], [to, toName], fromNode] of [
    [a, b, 0],
    [b, a, 1],
  ] as const) {
    const typing = arrives(to, 'typing', (t) => t.from === fromName, `typing ${fromName} → ${toName}`);
    expect(await ack(from, 'typing', { to: toName })).toEqual({ ok: true });
    await typing;
    const pushed = arrives(to, 'msg1', (n) => n.type === 'push' && n.text === `to ${toName}`, `a push to ${toName}`);
    expect(await push(urls[fromNode], adminToken, toName, `to ${toName}`)).toMatchObject({ ok: true, online: true });
    await pushed;
    const joiner = `${tag}join${fromNode}`;
    const joined = arrives(to, 'presence', (p) => p.users.some((u) => u.name === joiner && u.online), `${joiner} announced`);
    await clients.login(urls[fromNode], { username: joiner });
    await joined;
  }
}
