import type Koa from 'koa';

/**
 * The page may load only its own scripts, styles and images and talk only to its own origin (which, in CSP
 * level 3, includes ws:/wss: to the same host, used by Socket.IO), plus, in JWT mode, the host application's
 * token endpoint (JWT_TOKEN_URL) that the page fetches its tokens from.
 */
export function contentSecurityPolicy(tokenUrl?: string): string {
  const connect = tokenUrl === undefined ? "'self'" : `'self' ${new URL(tokenUrl).origin}`;
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src ${connect}`,
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
  ].join('; ');
}

export function securityHeaders(tokenUrl?: string): Koa.Middleware {
  const policy = contentSecurityPolicy(tokenUrl);
  return async (ctx, next) => {
    ctx.set('Content-Security-Policy', policy);
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.set('X-Frame-Options', 'DENY');
    await next();
  };
}
