import type { ChatMessage } from '../protocol';

/**
 * The read-state part of the ChatStore contract (store.ts): how far each user has read each conversation,
 * kept on the server so that unread counts survive a reload and follow the user to every device.
 *
 * Guarantees every implementation gives (tests/store-reads.test.ts checks them against each one):
 * - A mark only rises: `markRead` stores the higher of the stored mark and the one given (capped at the
 *   log's head, so a mark can never hide messages not written yet), and resolves with what is stored.
 * - Unread counts are of chat messages from others after the mark that the reader may see, stopping at
 *   `UNREAD_COUNT_LIMIT`. Without a mark: a one-to-one conversation counts from its start; a room from the
 *   entry that made the reader a member last (a mark older than that counts from there too); the public
 *   timeline from its start (the server marks it read when it creates a user: sign-in.ts).
 * - Conversations of a user: the public timeline, every one-to-one conversation that has a message, every room
 *   the user is a member of; most recently active first (`activity`), a page at a time.
 */
export type ConversationKey = { kind: 'public' } | { kind: 'user'; peerId: number } | { kind: 'room'; roomId: number };

export interface ConversationSummary {
  /** Which conversation, with the name a client knows it by (the peer's, the room's). */
  key: ConversationKey;
  name?: string;
  /** The last message's id, or for a room without messages the reader's joining entry; 0 for nothing. */
  activity: number;
  unread: number;
  last: ChatMessage | null;
  readUpTo: number;
}

export interface ReadStore {
  /** Raises the user's mark on `key` to `upTo` (see above); resolves with the stored mark. */
  markRead(userId: number, key: ConversationKey, upTo: number): Promise<number>;
  /** The user's conversations with `activity` below `before`, most recent first, at most `limit`. */
  conversations(userId: number, query: { before?: number; limit: number }): Promise<{ conversations: ConversationSummary[]; hasMore: boolean }>;
  /** Unread count, last message and mark of these conversations of the user (rooms it is a member of). */
  summarize(userId: number, keys: ConversationKey[]): Promise<ConversationSummary[]>;
}

/** How a conversation key is stored. */
export function storedKey(key: ConversationKey): string {
  return key.kind === 'public' ? 'public' : key.kind === 'user' ? `user:${key.peerId}` : `room:${key.roomId}`;
}

/** The page of `items` with activity below `before`, most recent first (activities are distinct log ids, or 0). */
export function byActivity<T extends { activity: number }>(items: T[], before: number | undefined, limit: number): { items: T[]; hasMore: boolean } {
  const sorted = items.filter((i) => before === undefined || i.activity < before).sort((a, b) => b.activity - a.activity);
  return { items: sorted.slice(0, limit), hasMore: sorted.length > limit };
}

/** What an engine answers so that `readStore` can keep the guarantees above; every id is a log id. */
export interface ReadQueries {
  markRead(userId: number, stored: string, upTo: number): Promise<number>;
  /** The stored mark, null without one. */
  mark(userId: number, stored: string): Promise<number | null>;
  /** The id of the member entry that made the user a member of the room last, null if never. */
  joinedId(roomId: number, userId: number): Promise<number | null>;
  /** The last chat message of the conversation (as `userId` sees it), null when there is none. */
  lastId(userId: number, key: ConversationKey): Promise<number | null>;
  /** Chat messages of the conversation from others than `userId` with id > `after`, counted up to `limit`. */
  unread(userId: number, key: ConversationKey, after: number, limit: number): Promise<number>;
  message(id: number): Promise<ChatMessage | undefined>;
  /** The peer's or the room's name. */
  nameOf(key: ConversationKey): Promise<string | undefined>;
  /** Every conversation of the user with its activity (see ConversationSummary). */
  listed(userId: number): Promise<Array<{ key: ConversationKey; activity: number }>>;
}

/** The ReadStore over an engine's queries: one implementation of the rules for every engine. */
export function readStore(q: ReadQueries, unreadLimit: number): ReadStore {
  const summarize = async (userId: number, key: ConversationKey): Promise<ConversationSummary> => {
    const [mark, joined, lastId, name] = await Promise.all([
      q.mark(userId, storedKey(key)),
      key.kind === 'room' ? q.joinedId(key.roomId, userId) : null,
      q.lastId(userId, key),
      q.nameOf(key),
    ]);
    const from = Math.max(mark ?? 0, joined ?? 0);
    const [unread, last] = await Promise.all([q.unread(userId, key, from, unreadLimit), lastId === null ? undefined : q.message(lastId)]);
    return { key, ...(name !== undefined && { name }), activity: lastId ?? joined ?? 0, unread, last: last ?? null, readUpTo: from };
  };
  return {
    markRead: (userId, key, upTo) => q.markRead(userId, storedKey(key), upTo),
    async conversations(userId, { before, limit }) {
      const page = byActivity(await q.listed(userId), before, limit);
      return { conversations: await Promise.all(page.items.map((c) => summarize(userId, c.key))), hasMore: page.hasMore };
    },
    summarize: (userId, keys) => Promise.all(keys.map((key) => summarize(userId, key))),
  };
}
