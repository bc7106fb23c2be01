import type { EventContext } from '../context';

/**
 * `sync {after, limit?}`: every entry of the log newer than `after` that the caller may see (public messages;
 * after login also the caller's private ones, its rooms' messages and membership changes: store/log.ts),
 * oldest first, a page at a time, chat messages in `messages` and the other entries in `changes`. `reset` says
 * the caller is behind the retention window: entries it never saw are gone, so it must reload from `history`.
 */
export async function sync(ctx: EventContext<{ after: number; limit: number }>): Promise<void> {
  const { store } = ctx.services;
  const { after, limit } = ctx.payload;
  if (after < (await store.prunedThrough())) {
    ctx.body = { messages: [], changes: [], hasMore: false, reset: true };
    return;
  }
  const page = await store.since(ctx.socket.data.user?.id, after, limit);
  ctx.body = { ...page, reset: false };
}
