import { requireUser } from '../../identity';
import type { ConversationEntry, ReadMark } from '../../protocol';
import type { ConversationKey } from '../../store/store';
import { userRoom, type LoggedInContext } from '../context';
import { joinedRoom } from '../room-access';

/**
 * `read {upTo, room? | with?}`: the caller has read a conversation (a room they are a member of, the one with
 * user `with`, or the public timeline) up to message id `upTo`. The store only ever raises a mark. Every other
 * connection of the user, on every node, is told with `read` (through the adapter: ephemeral; a connection
 * that missed it reads the marks with `conversations`).
 */
export async function read(ctx: LoggedInContext<{ upTo: number; room?: string; with?: string }>): Promise<void> {
  const { store, io } = ctx.services;
  const { upTo, room, with: peerName } = ctx.payload;
  let key: ConversationKey = { kind: 'public' };
  const mark: Omit<ReadMark, 'upTo'> = {};
  if (room !== undefined) {
    const joined = await joinedRoom(store, room, ctx.user.id);
    key = { kind: 'room', roomId: joined.id };
    mark.room = joined.name;
  } else if (peerName !== undefined) {
    const peer = await requireUser(store, peerName);
    key = { kind: 'user', peerId: peer.id };
    mark.with = peer.name;
  }
  const stored = await store.markRead(ctx.user.id, key, upTo);
  io.to(userRoom(ctx.user.id)).except(ctx.socket.id).emit('read', { upTo: stored, ...mark });
  ctx.services.metrics.eventsOut.inc({ event: 'read' });
  ctx.body = { upTo: stored };
}

/**
 * `conversations {before?, limit?}`: every conversation of the caller (the public timeline, each one-to-one
 * conversation, each room they are a member of), most recently active first, with unread counts (up to
 * UNREAD_COUNT_LIMIT) and the last message.
 */
export async function conversations(ctx: LoggedInContext<{ before?: number; limit: number }>): Promise<void> {
  const page = await ctx.services.store.conversations(ctx.user.id, ctx.payload);
  ctx.body = {
    conversations: page.conversations.map(
      ({ key, name, activity, unread, last, readUpTo }): ConversationEntry => ({
        ...(key.kind === 'room' && { room: name }),
        ...(key.kind === 'user' && { with: name }),
        unread,
        last,
        readUpTo,
        activity,
      }),
    ),
    hasMore: page.hasMore,
  };
}
