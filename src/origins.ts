import { isIP } from 'node:net';
import type { IncomingMessage } from 'node:http';

export interface OriginPolicy {
  /** Where the server's own page is served from (PUBLIC_ORIGINS). */
  publicOrigins: string[];
  /** Other pages allowed to connect (ALLOWED_ORIGINS); '*' allows any. */
  allowedOrigins: '*' | string[];
  trustProxy: boolean;
}

/**
 * Which browser pages may open a socket. WebSocket connections are not subject to CORS, so this check runs on
 * every Engine.IO request (http/hosts.ts), beside the host rule below. Requests without an Origin header (scripts, native apps) pass. A browser page must
 * come from PUBLIC_ORIGINS or ALLOWED_ORIGINS. While PUBLIC_ORIGINS is unset, the page's own origin is also
 * accepted when the request's host is an IP address or `localhost` (a fresh install opened as
 * http://localhost:3000 or http://192.168.1.5:3000), but never a host *name* taken from the request: with DNS
 * rebinding, an attacker's name resolves to this server and the browser then sends matching Host and Origin
 * headers (issue 11). Behind a proxy, set PUBLIC_ORIGINS.
 */
export function originAllowed(req: IncomingMessage, policy: OriginPolicy): boolean {
  const origin = req.headers.origin?.toLowerCase();
  if (origin === undefined || policy.allowedOrigins === '*') return true;
  if (policy.publicOrigins.includes(origin) || policy.allowedOrigins.includes(origin)) return true;
  if (policy.publicOrigins.length > 0) return false;
  let originHost: string;
  try {
    originHost = new URL(origin).host;
  } catch {
    return false;
  }
  // X-Forwarded-Host is the client's to invent unless a trusted proxy in front sets it.
  const forwarded = policy.trustProxy ? req.headers['x-forwarded-host'] : undefined;
  const hosts = [req.headers.host, forwarded].flatMap((h) => (h ? String(h).split(',') : [])).map((h) => h.trim().toLowerCase());
  return hosts.some((host) => host === originHost && isAddressHost(host));
}

/**
 * The host rule (issue 21): a request is for this server only when the host the client asked for is one it is
 * known by: an IP address or `localhost`, or the host of one of PUBLIC_ORIGINS. Every other name is refused,
 * whatever its Origin, because with DNS rebinding an attacker's name resolves to this server and the
 * attacker's page then reads it as its own origin: same-origin requests carry no Origin header at all (a
 * polling GET), or one that matches the Host (a POST). A refused name gets nothing, not even the public
 * timeline. The host asked for is `Host`, or with TRUST_PROXY the `X-Forwarded-Host` the proxy set (docs/nginx
 * sets both to the client's). A request without one (HTTP/1.0; no browser) passes.
 */
export function hostAllowed(req: Pick<IncomingMessage, 'headers'>, policy: Pick<OriginPolicy, 'publicOrigins' | 'trustProxy'>): boolean {
  const forwarded = policy.trustProxy ? req.headers['x-forwarded-host'] : undefined;
  const asked = forwarded ?? req.headers.host;
  if (asked === undefined) return true;
  const hosts = String(asked).split(',').map((h) => h.trim().toLowerCase());
  const known = new Set(policy.publicOrigins.map((o) => hostName(new URL(o).host)));
  return hosts.every((host) => isAddressHost(host) || known.has(hostName(host)));
}

/** `127.0.0.1:3000`, `[::1]:3000`, `localhost:3000`: hosts that no DNS rebinding can produce. */
function isAddressHost(host: string): boolean {
  const name = hostName(host);
  return name === 'localhost' || isIP(name) !== 0;
}

/** The name or address of a `Host` value: no port, no brackets, no trailing dot, lower case. */
function hostName(host: string): string {
  const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d*$/, '');
  return name.replace(/\.$/, '').toLowerCase();
}
