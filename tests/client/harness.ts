/**
 * Library clients (client/, docs/client.md) as the tests drive them: real socket.io-client, fast reconnection,
 * and everything each one handed its application recorded, so that a test can say what arrived and how often.
 * Every client made here is closed by `closeAll`, which waits until its transport has really closed.
 */
import { io } from 'socket.io-client';
import { createChatClient, memoryStore, type ChatClient, type ChatClientOptions, type ClientError, type LogChange, type Message } from '../../client/index';
import { startServer, within, WAIT_MS, type TestServer } from '../helpers';
import { TcpProxy } from '../tcp-proxy';

export interface Recorded {
  client: ChatClient;
  /** Every `message` event, in order. */
  messages: Message[];
  /** How many times each message id reached the application. */
  times: Map<number, number>;
  /** Every `change` event (rooms' membership, edits, deletions), in order. */
  changes: LogChange[];
  /** `synced` events: one per connection (or login) caught up. */
  synced: number;
  resets: number;
  errors: ClientError[];
}

/** Socket.IO options for tests: WebSocket only, reconnection within a quarter of a second. */
export const FAST_SOCKET = { transports: ['websocket'], forceNew: true, reconnectionDelay: 50, reconnectionDelayMax: 250, randomizationFactor: 0 };

export class Clients {
  private readonly made: ChatClient[] = [];

  /** A client of the server at `url` (not connected yet), with memory stores unless `options` says otherwise. */
  make(url: string, options: Partial<ChatClientOptions> = {}): Recorded {
    const client = createChatClient({ io, url, sessionStore: memoryStore(), ...options, socket: { ...FAST_SOCKET, ...options.socket } });
    this.made.push(client);
    return record(client);
  }

  /** A client logged in as `name` and caught up. */
  async user(url: string, name: string, options: Partial<ChatClientOptions> = {}): Promise<Recorded> {
    const recorded = this.make(url, options);
    const res = await within(recorded.client.connect({ username: name }), `${name} connected`);
    if (!res.ok) throw new Error(`${name} could not connect: ${res.error.code}`);
    return recorded;
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.made.splice(0).map(closed));
  }
}

export function record(client: ChatClient): Recorded {
  const recorded: Recorded = { client, messages: [], times: new Map(), changes: [], synced: 0, resets: 0, errors: [] };
  client.on('message', (message) => {
    recorded.messages.push(message);
    recorded.times.set(message.id, (recorded.times.get(message.id) ?? 0) + 1);
  });
  client.on('change', (change) => recorded.changes.push(change));
  client.on('synced', () => recorded.synced++);
  client.on('reset', () => recorded.resets++);
  client.on('error', (error) => recorded.errors.push(error));
  return recorded;
}

/** Closes `client` and resolves once its transport has closed. */
export function closed(client: ChatClient): Promise<void> {
  const engine = client.socket.io.engine;
  const done = !engine || engine.readyState === 'closed' ? Promise.resolve() : new Promise<void>((resolve) => engine.once('close', () => resolve()));
  client.close();
  return within(done, 'a client closing');
}

/** Resolves once `check()` holds, checked at every event of `client` (bounded wait). */
export function until(recorded: Recorded, check: () => boolean, what: string, ms = WAIT_MS): Promise<void> {
  const { client } = recorded;
  if (check()) return Promise.resolve();
  const offs: Array<() => void> = [];
  const reached = new Promise<void>((resolve) => {
    const test = () => check() && resolve();
    for (const event of ['message', 'change', 'read', 'synced', 'status', 'outbox', 'session', 'signedOut', 'reset', 'error'] as const) offs.push(client.on(event, test));
  });
  return within(reached, what, ms).finally(() => offs.forEach((off) => off()));
}

/** The texts that reached the application, in the order they did. */
export const texts = (recorded: Recorded): string[] => recorded.messages.map((m) => m.text);

/** Message ids that reached the application more than once (the guarantee says: none). */
export function repeats(recorded: Recorded): number[] {
  return [...recorded.times].filter(([, n]) => n > 1).map(([id]) => id);
}

/** A server with a TCP proxy in front of it (`via`: the proxy's URL, whose network a test can cut). */
export interface ProxiedServer {
  server: TestServer;
  proxy: TcpProxy;
  via: string;
  /** Closes both and starts them again with other settings or dependencies. */
  restart(...args: Parameters<typeof startServer>): Promise<void>;
}

/** A proxied server made before each test of the file, and closed after it with the test's `clients`. */
export function eachProxiedServer(clients: Clients): ProxiedServer {
  const restart = async (...args: Parameters<typeof startServer>) => {
    await stop();
    await start(...args);
  };
  const env = { restart } as ProxiedServer;
  const start = async (...args: Parameters<typeof startServer>) => {
    env.server = await startServer(...args);
    env.proxy = await TcpProxy.start(Number(new URL(env.server.url).port));
    env.via = `http://127.0.0.1:${env.proxy.port}`;
  };
  const stop = async () => {
    await env.proxy.close();
    await env.server.close();
  };
  beforeEach(() => start());
  afterEach(async () => {
    await clients.closeAll();
    await stop();
  });
  return env;
}
