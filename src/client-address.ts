import type { IncomingHttpHeaders } from 'node:http';

/**
 * The address a request or socket comes from, for per-address limits and logs: the TCP peer, or, when
 * `trustedHops` proxies in front of the server are trusted (TRUST_PROXY, TRUST_PROXY_HOPS), the
 * X-Forwarded-For entry written by the outermost of them.
 *
 * Every proxy appends the address it saw to X-Forwarded-For (nginx with `$proxy_add_x_forwarded_for`) or
 * replaces the header with it (`$remote_addr`), so only the last `trustedHops` entries were written by proxies
 * we trust; anything left of them is whatever the client sent, and is never believed. With one proxy that is
 * the rightmost entry; behind a load balancer and nginx (two hops), the second from the right. A header with
 * fewer entries than hops gives its leftmost one. Koa's `ctx.ip` reads the header by the same rule (its
 * `maxIpsCount`, set from the same setting in app.ts).
 */
export function clientAddress(headers: IncomingHttpHeaders, peer: string | undefined, trustedHops: number): string {
  if (trustedHops > 0) {
    const entries = forwardedFor(headers['x-forwarded-for']);
    const written = entries[Math.max(0, entries.length - trustedHops)];
    if (written !== undefined) return written;
  }
  return peer ?? 'unknown';
}

/** The entries of X-Forwarded-For, left to right, over every copy of the header. */
function forwardedFor(header: string | string[] | undefined): string[] {
  const copies = header === undefined ? [] : Array.isArray(header) ? header : [header];
  return copies.flatMap((copy) => copy.split(',')).map((entry) => entry.trim()).filter((entry) => entry !== '');
}

/** How many trusted proxies the configuration declares in front of the server: 0 when TRUST_PROXY is off. */
export function trustedHops(config: { trustProxy: boolean; proxyHops: number }): number {
  return config.trustProxy ? config.proxyHops : 0;
}
