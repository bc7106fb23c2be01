import type { IncomingMessage } from 'node:http';

/**
 * Which browser pages may open a socket. WebSocket connections are not subject to CORS, so this check runs
 * on every Engine.IO request: requests without an Origin header (non-browser clients) pass; a browser must
 * come from the server's own origin (same host, as the browser or the proxy in front sent it) or from one
 * listed in ALLOWED_ORIGINS; '*' allows any.
 */
export function originAllowed(req: IncomingMessage, allowed: '*' | string[]): boolean {
  const origin = req.headers.origin;
  if (origin === undefined || allowed === '*') return true;
  if (allowed.includes(origin)) return true;
  let originHost: string;
  try {
    originHost = new URL(origin).host;
  } catch {
    return false;
  }
  const hosts = [req.headers.host, req.headers['x-forwarded-host']].flatMap((h) => (h ? String(h).split(',') : []));
  return hosts.some((h) => h.trim().toLowerCase() === originHost.toLowerCase());
}
