import { MAX_SYNC_PAGE_CHARS } from '../../protocol';
import type { EventContext } from '../context';

/**
 * `sync {after, limit?}`: everything newer than message id `after` that the caller may read (public
 * messages; after login also the caller's private ones), oldest first, a page at a time (at most `limit`
 * messages, and fewer once their texts reach MAX_SYNC_PAGE_CHARS, with `hasMore`). `reset` says the
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
  ctx.body = { ...withinChars(page, MAX_SYNC_PAGE_CHARS), reset: false };
}

/** The page cut after the message that brings its texts to `max` characters (at least one message). */
function withinChars<M extends { text: string }>(page: { messages: M[]; hasMore: boolean }, max: number) {
  let chars = 0;
  const end = page.messages.findIndex((m) => (chars += m.text.length) >= max);
  if (end < 0 || end === page.messages.length - 1) return page;
  return { messages: page.messages.slice(0, end + 1), hasMore: true };
}
