import { MAX_SYNC_PAGE_CHARS, type ChatMessage, type LogChange } from '../../protocol';
import type { EventContext } from '../context';

/**
 * `sync {after, limit?}`: every entry of the log newer than `after` that the caller may see (public messages;
 * after login also the caller's private ones, its rooms' messages and membership changes, and the edits and
 * deletions of what it may read: store/log.ts), oldest first, a page at a time, chat messages in `messages` and
 * the other entries in `changes`: at most `limit` entries, and fewer once their texts reach MAX_SYNC_PAGE_CHARS,
 * with `hasMore` (issue 16). `reset` says the caller is behind the retention window: entries it never saw are
 * gone, so it must reload from `history`.
 */
export async function sync(ctx: EventContext<{ after: number; limit: number }>): Promise<void> {
  const { store } = ctx.services;
  const { after, limit } = ctx.payload;
  if (after < (await store.prunedThrough())) {
    ctx.body = { messages: [], changes: [], hasMore: false, reset: true };
    return;
  }
  const page = await store.since(ctx.socket.data.user?.id, after, limit);
  ctx.body = { ...withinChars(page, MAX_SYNC_PAGE_CHARS), reset: false };
}

interface LogPage {
  messages: ChatMessage[];
  changes: LogChange[];
  hasMore: boolean;
}

/**
 * The page cut, in log order, after the entry that brings its texts to `max` characters (at least one entry):
 * both lists end at the same id, so a client's next `after` (the highest id or seq it holds) skips nothing.
 */
function withinChars(page: LogPage, max: number): LogPage {
  const entries = [
    ...page.messages.map((m) => ({ id: m.id, chars: m.text.length })),
    ...page.changes.map((c) => ({ id: c.seq, chars: 'text' in c ? c.text.length : 0 })),
  ].sort((x, y) => x.id - y.id);
  let chars = 0;
  const end = entries.findIndex((e) => (chars += e.chars) >= max);
  if (end < 0 || end === entries.length - 1) return page;
  const through = entries[end].id;
  return { messages: page.messages.filter((m) => m.id <= through), changes: page.changes.filter((c) => c.seq <= through), hasMore: true };
}
