import type Koa from 'koa';
import type { Logger } from 'pino';

/** Errors a client causes by going away mid-response (a reload, a mobile network dropping): not our failures. */
const CLIENT_GONE = new Set(['ERR_STREAM_PREMATURE_CLOSE', 'ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ERR_STREAM_DESTROYED']);

/**
 * Koa's errors that happen outside the middleware's try/catch (a response stream failing while it is sent),
 * routed to the JSON log. Without a listener Koa prints them with console.error, outside the log (issue 11):
 * an aborted static download printed a Premature close stack to stderr. A client going away is a debug line.
 */
export function logAppErrors(koa: Koa, log: Logger): void {
  koa.on('error', (err: NodeJS.ErrnoException & { status?: number; expose?: boolean }, ctx?: Koa.Context) => {
    const req = ctx?.state.requestId;
    const gone = (err.code !== undefined && CLIENT_GONE.has(err.code)) || ctx?.req.destroyed === true;
    if (gone) log.debug({ req, code: err.code, path: ctx?.path }, 'client went away mid-response');
    else if (err.expose && err.status !== undefined && err.status < 500) log.debug({ req, status: err.status }, 'client error');
    else log.error({ err, req, path: ctx?.path }, 'response failed');
  });
}
