import type { EventContext } from '../context';

/**
 * `sync {after, limit?}`: everything newer than message id `after` that the caller may read (public
 * messages; after login also the caller's private ones), oldest first, a page at a time. `reset` says the
 * caller is behind the retention window: messages it never saw are gone, so it must reload from `history`.
 */
export async function sync(ctx: EventContext<{ after: number; limit: number }>): Promise<void> {
  const { store } = ctx.services;
  const { after, limit } = ctx.payload;
  if (after < (await store.prunedThrough())) {
    ctx.body = { messages: [], hasMore: false, reset: true };
    return;
  }
  const page = await store.since(ctx.socket.data.user?.id, after, limit);
  ctx.body = { ...page, reset: false };
}
