import type { z } from 'zod';
import { ChatError } from '../errors';
import type { LimitKind } from '../limits/rate-limits';
import { parsePayload } from '../schemas';
import type { EventMiddleware } from './context';

/** Parses the raw payload with `schema` into `ctx.payload`, or answers with the matching error code. */
export function validate<T>(schema: z.ZodType<T>): EventMiddleware<T> {
  return async (ctx, next) => {
    ctx.payload = parsePayload(schema, ctx.input);
    await next();
  };
}

/** A middleware that counts its event against a limit, marked with the limit's kind (tests list them by it). */
export type LimitingMiddleware = EventMiddleware & { readonly limitKind: LimitKind };

/**
 * Counts the event against the user's `kind` limit (limits/rate-limits.ts); after requireLogin. A socket that
 * keeps pushing against its limits is cut off once answered (dispatch.ts counts every refusal).
 */
export function rateLimit(kind: 'messages' | 'typing' | 'readMarks' | 'roomChanges' | 'moderation'): LimitingMiddleware {
  const middleware: EventMiddleware = async (ctx, next) => {
    await ctx.services.limits.check(kind, ctx.user!.id);
    await next();
  };
  return Object.assign(middleware, { limitKind: kind });
}

/**
 * Counts a read (`users`, `history`, `sync`) against its socket and then its client address, logged in or
 * not (issue 16): one anonymous client looping reads made everyone else's acks a hundred times slower.
 */
export const readLimit: LimitingMiddleware = Object.assign(
  (async (ctx, next) => {
    await ctx.services.limits.checkAll([
      ['readsPerSocket', ctx.socket.id],
      ['readsPerAddress', ctx.services.addressOf(ctx.socket)],
    ]);
    await next();
  }) satisfies EventMiddleware,
  { limitKind: 'readsPerSocket' as const },
);

/** Whether `middleware` counts its event against a limit (rateLimit and its kin). */
export function isLimiting(middleware: EventMiddleware<never>): boolean {
  return 'limitKind' in middleware;
}

/** Lets the event through only for a logged-in socket. */
export const requireLogin: EventMiddleware = async (ctx, next) => {
  const user = ctx.socket.data.user;
  if (!user) throw new ChatError('not_logged_in', 'Log in first.');
  ctx.user = user;
  await next();
};

/** Counts, times and logs each event (never its payload); failures are counted by error code. */
export const instrument: EventMiddleware = async (ctx, next) => {
  const { metrics } = ctx.services;
  const started = process.hrtime.bigint();
  metrics.eventsIn.inc({ event: ctx.event });
  try {
    await next();
    ctx.log.debug({ socket: ctx.socket.id, event: ctx.event, ms: elapsedMs(started) }, 'event handled');
  } catch (err) {
    const code = err instanceof ChatError ? err.code : 'internal_error';
    const level = err instanceof ChatError ? 'info' : 'error';
    metrics.error(code);
    ctx.log[level]({ socket: ctx.socket.id, event: ctx.event, code, ms: elapsedMs(started), err: level === 'error' ? err : undefined }, 'event failed');
    throw err;
  } finally {
    metrics.ackLatency.observe({ event: ctx.event }, elapsedMs(started) / 1000);
  }
};

function elapsedMs(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e6;
}
