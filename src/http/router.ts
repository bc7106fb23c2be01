import { createHash, timingSafeEqual } from 'node:crypto';
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type Koa from 'koa';
import { z } from 'zod';
import { ChatError } from '../errors';
import { requireUser } from '../identity';
import { normalizeName } from '../names';
import { DEFAULT_HISTORY_PAGE, MAX_HISTORY_PAGE, MAX_TEXT_LENGTH } from '../protocol';
import { userRoom, type Services } from '../realtime/context';
import { usersPage } from '../realtime/handlers/queries';
import { lengthWithin, parsePayload, storable, usersSchema } from '../schemas';

/** Query values arrive as strings; an empty one (`?before=`) counts as absent, as an absent field does in `history`. */
const queryNumber = (schema: z.ZodNumber) =>
  z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().pipe(schema).optional());

const messagesQuery = z.object({
  before: queryNumber(z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER)),
  limit: queryNumber(z.number().int().positive()),
});

/** `?after=&limit=` of GET /api/users, read as the `users` event reads its payload. */
const usersQuery = z.object({
  after: z.preprocess((v) => (v === '' ? undefined : v), z.string().optional()),
  limit: queryNumber(z.number().int().positive()),
});

const pushTextLength = lengthWithin(1, MAX_TEXT_LENGTH);
const pushBody = z.strictObject({
  to: z.string().optional(),
  text: z.string().trim().refine(pushTextLength.check, pushTextLength.message).refine(storable, 'no NUL or lone surrogates'),
});

/** How long /readyz waits for the store before calling it unreachable. */
const READY_TIMEOUT_MS = 2000;

export function createRouter(services: Services): Router {
  const router = new Router();
  const { store, config, metrics } = services;

  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok', uptimeSeconds: Math.round(process.uptime()) };
  });

  router.get('/readyz', async (ctx) => {
    try {
      await withTimeout(store.ping(), READY_TIMEOUT_MS);
      ctx.body = { status: 'ready' };
    } catch (err) {
      services.log.warn({ err }, 'readiness check failed');
      ctx.status = 503;
      ctx.body = { status: 'unavailable' };
    }
  });

  router.get('/metrics', async (ctx) => {
    ctx.type = metrics.registry.contentType;
    ctx.body = await metrics.exposition();
  });

  /** The public reads count against the client's address, like its sockets' reads (issue 16). */
  const readLimit: Koa.Middleware = async (ctx, next) => {
    await services.limits.check('readsPerAddress', ctx.ip);
    await next();
  };

  router.get('/api/messages', readLimit, async (ctx) => {
    const q = parsePayload(messagesQuery, { ...ctx.query });
    const limit = Math.min(q.limit ?? DEFAULT_HISTORY_PAGE, MAX_HISTORY_PAGE);
    ctx.body = await store.publicHistory({ before: q.before, limit });
  });

  // What the bundled page needs to know before it connects: how users sign in (docs/auth.md).
  router.get('/api/config', (ctx) => {
    const { auth } = config;
    ctx.body = auth.mode === 'jwt' ? { auth: 'jwt', tokenUrl: auth.tokenUrl ?? null } : { auth: 'open' };
  });

  router.get('/api/users', readLimit, async (ctx) => {
    const { after, limit } = parsePayload(usersQuery, { ...ctx.query });
    ctx.body = await usersPage(services, parsePayload(usersSchema, { after, limit }));
  });

  // Without ADMIN_TOKEN the admin API does not exist at all: 404 whatever the method, not 405.
  if (config.adminToken !== undefined) router.post('/api/push', requireAdmin(config.adminToken), jsonBody, pushNotice(services));

  return router;
}

/** POST /api/push: a `msg1` push notice to every connection of one user, or to every connection. */
function pushNotice({ store, io, now, metrics, presence }: Services): Koa.Middleware {
  return async (ctx) => {
    const body = parsePayload(pushBody, ctx.request.body);
    const notice = { type: 'push' as const, text: body.text, ts: now() };
    if (body.to === undefined) {
      io.emit('msg1', notice);
      metrics.eventsOut.inc({ event: 'msg1' });
      ctx.body = { ok: true, to: null };
      return;
    }
    // Not a valid name at all: no such user either (404, as for a valid name nobody has).
    const user = await requireUser(store, normalizeName(body.to) ?? body.to);
    io.to(userRoom(user.id)).emit('msg1', notice);
    metrics.eventsOut.inc({ event: 'msg1' });
    ctx.body = { ok: true, to: user.name, online: await presence.isOnline(user.id) };
  };
}

/** JSON bodies up to 64 kB; malformed or oversized ones are the client's error, reported as such. */
const jsonBody = bodyParser({
  enableTypes: ['json'],
  jsonLimit: '64kb',
  onError: (err) => {
    const status = (err as { status?: number }).status === 413 ? 413 : 400;
    throw new ChatError('invalid_payload', status === 413 ? 'The body is too large.' : 'The body is not valid JSON.', status);
  },
});

/** Bearer-token check for the admin API (which exists only while a token is configured). */
function requireAdmin(adminToken: string): Koa.Middleware {
  const expected = digest(adminToken);
  return async (ctx, next) => {
    const match = /^Bearer (.+)$/.exec(ctx.get('Authorization'));
    if (!match || !timingSafeEqual(digest(match[1]), expected)) {
      throw new ChatError('unauthorized', 'A valid admin token is required.');
    }
    await next();
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
