import type { ChatSocket, Services } from './context';
import type { Dispatcher } from './dispatch';
import { SerialQueue } from './serial-queue';

/**
 * Events a socket may have waiting before new ones are refused with `rate_limited`; bounds what a flooding
 * client can make the server hold.
 */
export const MAX_PENDING_EVENTS = 64;

/**
 * Sets up one new socket: its event routes, and presence bookkeeping when it goes away. Resolves once the
 * socket has disconnected and all its work is done (the app waits for this when closing).
 */
export function onConnection(socket: ChatSocket, services: Services, dispatcher: Dispatcher): Promise<void> {
  const queue = new SerialQueue(MAX_PENDING_EVENTS);
  dispatcher.attach(socket, queue);
  let finished: () => void;
  const done = new Promise<void>((resolve) => (finished = resolve));
  socket.on('disconnect', (reason) => {
    // Queued behind the socket's pending events, so a login still in flight cannot re-add it afterwards.
    queue.pushAlways(async () => {
      const user = socket.data.user;
      const { presence, presenceFeed, store, now, log } = services;
      try {
        if (!user) return;
        const wentOffline = await presence.remove(user, socket.id);
        if (wentOffline) presenceFeed.changed(user.name, false);
        await store.touchUser(user.id, now());
        log.debug({ socket: socket.id, user: user.name, reason, wentOffline }, 'disconnected');
      } catch (err) {
        log.error({ socket: socket.id, err }, 'disconnect bookkeeping failed');
      } finally {
        finished();
      }
    });
  });
  return done;
}
