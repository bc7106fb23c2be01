import { ChatError } from '../../errors';
import { requireUser } from '../../identity';
import { sortByName } from '../../names';
import type { UserEntry } from '../../protocol';
import type { EventContext, Services } from '../context';

/**
 * `history {with?, before?, limit?}`: a page of the public timeline (anyone may read it, as over HTTP), or
 * of the caller's own conversation with `with` (logged-in only).
 */
export async function history(
  ctx: EventContext<{ with?: string; before?: number; limit: number }>,
): Promise<void> {
  const { store } = ctx.services;
  const { with: other, before, limit } = ctx.payload;
  if (other === undefined) {
    ctx.body = await store.publicHistory({ before, limit });
    return;
  }
  const me = ctx.socket.data.user;
  if (!me) throw new ChatError('not_logged_in', 'Log in to read private conversations.');
  const peer = await requireUser(store, other);
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
