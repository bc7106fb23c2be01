import type { IncomingMessage } from 'node:http';

/**
 * Which browser pages may open a socket. WebSocket connections are not subject to CORS, so this check runs
 * on every Engine.IO request: requests without an Origin header (non-browser clients) pass; a browser must
 * come from the server's own origin (same host: `Host`, or `X-Forwarded-Host` with TRUST_PROXY) or from one
 * listed in ALLOWED_ORIGINS; '*' allows any.
 */
export function originAllowed(req: IncomingMessage, allowed: '*' | string[], trustProxy: boolean): boolean {
  const origin = req.headers.origin;
  if (origin === undefined || allowed === '*') return true;
  if (allowed.includes(origin)) return true;
  let originHost: string;
  try {
    originHost = new URL(origin).host;
  } catch {
    return false;
  }
  // X-Forwarded-Host is the client's to invent unless a trusted proxy in front sets it.
  const forwarded = trustProxy ? req.headers['x-forwarded-host'] : undefined;
  const hosts = [req.headers.host, forwarded].flatMap((h) => (h ? String(h).split(',') : []));
  return hosts.some((h) => h.trim().toLowerCase() === originHost.toLowerCase());
}
