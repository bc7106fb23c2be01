import type { Committed } from '../store/store';
import { userRoom, type Services } from './context';

/**
 * Live delivery of committed messages to the sockets of this process. Every message reaches clients this
 * way, in the store's commit (id) order, and only after its commit: a public one to every socket, a private
 * one to the sockets of its recipient and to the sender's other sockets. In a cluster each node hears every
 * commit from the store and delivers it to its own sockets (`io.local`).
 */
export function startDelivery({ store, io, metrics, log }: Services): () => void {
  return store.onCommitted((committed: Committed) => {
    try {
      const { message, recipientId, senderId, origin } = committed;
      if (recipientId === null) {
        io.local.emit('allmessage', message);
        metrics.eventsOut.inc({ event: 'allmessage' });
        return;
      }
      if (!('to' in message)) return;
      const rooms = io.local.to([userRoom(recipientId), userRoom(senderId)]);
      (origin === undefined ? rooms : rooms.except(origin)).emit('privateMsg', message);
      metrics.eventsOut.inc({ event: 'privateMsg' });
    } catch (err) {
      log.error({ err, id: committed.message.id }, 'live delivery failed');
    }
  });
}

/**
 * Records that a socket of `userId` received these private messages (a `received` event, or the socket's
 * heartbeat; see delivery-tracker.ts), so they are not sent again at the next login.
 */
export async function confirmDelivered({ store, events }: Services, userId: number, ids: number[]): Promise<void> {
  await store.markDelivered(userId, ids);
  events.emit('delivered', userId, ids);
}
