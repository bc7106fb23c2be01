import type Koa from 'koa';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics';
import { ChatError, INTERNAL_ERROR, type ErrorCode } from '../errors';

/**
 * The HTTP error path: every failure becomes `{ error: { code, message } }` with a fitting status.
 * Only ChatError messages (written for clients) and Koa's own exposed client errors (bad JSON, body too
 * large) are shown; anything else is logged and reported as `internal_error`.
 */
export function errorHandler(log: Logger, metrics: Metrics): Koa.Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        throw new ChatError('not_found', `Nothing at ${ctx.method} ${ctx.path}.`);
      }
    } catch (err) {
      const { status, code, message } = describe(err);
      metrics.error(code);
      if (status >= 500) log.error({ err, req: ctx.state.requestId, path: ctx.path }, 'request failed');
      ctx.status = status;
      ctx.body = { error: { code, message } };
      if (status === 401) ctx.set('WWW-Authenticate', 'Bearer');
    }
  };
}

function describe(err: unknown): { status: number; code: ErrorCode; message: string } {
  if (err instanceof ChatError) return { status: err.status, code: err.code, message: err.message };
  const e = err as { status?: unknown; expose?: unknown; message?: unknown };
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500 && e.expose === true) {
    return { status: e.status, code: 'invalid_payload', message: String(e.message) };
  }
  return { status: 500, ...INTERNAL_ERROR };
}
