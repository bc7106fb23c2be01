/**
 * A test server with rate limits on (tests otherwise run with RATE_LIMITS off), and clients that claim an
 * address with X-Forwarded-For (believed only with TRUST_PROXY). Register with `useLimitedServer()` inside a
 * test file: each test starts its own server, and everything is closed after it.
 */
import { io, type ManagerOptions, type SocketOptions } from 'socket.io-client';
import { loadConfig, type Config } from '../src/config';
import type { RateLimitConfig } from '../src/limits/rate-limits';
import type { Deps } from '../src/app';
import { ack, closeClient, startServer, within, type Client, type TestServer } from './helpers';

export const DEFAULT_LIMITS = loadConfig({}).rateLimits;

export interface LimitedServer {
  /** The current test's server (after `start`). */
  readonly current: TestServer;
  /** Starts the test's server with the default limits, `limits` replacing some, and `config` on top. */
  start(limits?: Partial<RateLimitConfig>, config?: Partial<Config>, deps?: Deps): Promise<TestServer>;
  /** A client whose X-Forwarded-For says `address`; resolves once connected, rejects with the connect_error. */
  connectFrom(address: string, options?: Partial<ManagerOptions & SocketOptions>): Promise<Client>;
  /** A tab logging in with its handshake (`auth`); see Tab. */
  tab(auth: object): Tab;
}

/**
 * A tab whose handshake logs in. `session` resolves with the server's session event, listened for from the
 * start (it can arrive in the same read as the connect); `connected` once connected, rejecting with the
 * connect_error. Neither is bounded: await them through `within` (a refused tab never gets its session).
 */
export interface Tab {
  client: Client;
  connected: Promise<Client>;
  session: Promise<unknown>;
}

export function useLimitedServer(): LimitedServer {
  let server: TestServer | undefined;
  const opened: Client[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map(closeClient));
    await server?.close();
    server = undefined;
  });
  return {
    get current() {
      if (!server) throw new Error('start the server first');
      return server;
    },
    async start(limits = {}, config = {}, deps = {}) {
      server = await startServer({ ...config, rateLimits: { ...DEFAULT_LIMITS, enabled: true, ...limits } }, deps);
      return server;
    },
    connectFrom(address, options = {}) {
      if (!server) throw new Error('start the server first');
      const client: Client = io(server.url, {
        transports: ['websocket'],
        forceNew: true,
        reconnection: false,
        extraHeaders: { 'x-forwarded-for': address },
        ...options,
      });
      opened.push(client);
      const connected = new Promise<Client>((resolve, reject) => {
        client.once('connect', () => resolve(client));
        client.once('connect_error', reject);
      });
      return within(connected, `a connection from ${address}`);
    },
    tab(auth) {
      if (!server) throw new Error('start the server first');
      const client: Client = io(server.url, { transports: ['websocket'], forceNew: true, reconnection: false, auth });
      opened.push(client);
      const session = new Promise((resolve) => client.once('session', resolve));
      const connected = new Promise<Client>((resolve, reject) => {
        client.once('connect', () => resolve(client));
        client.once('connect_error', reject);
      });
      return { client, connected, session };
    },
  };
}

export interface FloodOutcomes {
  stored: number;
  /** The retryAfterMs of each refusal. */
  refused: number[];
  /** Sends that got no answer (the socket was cut off meanwhile). */
  lost: number;
}

/** Sends `count` public messages as fast as the server acks them, `inFlight` at a time; counts the outcomes. */
export async function flood(client: Client, count: number, inFlight = 10): Promise<FloodOutcomes> {
  const outcomes: FloodOutcomes = { stored: 0, refused: [], lost: 0 };
  for (let i = 0; i < count && client.connected; i += inFlight) {
    const batch = Array.from({ length: Math.min(inFlight, count - i) }, (_, j) =>
      ack(client, 'sendMsg', { text: `flood ${i + j}` }).catch(() => undefined),
    );
    for (const res of await Promise.all(batch)) {
      if (!res) outcomes.lost++;
      else if (res.ok) outcomes.stored++;
      else if (res.error.code === 'rate_limited') outcomes.refused.push(res.error.retryAfterMs ?? -1);
    }
  }
  return outcomes;
}

/**
 * Asserts that a new connection from `address` is refused for the per-address connection limit. The refusal
 * comes at the Engine.IO level, as an HTTP error a Socket.IO client only sees as a transport error, so it is
 * read here from a long-polling handshake's answer.
 */
export async function expectConnectionRefused(server: TestServer, address: string): Promise<void> {
  const res = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`, { headers: { 'x-forwarded-for': address } });
  const body = (await res.json()) as { message?: string };
  if (res.status !== 403 || !/Too many new connections/.test(body.message ?? '')) {
    throw new Error(`expected the connection limit to refuse ${address}, got ${res.status} ${JSON.stringify(body)}`);
  }
}

/** Resolves after `ms`: only for waiting out a `retryAfterMs` the server named, never for a condition. */
export function waitOut(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The retryAfterMs of a `rate_limited` answer; throws if `answer` is anything else. */
export function retryAfter(answer: { ok: boolean; error?: { code: string; retryAfterMs?: number } }): number {
  if (answer.ok || answer.error?.code !== 'rate_limited' || answer.error.retryAfterMs === undefined) {
    throw new Error(`expected rate_limited with retryAfterMs, got ${JSON.stringify(answer)}`);
  }
  return answer.error.retryAfterMs;
}
