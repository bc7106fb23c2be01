import { createHash, timingSafeEqual } from 'node:crypto';
import type Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type Koa from 'koa';
import { z } from 'zod';
import { ChatError } from '../errors';
import { requireUser } from '../identity';
import { normalizeName } from '../names';
import { MAX_LIST_PAGE, MAX_REASON_LENGTH } from '../protocol';
import { userRoom, type Services } from '../realtime/context';
import { bannedError } from '../realtime/sign-in';
import { lengthWithin, parsePayload } from '../schemas';

/**
 * The operator's API (issue 19), with `Authorization: Bearer <ADMIN_TOKEN>` as POST /api/push: delete any
 * message, ban and unban users, list bans and reports. Every action is logged with what it did (ids and
 * names, never a message's text). docs/protocol.md ("HTTP") and docs/security.md describe it.
 */
export function adminRoutes(router: Router, services: Services): void {
  const { store, io, config, now, log } = services;
  const admin = requireAdmin(config.adminToken);

  router.delete('/api/messages/:id', admin, async (ctx) => {
    const id = parsePayload(idParam, ctx.params.id);
    const outcome = await store.deleteMessage({ id, by: { admin: true }, ts: now() });
    if (!outcome.ok) throw new ChatError('unknown_message', `There is no message ${id}.`);
    log.info({ admin: 'delete message', message: id, deleted: outcome.entry !== undefined }, 'admin deleted a message');
    ctx.body = { ok: true, id };
  });

  router.post('/api/bans', admin, jsonBody, async (ctx) => {
    const body = parsePayload(banBody, ctx.request.body);
    const user = await requireUser(store, normalizeName(body.user) ?? body.user);
    await store.ban(user.id, body.reason, now());
    // Every connection of the user, on every node (through the adapter): told why, then disconnected. A login
    // in flight meanwhile finds the ban once it is in the user's room (sign-in.ts).
    const notice = bannedError(body.reason ?? null);
    io.to(userRoom(user.id)).emit('msg1', { type: 'error', code: 'banned', text: notice.message, ts: now() });
    io.in(userRoom(user.id)).disconnectSockets(true);
    log.info({ admin: 'ban', user: user.name, reason: body.reason }, 'admin banned a user');
    ctx.body = { ok: true, user: user.name };
  });

  router.delete('/api/bans/:user', admin, async (ctx) => {
    const user = await requireUser(store, normalizeName(ctx.params.user) ?? ctx.params.user);
    const lifted = await store.unban(user.id);
    log.info({ admin: 'unban', user: user.name, lifted }, 'admin unbanned a user');
    ctx.body = { ok: true, user: user.name, lifted };
  });

  router.get('/api/bans', admin, async (ctx) => {
    const bans = await store.bans();
    log.info({ admin: 'list bans', count: bans.length }, 'admin listed the bans');
    ctx.body = { bans: bans.map(({ user, reason, since }) => ({ user, reason, since })) };
  });

  router.get('/api/reports', admin, async (ctx) => {
    const q = parsePayload(reportsQuery, { ...ctx.query });
    const page = await store.reports({ before: q.before, limit: Math.min(q.limit ?? MAX_LIST_PAGE, MAX_LIST_PAGE) });
    log.info({ admin: 'list reports', count: page.reports.length }, 'admin listed reports');
    ctx.body = page;
  });
}

/** Query values arrive as strings; an empty one (`?before=`) counts as absent, as an absent field does in `history`. */
export const queryNumber = (schema: z.ZodNumber) =>
  z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().pipe(schema).optional());

const idParam = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const reasonLength = lengthWithin(1, MAX_REASON_LENGTH);
const banBody = z.strictObject({
  user: z.string(),
  reason: z.string().trim().refine(reasonLength.check, reasonLength.message).optional(),
});
const reportsQuery = z.object({
  before: queryNumber(z.number().int().positive().max(Number.MAX_SAFE_INTEGER)),
  limit: queryNumber(z.number().int().positive()),
});

/** JSON bodies up to 64 kB; malformed or oversized ones are the client's error, reported as such. */
export const jsonBody = bodyParser({
  enableTypes: ['json'],
  jsonLimit: '64kb',
  onError: (err) => {
    const status = (err as { status?: number }).status === 413 ? 413 : 400;
    throw new ChatError('invalid_payload', status === 413 ? 'The body is too large.' : 'The body is not valid JSON.', status);
  },
});

/** Bearer-token check for the admin API, which does not exist (404) while no token is configured. */
export function requireAdmin(adminToken: string | undefined): Koa.Middleware {
  const expected = adminToken === undefined ? undefined : digest(adminToken);
  return async (ctx, next) => {
    if (!expected) throw new ChatError('not_found', `Nothing at ${ctx.method} ${ctx.path}.`);
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
