import type Koa from 'koa';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics';
import { ChatError, INTERNAL_ERROR, type ErrorCode } from '../errors';
import type { NotFoundHint } from './not-found';

/**
 * The HTTP error path: every failure becomes `{ error: { code, message } }` with a fitting status, also the
 * answers middleware gives without a body (no route: 404; a route without this method: 405 with `Allow`, or
 * 501 for a method no route has, from the router's allowedMethods). Only ChatError messages (written for
 * clients) and Koa's own exposed client errors (bad JSON, body too large) are shown; anything else is logged and
 * reported as `internal_error`.
 *
 * A path nothing answers gets a `hint` too when it looks like a BASE_PATH mismatch (not-found.ts), and, for
 * a browser (a request that prefers HTML), the same as a small HTML page.
 */
export function errorHandler(log: Logger, metrics: Metrics, hintFor: NotFoundHint = () => undefined): Koa.Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body == null) {
        const message = `Nothing at ${ctx.method} ${ctx.path}.`;
        const hint = hintFor(ctx.path);
        metrics.error('not_found');
        ctx.status = 404;
        if (ctx.accepts('json', 'html') === 'html') ctx.body = notFoundPage(message, hint);
        else ctx.body = { error: { code: 'not_found', message, ...(hint !== undefined && { hint }) } };
      } else if (ctx.status >= 400 && ctx.body == null) {
        throw bodiless(ctx);
      }
    } catch (err) {
      const { status, code, message } = describe(err);
      metrics.error(code);
      if (status >= 500) log.error({ err, req: ctx.state.requestId, path: ctx.path }, 'request failed');
      ctx.status = status;
      const retryAfterMs = err instanceof ChatError ? err.retryAfterMs : undefined;
      ctx.body = { error: { code, message, ...(retryAfterMs !== undefined && { retryAfterMs }) } };
      if (status === 401) ctx.set('WWW-Authenticate', 'Bearer');
      if (retryAfterMs !== undefined) ctx.set('Retry-After', String(Math.ceil(retryAfterMs / 1000)));
    }
  };
}

/** The error for a status some middleware set without a body. */
function bodiless(ctx: Koa.Context): ChatError {
  if (ctx.status === 405 || ctx.status === 501) {
    const allowed = ctx.response.get('Allow');
    const message = `${ctx.method} is not allowed at ${ctx.path}${allowed ? `; use ${allowed}` : ''}.`;
    return new ChatError('method_not_allowed', message, ctx.status);
  }
  return new ChatError('invalid_payload', `The request was refused (${ctx.status}).`, ctx.status);
}

function describe(err: unknown): { status: number; code: ErrorCode; message: string } {
  if (err instanceof ChatError) return { status: err.status, code: err.code, message: err.message };
  const e = err as { status?: unknown; expose?: unknown; message?: unknown };
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500 && e.expose === true) {
    return { status: e.status, code: 'invalid_payload', message: String(e.message) };
  }
  return { status: 500, ...INTERNAL_ERROR };
}

/** The 404 for a browser: the same words, every one of them escaped (the path is the client's). */
function notFoundPage(message: string, hint: string | undefined): string {
  const paragraphs = [message, hint].filter((p) => p !== undefined).map((p) => `<p>${escapeHtml(p)}</p>`);
  return `<!doctype html>\n<html lang="en">\n<meta charset="utf-8">\n<title>Not found</title>\n<h1>Not found</h1>\n${paragraphs.join('\n')}\n</html>\n`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
