import type { IncomingHttpHeaders } from 'node:http';

/**
 * The address a request or socket comes from, for per-address limits and logs: the TCP peer, or the first
 * address of X-Forwarded-For when TRUST_PROXY says a proxy in front sets it (as docs/nginx/chat.conf does,
 * overwriting whatever the client sent). Koa reads `ctx.ip` by the same rule.
 */
export function clientAddress(headers: IncomingHttpHeaders, peer: string | undefined, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = headers['x-forwarded-for'];
    const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
    if (first) return first;
  }
  return peer ?? 'unknown';
}
