import { io as connectClient, type Socket, type ManagerOptions, type SocketOptions } from 'socket.io-client';
import { createApp, type ChatApp, type Deps } from '../src/app';
import { testConfig, type Config } from '../src/config';
import type { Ack, ClientToServerEvents, LoginResult, ServerToClientEvents } from '../src/protocol';
import type { AppEvents } from '../src/realtime/context';

export type Client = Socket<ServerToClientEvents, ClientToServerEvents>;

/** Bounds every wait in the tests; nothing waits on a fixed sleep. */
export const WAIT_MS = 5000;

/**
 * Arms the timer that bounds a wait. It does not keep the process alive (a running test is kept alive by Jest's
 * own timeout): a wait a failed test abandoned must not hold its worker after the file is done, nor fire into a
 * torn-down environment.
 */
function bound(onTimeout: () => void, ms: number): NodeJS.Timeout {
  return setTimeout(onTimeout, ms).unref();
}

export interface TestServer {
  app: ChatApp;
  /** The origin, `http://127.0.0.1:<port>`, without BASE_PATH (a path in a Socket.IO URL names a namespace). */
  url: string;
  /** Connects a client (at BASE_PATH's Socket.IO path) and waits until it is connected. Closed by `close()`. */
  connect(options?: Partial<ManagerOptions & SocketOptions>): Promise<Client>;
  /** Connects and logs in; resolves with the client and its login result. */
  login(name: string, token?: string): Promise<{ client: Client; res: LoginResult }>;
  close(): Promise<void>;
}

/** Starts a real server on an ephemeral port (in-memory SQLite unless the config says otherwise). */
export async function startServer(overrides: Partial<Config> = {}, deps: Deps = {}): Promise<TestServer> {
  const app = createApp(testConfig(overrides), deps);
  const port = await app.listen();
  const url = `http://127.0.0.1:${port}`;
  const clients: Client[] = [];

  const connect = async (options: Partial<ManagerOptions & SocketOptions> = {}) => {
    const client: Client = connectClient(url, {
      path: `${app.services.config.basePath}/socket.io`,
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      ...options,
    });
    clients.push(client);
    const connected = new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('connect_error', reject);
    });
    await within(connected, `connecting to ${url}`);
    return client;
  };

  return {
    app,
    url,
    connect,
    async login(name, token) {
      const client = await connect();
      const res = await ack(client, 'login', token === undefined ? { username: name } : { username: name, token });
      if (!res.ok) throw new Error(`login ${name} failed: ${res.error.code}`);
      return { client, res };
    },
    async close() {
      await Promise.all(clients.map(closeClient));
      await app.close();
    },
  };
}

/** Emits an event and resolves with its ack (rejects if none arrives in time). */
export function ack<E extends keyof ClientToServerEvents>(
  client: Client,
  event: E,
  payload: unknown,
): Promise<Extract<Parameters<ClientToServerEvents[E]>[1], (r: any) => void> extends (r: infer R) => void ? R : Ack> {
  return (client.timeout(WAIT_MS) as any).emitWithAck(event, payload);
}

/** `promise`, or a rejection naming `what` after WAIT_MS: every wait in a test is bounded. */
export function within<T>(promise: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = bound(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Resolves with the next `event` on `client` that satisfies `match` (rejects after `ms`). */
export function next<E extends keyof ServerToClientEvents>(
  client: Client,
  event: E,
  match: (payload: Parameters<ServerToClientEvents[E]>[0]) => boolean = () => true,
  ms = WAIT_MS,
): Promise<Parameters<ServerToClientEvents[E]>[0]> {
  return new Promise((resolve, reject) => {
    const listener = (payload: any) => {
      if (!match(payload)) return;
      clearTimeout(timer);
      client.off(event, listener as any);
      resolve(payload);
    };
    const timer = bound(() => {
      client.off(event, listener as any);
      reject(new Error(`no ${String(event)} within ${ms} ms`));
    }, ms);
    client.on(event, listener as any);
  });
}

/** Records every payload of `event` on `client`, for asserting what did or did not arrive. */
export function record<E extends keyof ServerToClientEvents>(client: Client, event: E): Array<Parameters<ServerToClientEvents[E]>[0]> {
  const seen: any[] = [];
  client.on(event, ((payload: any) => seen.push(payload)) as any);
  return seen;
}

/**
 * Waits until `client` has received everything the server sent it so far: the server handles a socket's
 * events in order and Socket.IO delivers in order, so once the ack of a cheap round trip arrives, any
 * earlier emission to this client has arrived too. Used to prove that something was *not* delivered.
 */
export async function flush(client: Client): Promise<void> {
  await roundTrip(client);
}

/**
 * The cheapest round trip through a socket's event queue, counted by no limit: a `users` payload the schema
 * refuses (validation comes before the read limit), answered `invalid_payload` in order with everything else.
 */
export async function roundTrip(client: Client): Promise<void> {
  const res = await ack(client, 'users', ROUND_TRIP as never);
  if (res.ok || res.error.code !== 'invalid_payload') throw new Error(`the round trip was answered ${JSON.stringify(res)}`);
}

const ROUND_TRIP = { roundTrip: true };

/**
 * Disconnects `client` and resolves once the server has finished with its socket (queued events, presence,
 * last-seen bookkeeping): the server's own signal, not a guess about timing.
 */
export function disconnectSettled(server: TestServer, client: Client): Promise<void> {
  const id = client.id;
  if (id === undefined) throw new Error('client is not connected');
  const settled = onceSocketClosed(server, id);
  client.disconnect();
  return settled;
}

/** Resolves when the server has finished with socket `id` (see AppEvents.socketClosed). */
export async function onceSocketClosed(server: TestServer, id: string): Promise<void> {
  await onceApp(server, 'socketClosed', (closed) => closed === id);
}

/** Resolves with the arguments of the next app event `name` that satisfies `match` (bounded wait). */
export function onceApp<K extends keyof AppEvents>(
  server: TestServer,
  name: K,
  match: (...args: AppEvents[K]) => boolean = () => true,
): Promise<AppEvents[K]> {
  const events = server.app.events as unknown as import('node:events').EventEmitter;
  return new Promise((resolve, reject) => {
    const timer = bound(() => {
      events.off(name, listener);
      reject(new Error(`no ${name} event within ${WAIT_MS} ms`));
    }, WAIT_MS);
    const listener = (...args: AppEvents[K]) => {
      if (!match(...args)) return;
      clearTimeout(timer);
      events.off(name, listener);
      resolve(args);
    };
    events.on(name, listener);
  });
}

/** A heartbeat short enough for tests to see deliveries confirmed (realtime/delivery-tracker.ts). */
export const FAST_HEARTBEAT = { intervalMs: 100, timeoutMs: 1000 };

/**
 * Disconnects a client and waits until its transport has really closed (polling ends with a request), at most
 * WAIT_MS: cleanup that cannot finish says so instead of holding the test file open.
 */
export function closeClient(client: Client): Promise<void> {
  const engine = client.io.engine;
  if (!engine || engine.readyState === 'closed') {
    client.disconnect();
    return Promise.resolve();
  }
  const closed = new Promise<void>((resolve) => engine.once('close', () => resolve()));
  client.disconnect();
  return within(closed, 'a client\'s transport closing');
}
