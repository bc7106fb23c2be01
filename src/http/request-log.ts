import { randomUUID } from 'node:crypto';
import type Koa from 'koa';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics';

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/**
 * Gives every request an id (the proxy's X-Request-Id when it is sane, else a new one), echoes it in the
 * response, and logs method, path, status and duration under it; never bodies, queries or headers.
 */
export function requestLog(log: Logger, metrics: Metrics): Koa.Middleware {
  return async (ctx, next) => {
    const started = process.hrtime.bigint();
    const incoming = ctx.get('X-Request-Id');
    const requestId = REQUEST_ID.test(incoming) ? incoming : randomUUID();
    ctx.state.requestId = requestId;
    ctx.set('X-Request-Id', requestId);
    try {
      await next();
    } finally {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      metrics.httpRequests.inc({ method: ctx.method, status: String(ctx.status) });
      log.debug({ req: requestId, method: ctx.method, path: ctx.path, status: ctx.status, ip: ctx.ip, ms }, 'request');
    }
  };
}
