import { ChatError } from '../../errors';
import type { SessionEntry } from '../../protocol';
import { createSignInCode } from '../../sign-in-codes';
import { sessionRoom, type LoggedInContext, type Services } from '../context';

/**
 * A user's devices (issue 21): `signInCode` makes a code that signs another device in, `sessions` lists the
 * signed-in ones, `endSession` signs one out (or every other one). Sessions are the open mode's: in JWT mode
 * the host application signs people in and out, and these events are `forbidden`.
 */
function openModeOnly(ctx: LoggedInContext<unknown>): void {
  if (ctx.services.jwt) throw new ChatError('forbidden', 'Here the host application signs people in and out; this chat keeps no sessions of its own.');
}

/** `signInCode {}`: a short-lived, single-use code for a new session of the caller. */
export async function signInCode(ctx: LoggedInContext<Record<string, never>>): Promise<void> {
  openModeOnly(ctx);
  // A tutorial login that joined a held name without its token has proven nothing it could hand on.
  if (ctx.socket.data.sessionId === undefined) {
    throw new ChatError('forbidden', 'Only a device signed in with the name\'s token can make a sign-in code.');
  }
  const { store, now, config } = ctx.services;
  ctx.body = await createSignInCode(store, ctx.user, now(), config.signInCodeMs);
}

/** `sessions {}`: the caller's sessions, most recently used first; `current` marks this connection's. */
export async function sessions(ctx: LoggedInContext<Record<string, never>>): Promise<void> {
  openModeOnly(ctx);
  const current = ctx.socket.data.sessionId;
  const list = await ctx.services.store.listSessions(ctx.user.id);
  ctx.body = {
    sessions: list.map(({ id, createdAt, lastSeenAt, address, agent }): SessionEntry => ({ id, current: id === current, createdAt, lastSeenAt, address, agent })),
  };
}

/**
 * `endSession { id }` or `{ others: true }`: ends sessions of the caller. Their tokens open nothing from then
 * on, and their connections, on every node, are told (`msg1` error `session_ended`) and disconnected at once;
 * this connection, if its own session is ended, just after the ack.
 */
export async function endSession(ctx: LoggedInContext<{ id: string } | { others: true }>): Promise<void> {
  openModeOnly(ctx);
  const current = ctx.socket.data.sessionId;
  const which = 'id' in ctx.payload ? { id: ctx.payload.id } : { except: current };
  const ended = await ctx.services.store.endSessions(ctx.user.id, which);
  if ('id' in which && ended.length === 0) throw new ChatError('not_found', 'You have no session with that id (it may have ended already).');
  disconnectSessions(ctx.services, ended, ctx.socket.id);
  ctx.body = { ended: ended.length };
  ctx.log.info({ socket: ctx.socket.id, user: ctx.user.name, ended: ended.length }, 'sessions ended');
  if (current !== undefined && ended.includes(current)) ctx.after.push(() => disconnectSessions(ctx.services, [current]));
}

/** Tells and disconnects every connection of these sessions, on every node (through their rooms), but `except`. */
export function disconnectSessions({ io, now }: Pick<Services, 'io' | 'now'>, ids: string[], except?: string): void {
  if (ids.length === 0) return;
  const rooms = ids.map(sessionRoom);
  const targets = except === undefined ? io.to(rooms) : io.to(rooms).except(except);
  targets.emit('msg1', { type: 'error', code: 'session_ended', text: 'This device was signed out (its session was ended).', ts: now() });
  (except === undefined ? io.in(rooms) : io.in(rooms).except(except)).disconnectSockets(true);
}
