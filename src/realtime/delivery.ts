import type { RoomMessage } from '../protocol';
import { memberChange, type CommittedDelete, type CommittedEdit, type CommittedMember, type CommittedMessage } from '../store/log';
import { joins } from '../store/room-rules';
import type { Committed } from '../store/store';
import { userRoom, type Services } from './context';
import { roomRoom } from './memberships';

/**
 * Live delivery of committed log entries to the sockets of this process. Every entry reaches clients this
 * way, in the store's commit (id) order, and only after its commit: a public message to every socket, a
 * private one to the sockets of its recipient and to the sender's other sockets, a room message to the sockets
 * of the room's members (the sender's other sockets included), a membership change to the room's members and
 * to the member concerned, an edit or a deletion to whoever gets the message it is about. A private message
 * hidden from its recipient (who blocked its sender) goes to the sender's other sockets only. In a cluster each node hears every commit from the store and delivers it to its own
 * sockets (`io.local`). The node's membership map (memberships.ts) follows the same feed, applied here, so a
 * message after a removal is never delivered to the removed member's sockets.
 */
export function startDelivery(services: Services): () => void {
  const { store, log } = services;
  return store.onCommitted((committed: Committed) => {
    try {
      if (committed.kind === 'member') deliverMember(services, committed);
      else if (committed.kind === 'message') deliverMessage(services, committed);
      else deliverChange(services, committed);
    } catch (err) {
      log.error({ err, id: committed.id }, 'live delivery failed');
    }
  });
}

function deliverMessage({ io, metrics }: Services, { message, recipientId, roomId, senderId, hidden, origin }: CommittedMessage): void {
  if (roomId !== null) {
    const room = io.local.to(roomRoom(roomId));
    (origin === undefined ? room : room.except(origin)).emit('roomMsg', message as RoomMessage);
    metrics.eventsOut.inc({ event: 'roomMsg' });
    return;
  }
  if (recipientId === null) {
    io.local.emit('allmessage', message);
    metrics.eventsOut.inc({ event: 'allmessage' });
    return;
  }
  if (!('to' in message)) return;
  const rooms = io.local.to(hidden ? [userRoom(senderId)] : [userRoom(recipientId), userRoom(senderId)]);
  (origin === undefined ? rooms : rooms.except(origin)).emit('privateMsg', message);
  metrics.eventsOut.inc({ event: 'privateMsg' });
}

/** An edit or a deletion: to exactly the sockets that get the message it is about (except the one that made it). */
function deliverChange({ io, metrics }: Services, entry: CommittedEdit | CommittedDelete): void {
  const { senderId, recipientId, roomId, hidden } = entry.scope;
  const audience =
    roomId !== null
      ? io.local.to(roomRoom(roomId))
      : recipientId === null
        ? io.local
        : io.local.to(hidden ? [userRoom(senderId)] : [userRoom(recipientId), userRoom(senderId)]);
  const to = entry.origin === undefined ? audience : audience.except(entry.origin);
  if (entry.kind === 'edit') to.emit('messageEdited', { id: entry.target, text: entry.text, editedAt: entry.editedAt, seq: entry.id });
  else to.emit('messageDeleted', { id: entry.target, seq: entry.id });
  metrics.eventsOut.inc({ event: entry.kind === 'edit' ? 'messageEdited' : 'messageDeleted' });
}

/**
 * A membership change: the map first, then the member's sockets on this node join or leave the room's
 * Socket.IO room, then the change is told to the room's members and to the member (who may have just left).
 */
function deliverMember({ io, metrics, memberships }: Services, entry: CommittedMember): void {
  memberships.apply(entry);
  const sockets = io.local.in(userRoom(entry.user.id));
  if (joins(entry.action)) sockets.socketsJoin(roomRoom(entry.room.id));
  else sockets.socketsLeave(roomRoom(entry.room.id));
  const audience = io.local.to([roomRoom(entry.room.id), userRoom(entry.user.id)]);
  (entry.origin === undefined ? audience : audience.except(entry.origin)).emit('roomMember', memberChange(entry));
  metrics.eventsOut.inc({ event: 'roomMember' });
}

/**
 * Records that a socket of `userId` received these private messages (a `received` event, or the socket's
 * heartbeat; see delivery-tracker.ts), so they are not sent again at the next login.
 */
export async function confirmDelivered({ store, events }: Services, userId: number, ids: number[]): Promise<void> {
  await store.markDelivered(userId, ids);
  events.emit('delivered', userId, ids);
}
