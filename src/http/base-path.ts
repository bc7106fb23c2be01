import type Koa from 'koa';

/**
 * Serves the app under `prefix` (BASE_PATH, e.g. `/chat`): `/chat/healthz` reaches the `/healthz` route and
 * `/chat/` the page, whose URLs are all relative. Anything outside the prefix is left unanswered, so the
 * error handler turns it into the usual JSON 404. `/chat` itself redirects to `/chat/`: without the slash a
 * browser would resolve the page's `style.css` to `/style.css`, outside the prefix.
 *
 * Socket.IO never reaches Koa (Engine.IO answers its own path first), so app.ts gives it `prefix + '/socket.io'`.
 * An empty prefix is the root: nothing to do.
 */
export function basePath(prefix: string): Koa.Middleware {
  if (prefix === '') return (_ctx, next) => next();
  return async (ctx, next) => {
    if (ctx.path === prefix) {
      if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return;
      ctx.status = 301;
      ctx.redirect(`${prefix}/${ctx.search}`);
      return;
    }
    if (!ctx.path.startsWith(`${prefix}/`)) return;
    // Routes and static files see the path below the prefix; logs and error messages, set upstream once this
    // returns, see the path the client asked for.
    const full = ctx.path;
    ctx.path = full.slice(prefix.length);
    try {
      await next();
    } finally {
      ctx.path = full;
    }
  };
}
