import { ChatError } from '../../errors';
import { requireUser } from '../../identity';
import { sortByName } from '../../names';
import type { UserEntry } from '../../protocol';
import type { EventContext, Services } from '../context';
import { readableRoom } from '../room-access';

/**
 * `history {with?, room?, before?, limit?}`: a page of the public timeline (anyone may read it, as over HTTP),
 * of the caller's own conversation with `with`, or of a room's messages (logged-in only; a private room's
 * members only; counted against the caller's `queries` limit).
 */
export async function history(
  ctx: EventContext<{ with?: string; room?: string; before?: number; limit: number }>,
): Promise<void> {
  const { store, limits } = ctx.services;
  const { with: other, room, before, limit } = ctx.payload;
  if (other === undefined && room === undefined) {
    ctx.body = await store.publicHistory({ before, limit });
    return;
  }
  const me = ctx.socket.data.user;
  if (!me) throw new ChatError('not_logged_in', `Log in to read ${room === undefined ? 'private conversations' : 'rooms'}.`);
  if (room !== undefined) {
    await limits.check('queries', me.id);
    ctx.body = await store.roomHistory((await readableRoom(store, room, me.id)).id, { before, limit });
    return;
  }
  const peer = await requireUser(store, other!);
  ctx.body = await store.conversation(me.id, peer.id, { before, limit });
}

/** `users`: every known user with their online state. */
export async function users(ctx: EventContext): Promise<void> {
  ctx.body = { users: await listUsers(ctx.services) };
}

export async function listUsers({ store, presence }: Pick<Services, 'store' | 'presence'>): Promise<UserEntry[]> {
  const [known, online] = await Promise.all([store.listUsers(), presence.online()]);
  const onlineSet = new Set(online);
  return sortByName(known, (u) => u.name).map(({ name, displayName }) => ({ name, displayName, online: onlineSet.has(name) }));
}
