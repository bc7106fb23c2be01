import { ChatError } from '../../errors';
import { requireUser } from '../../identity';
import type { UsersResult } from '../../protocol';
import type { UserPageQuery } from '../../store/store';
import type { EventContext, Services } from '../context';
import { readableRoom } from '../room-access';

/**
 * `history {with?, room?, before?, limit?}`: a page of the public timeline (anyone may read it, as over HTTP),
 * of the caller's own conversation with `with`, or of a room's messages (logged-in only; a private room's
 * members only). Every page counts against the read limits (routes.ts).
 */
export async function history(
  ctx: EventContext<{ with?: string; room?: string; before?: number; limit: number }>,
): Promise<void> {
  const { store } = ctx.services;
  const { with: other, room, before, limit } = ctx.payload;
  if (other === undefined && room === undefined) {
    ctx.body = await store.publicHistory({ before, limit });
    return;
  }
  const me = ctx.socket.data.user;
  if (!me) throw new ChatError('not_logged_in', `Log in to read ${room === undefined ? 'private conversations' : 'rooms'}.`);
  if (room !== undefined) {
    ctx.body = await store.roomHistory((await readableRoom(store, room, me.id)).id, { before, limit });
    return;
  }
  const peer = await requireUser(store, other!);
  ctx.body = await store.conversation(me.id, peer.id, { before, limit });
}

/** `users {after?, limit?}`: a page of the known users, by name, with their online state. */
export async function users(ctx: EventContext<UserPageQuery>): Promise<void> {
  ctx.body = await usersPage(ctx.services, ctx.payload);
}

/** A page of users (store order, an index's) with their online state; for `users` and GET /api/users. */
export async function usersPage({ store, presence }: Pick<Services, 'store' | 'presence'>, page: UserPageQuery): Promise<UsersResult> {
  const { users: known, hasMore } = await store.listUsers(page);
  const online = await presence.onlineAmong(known.map((u) => u.id));
  return { users: known.map(({ id, name, displayName }) => ({ name, displayName, online: online.has(id) })), hasMore };
}
