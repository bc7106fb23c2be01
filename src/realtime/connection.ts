import { ChatError } from '../errors';
import type { HandshakeClaim } from './handshake';
import type { ChatSocket, Services } from './context';
import type { Dispatcher } from './dispatch';
import { SerialQueue } from './serial-queue';
import { Session } from './session';
import { signInConnected, welcome } from './sign-in';

/**
 * Events a socket may have waiting before new ones are refused with `rate_limited`; bounds what a flooding
 * client can make the server hold.
 */
export const MAX_PENDING_EVENTS = 64;

/**
 * Sets up one new socket: its event routes, the login its handshake claimed (if any), and presence
 * bookkeeping when it goes away. Resolves once the socket has disconnected and all its work is done (the app
 * waits for this when closing).
 */
export function onConnection(socket: ChatSocket, services: Services, dispatcher: Dispatcher, handshake?: HandshakeClaim): Promise<void> {
  const { log } = services;
  const queue = new SerialQueue(MAX_PENDING_EVENTS, (err) => log.error({ socket: socket.id, err }, 'socket task failed'));
  const session = new Session(socket, services, queue);
  if (handshake) {
    // The connection's first event, sent now: the socket has been in every broadcast since it connected, and
    // in a cluster an `allmessage` used to come first while the binding below waited for Redis (issue 16).
    socket.emit('session', handshake.session);
    // First in the queue: the client's first packets (perhaps buffered while it was away) run as this user.
    queue.pushAlways(async () => {
      const signedIn = await signInConnected(session, handshake.claim, services, handshake.slot).catch((err: unknown) => {
        // Refused while binding (its session ended, the user was banned, or the owner secured the name,
        // meanwhile): the client was told it is logged in (`session`), so it is told why it is not, then closed.
        if (!(err instanceof ChatError)) log.error({ socket: socket.id, err }, 'handshake login failed after its session was sent');
        else socket.emit('msg1', { type: 'error', code: err.code, text: err.message, ts: services.now() });
        socket.disconnect(true);
        return undefined;
      });
      if (!signedIn) return; // gone since the handshake: nobody to answer, and a name it created is given back
      log.info({ socket: socket.id, user: signedIn.user.name, cameOnline: signedIn.cameOnline }, 'logged in (handshake)');
      await welcome(session, signedIn, services);
    });
  }
  dispatcher.attach(socket, queue, session);
  return new Promise<void>((resolve) => {
    socket.on('disconnect', (reason) => {
      // Queued behind the socket's pending events, so a login still in flight cannot re-add it afterwards.
      queue.pushAlways(async () => {
        try {
          const ended = await session.end({ seen: true });
          log.debug({ socket: socket.id, user: ended?.user.name, reason, wentOffline: ended?.wentOffline }, 'disconnected');
        } catch (err) {
          log.error({ socket: socket.id, err }, 'disconnect bookkeeping failed');
        } finally {
          resolve();
        }
      });
    });
  });
}
