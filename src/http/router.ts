import Router from '@koa/router';
import type Koa from 'koa';
import { z } from 'zod';
import { ChatError } from '../errors';
import { requireUser } from '../identity';
import { normalizeName } from '../names';
import { DEFAULT_HISTORY_PAGE, MAX_HISTORY_PAGE, MAX_TEXT_LENGTH } from '../protocol';
import { userRoom, type Services } from '../realtime/context';
import { usersPage } from '../realtime/handlers/queries';
import { lengthWithin, parsePayload, storable, usersSchema } from '../schemas';
import { createSignInCode } from '../sign-in-codes';
import { serveVendor } from './vendor';
import { adminRoutes, jsonBody, queryNumber, requireAdmin } from './admin';

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
  const { store, io, config, now, metrics } = services;

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

  serveVendor(router);

  // Without ADMIN_TOKEN the admin API does not exist at all: 404 whatever the method, not 405 (issue 16).
  if (config.adminToken === undefined) return router;

  // For a user who lost every device (issue 21): a code that opens a new session, handed over out of band.
  router.post('/api/users/:name/sign-in-code', requireAdmin(config.adminToken), async (ctx) => {
    if (services.jwt) throw new ChatError('forbidden', 'Here the host application signs people in; this chat makes no sign-in codes.');
    const user = await requireUser(store, normalizeName(ctx.params.name) ?? ctx.params.name);
    ctx.body = await createSignInCode(store, user, now(), config.signInCodeMs);
    services.log.info({ user: user.name }, 'sign-in code made by an admin');
  });

  router.post('/api/push', requireAdmin(config.adminToken), jsonBody, async (ctx) => {
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
    ctx.body = { ok: true, to: user.name, online: await services.presence.isOnline(user.id) };
  });

  adminRoutes(router, services);
  return router;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
