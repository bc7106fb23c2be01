import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type Koa from 'koa';
import { ChatError } from '../errors';
import type { Metrics } from '../metrics';
import { hostAllowed, originAllowed, type OriginPolicy } from '../origins';

/** The probes answer whatever name they are reached by (a load balancer's health check) and reveal nothing. */
const PROBES = new Set(['/healthz', '/readyz']);

/**
 * The host rule (origins.ts, `hostAllowed`) for every HTTP request but the probes: the page, the API, and
 * /metrics. Refused with 403 `forbidden`. Mounted after the base path is taken off (app.ts).
 */
export function hostGuard(policy: OriginPolicy): Koa.Middleware {
  return async (ctx, next) => {
    if (!PROBES.has(ctx.path) && !hostAllowed(ctx.req, policy)) {
      throw new ChatError('forbidden', 'This server is not known by that host name (PUBLIC_ORIGINS).');
    }
    await next();
  };
}

type Next = (err?: unknown) => void;

/**
 * Engine.IO middleware (`io.engine.use`), run on every Engine.IO request: the polling handshake, each polling
 * GET and POST of a session, and the WebSocket upgrade. Engine.IO's `allowRequest` runs only on a session's
 * first request (node_modules/engine.io/build/server.js, `verify`: only without a `sid`), so it cannot stop
 * DNS rebinding, whose first request is a same-origin GET without an Origin header and whose later POSTs carry
 * the attacker's origin (issue 21). A refused request gets 403 with Engine.IO's error body (`{ code: 4,
 * message: "Forbidden" }`, what `allowRequest` refusals give), or for an upgrade a 403 before the socket is
 * closed; nothing of the session is touched.
 */
export function checkEveryRequest(policy: OriginPolicy, metrics: Metrics) {
  return (req: IncomingMessage, res: ServerResponse, next: Next): void => {
    if (hostAllowed(req, policy) && originAllowed(req, policy)) return next();
    metrics.error('forbidden');
    const body = JSON.stringify({ code: 4, message: 'Forbidden' });
    if (res instanceof ServerResponse) {
      res.writeHead(403, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    // An upgrade: Engine.IO hands middleware a stand-in response whose `socket` is the raw connection.
    const { socket } = res as unknown as { socket: Socket };
    if (socket.writable) {
      socket.end(`HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    }
  };
}
