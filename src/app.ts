import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import http, { type IncomingMessage } from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import serve from 'koa-static';
import { Server, type ServerOptions } from 'socket.io';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from './config';
import { logAppErrors } from './http/client-errors';
import { basePath } from './http/base-path';
import { errorHandler } from './http/errors';
import { notFoundHint, servedPaths } from './http/not-found';
import { createRouter } from './http/router';
import { securityHeaders } from './http/security';
import { requestLog } from './http/request-log';
import { createLogger } from './log';
import { instrumentStore, Metrics } from './metrics';
import { PresenceFeed } from './presence/feed';
import { MemoryPresence } from './presence/memory';
import type { Presence, PresenceTransition } from './presence/presence';
import type { AppEvents, ChatServer, Services } from './realtime/context';
import { onConnection } from './realtime/connection';
import { startDelivery } from './realtime/delivery';
import { Dispatcher } from './realtime/dispatch';
import { Memberships } from './realtime/memberships';
import { handshakeLogin } from './realtime/handshake';
import { PRE_LOGIN_WAIT_MS } from './realtime/session';
import { MAX_PACKET_BYTES } from './protocol';
import { RateLimits } from './limits/rate-limits';
import { SocketSlots } from './limits/socket-slots';
import { AddressSockets } from './limits/address-sockets';
import { clientAddress, trustedHops } from './client-address';
import { createJwtVerifier } from './auth/jwt';
import { routesFor } from './realtime/routes';
import { openSqliteStore } from './store';
import type { ChatStore } from './store/store';
import { admitSession, CONNECT_TIMEOUT_MS } from './realtime/admission';
import { agentSummary, displayAddress } from './realtime/device';
import { followDisplayNames } from './realtime/profiles';
import { hostGuard, checkEveryRequest } from './http/hosts';

/** The page's files: `static/` at the project's root (found from here, whether this runs from src/, dist/ or dist-bench/src/). */
export const STATIC_DIR = path.join(projectRoot(__dirname), 'static');

function projectRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(__dirname, '..'); // not found: the layout of dist/
  }
}

/** How often messages beyond the retention window are deleted (when RETENTION_DAYS is set). */
const PRUNE_INTERVAL_MS = 60 * 60 * 1000;

/** Pluggable parts; each defaults to what the configuration names. */
export interface Deps {
  store?: ChatStore;
  presence?: Presence;
  log?: Logger;
  now?: () => number;
  /** How long presence changes are gathered before they are announced (default PRESENCE_WINDOW_MS). */
  presenceWindowMs?: number;
  /**
   * Engine.IO heartbeat (Socket.IO's defaults: 25 s interval, 20 s timeout). Tests shorten it: a heartbeat
   * is also what confirms that a socket received its private messages (realtime/delivery-tracker.ts).
   */
  heartbeat?: { intervalMs: number; timeoutMs: number };
  /** Cluster mode: the Socket.IO adapter that carries events between nodes (cluster.ts). */
  adapter?: ServerOptions['adapter'];
  /** Cluster mode: the Redis connection the rate limits count in (one that fails fast: cluster.ts, limitsRedis). */
  redis?: Redis;
  /** Cluster mode: what of the adapter's events waits for Redis, for /metrics (cluster-events.ts). */
  clusterEvents?: () => { queued: number; dropped: number };
  /** How long events may wait for a connection's first login (default PRE_LOGIN_WAIT_MS); tests shorten it. */
  preLoginWaitMs?: number;
  /** How long a new Engine.IO session may go without its Socket.IO connect (default CONNECT_TIMEOUT_MS). */
  connectTimeoutMs?: number;
}


export interface ChatApp {
  koa: Koa;
  events: EventEmitter<AppEvents>;
  server: http.Server;
  io: ChatServer;
  services: Services;
  /** Starts listening on config.host:config.port and resolves with the bound port. */
  listen(): Promise<number>;
  /** Disconnects every client, stops listening, waits for in-flight work and closes the store. */
  close(): Promise<void>;
}

/** Builds the Koa app, the HTTP server and the Socket.IO server on it. Nothing is global. */
export function createApp(config: Config, deps: Deps = {}): ChatApp {
  const log = deps.log ?? createLogger(config.logLevel);
  const rawStore = deps.store ?? openSqliteStore(config.storage);
  const presence = deps.presence ?? new MemoryPresence();

  // maxIpsCount: ctx.ip is the X-Forwarded-For entry of the outermost trusted proxy (client-address.ts).
  const koa = new Koa({ proxy: config.trustProxy, maxIpsCount: config.proxyHops });
  // Koa composes its middleware when callback() is called, so the handler is bound once they are all in.
  let handleRequest: http.RequestListener = () => undefined;
  const server = http.createServer((req, res) => handleRequest(req, res));
  const io: ChatServer = new Server(server, {
    serveClient: true,
    ...(deps.adapter && { adapter: deps.adapter }),
    allowEIO3: config.allowEio3,
    maxHttpBufferSize: MAX_PACKET_BYTES,
    path: `${config.basePath}/socket.io`,
    ...(deps.heartbeat && { pingInterval: deps.heartbeat.intervalMs, pingTimeout: deps.heartbeat.timeoutMs }),
    // Origins and new connections per address, for every new Engine.IO session (realtime/admission.ts).
    allowRequest: (req, callback) => admit(req, callback),
    connectTimeout: deps.connectTimeoutMs ?? CONNECT_TIMEOUT_MS,
    cors: config.allowedOrigins === '*' ? { origin: true } : { origin: config.allowedOrigins },
  });
  const metrics = new Metrics(() => io.engine.clientsCount);
  if (deps.clusterEvents) metrics.watchClusterEvents(deps.clusterEvents);
  const store = instrumentStore(rawStore, metrics);
  const now = deps.now ?? Date.now;
  const presenceFeed = new PresenceFeed(io, presence, { metrics, log, now, clustered: deps.adapter !== undefined, fixedWindowMs: deps.presenceWindowMs });
  // Another node's users changed: this node reads their state and tells its own sockets (presence/feed.ts).
  io.on('presenceChanged', (users) => {
    if (Array.isArray(users)) void presenceFeed.apply(users);
  });
  const events = new EventEmitter<AppEvents>();
  const addresses = new WeakMap<object, string>();
  const agents = new WeakMap<object, string>();
  const services: Services = {
    config,
    io,
    store,
    presence,
    presenceFeed,
    log,
    metrics,
    now,
    events,
    preLoginWaitMs: deps.preLoginWaitMs ?? PRE_LOGIN_WAIT_MS,
    limits: new RateLimits(config.rateLimits, deps.redis),
    slots: new SocketSlots(presence, config.rateLimits),
    addressSockets: new AddressSockets(config.rateLimits),
    jwt: config.auth.mode === 'jwt' ? createJwtVerifier(config.auth, { now }) : undefined,
    clustered: deps.adapter !== undefined,
    addressOf: (socket) => addresses.get(socket.conn) ?? socket.conn.remoteAddress,
    deviceOf: (socket) => ({ address: displayAddress(services.addressOf(socket)), agent: agents.get(socket.conn) ?? '' }),
    memberships: new Memberships(),
  };

  const admit = admitSession(services);
  const router = createRouter(services);
  logAppErrors(koa, log);
  koa.use(requestLog(log, metrics));
  koa.use(errorHandler(log, metrics, notFoundHint(config.basePath, servedPaths(router, STATIC_DIR))));
  koa.use(securityHeaders(config.auth.mode === 'jwt' ? config.auth.tokenUrl : undefined));
  koa.use(basePath(config.basePath));
  koa.use(hostGuard(config));
  koa.use(router.routes());
  koa.use(router.allowedMethods());
  koa.use(serve(STATIC_DIR, { index: 'index.html' }));
  handleRequest = koa.callback();

  // Engine.IO keeps each connection's first HTTP request (headers and all) for its lifetime. Only the client's
  // address is needed later (rate limits), so it is kept instead (a few kB less per idle connection).
  io.engine.on('connection', (raw: EventEmitter & { request: IncomingMessage | null; remoteAddress: string }) => {
    if (raw.request) {
      addresses.set(raw, clientAddress(raw.request.headers, raw.remoteAddress, trustedHops(config)));
      agents.set(raw, agentSummary(raw.request.headers['user-agent']));
      services.addressSockets.opened(raw.request, raw); // its place is held until it closes
    }
    raw.request = null;
  });
  io.engine.on('connection_error', (err: { req?: IncomingMessage }) => {
    if (err.req) services.addressSockets.failed(err.req);
  });
  // Origins and hosts on every Engine.IO request, not only a session's first (issue 21: DNS rebinding).
  io.engine.use(checkEveryRequest(config, metrics));

  const stopDelivery = startDelivery(services);
  const stopExternal = presence.onExternalChange((changes) => announceExternal(services, changes));
  const dispatcher = new Dispatcher(services, routesFor(config.auth.mode));
  const handshake = handshakeLogin(services);
  io.use(handshake.middleware);
  followDisplayNames(services);
  const pending = new Set<Promise<void>>();
  io.on('connection', (socket) => {
    const done = onConnection(socket, services, dispatcher, handshake.take(socket));
    pending.add(done);
    void done.finally(() => {
      pending.delete(done);
      events.emit('socketClosed', socket.id);
    });
  });

  const pruneTimer = config.retentionMs > 0 ? setInterval(() => void prune(services), PRUNE_INTERVAL_MS) : undefined;
  pruneTimer?.unref();
  // A process that dies without its disconnect bookkeeping must not leave its users "last seen" at their login:
  // a provisional name would then be free at once. Refreshing often enough keeps them within the grace period.
  const seenTimer = setInterval(() => void refreshSeen(services), seenRefreshMs(config)).unref();

  let closing: Promise<void> | undefined;
  return {
    koa,
    events,
    server,
    io,
    services,
    listen: async () => {
      // Who is in which room, before any socket can log in (realtime/memberships.ts).
      await services.memberships.load(store);
      return new Promise<number>((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => {
          server.off('error', reject);
          const port = (server.address() as AddressInfo).port;
          // What the storage says it does with a commit, read back from it: a durability downgrade shows here.
          const logged = store.durability().then(
            (storage) => log.info({ port, host: config.host ?? '(all interfaces)', storage }, 'listening'),
            (err) => log.warn({ port, host: config.host ?? '(all interfaces)', err }, 'listening (storage settings unreadable)'),
          );
          void logged.then(() => resolve(port));
        });
      });
    },
    close: () =>
      (closing ??= (async () => {
        clearInterval(pruneTimer);
        clearInterval(seenTimer);
        if (deps.adapter) {
          // In a cluster the other nodes' clients must learn that this node's users left: disconnect the
          // sockets here first, let their bookkeeping run, and announce before the adapter closes.
          io.local.disconnectSockets(true);
          await Promise.all(pending);
          presenceFeed.flush();
        }
        presenceFeed.stop(); // on one node, everyone is leaving anyway: announcing it is noise
        await new Promise<void>((resolve) => {
          io.close(() => resolve()); // disconnects every socket and closes the HTTP server
          server.closeIdleConnections();
        });
        await Promise.all(pending);
        await store.close(); // commits what is pending; its deliveries go nowhere now
        stopDelivery();
        stopExternal();
        await presence.close();
      })()),
  };
}

/**
 * Presence changes the registry found by itself (the users of a node that died, a resync after Redis lost
 * its data): announced like any other, and the users who went offline are recorded as seen now, since their
 * node could not do it.
 */
function announceExternal({ presenceFeed, store, now, log }: Services, changes: PresenceTransition[]): void {
  const announce = (displayNames: Map<number, string>) => {
    for (const { user, online } of changes) {
      presenceFeed.changed({ id: user.id, name: user.name, displayName: displayNames.get(user.id) ?? user.name }, online);
    }
  };
  // Presence knows handles only; the display names are the store's.
  store.findUsers([...new Set(changes.map((c) => c.user.id))]).then(
    (users) => announce(new Map(users.map((u) => [u.id, u.displayName]))),
    (err) => {
      log.warn({ err }, 'reading display names failed; announcing handles');
      announce(new Map());
    },
  );
  const gone = changes.filter((c) => !c.online).map((c) => c.user.id);
  store.seenUsers(gone, now()).catch((err) => log.warn({ err }, 'recording departed users as seen failed'));
}

/** How often the users of this process's sockets are recorded as seen: a third of the legacy grace, 5-60 s. */
function seenRefreshMs(config: Config): number {
  return Math.min(60_000, Math.max(5_000, config.legacyGraceMs / 3));
}

/** Records every user with a socket on this process as seen now, and the sessions those sockets are of. */
export async function refreshSeen({ io, store, now, log }: Services): Promise<void> {
  const ids = new Set<number>();
  const sessions = new Set<string>();
  for (const socket of io.of('/').sockets.values()) {
    if (socket.data.user) ids.add(socket.data.user.id);
    if (socket.data.sessionId !== undefined) sessions.add(socket.data.sessionId);
  }
  try {
    await store.seenUsers([...ids], now());
    await store.seenSessions([...sessions], now());
  } catch (err) {
    log.warn({ err }, 'refreshing last-seen failed');
  }
}

/** Deletes messages older than the retention window; clients behind it get `reset` from `sync`. */
export async function prune({ store, config, now, log }: Services): Promise<number> {
  try {
    const removed = await store.prune(now() - config.retentionMs);
    if (removed > 0) log.info({ removed }, 'pruned messages beyond retention');
    return removed;
  } catch (err) {
    log.error({ err }, 'pruning failed');
    return 0;
  }
}
