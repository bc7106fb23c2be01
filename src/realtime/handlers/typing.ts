import { requireUser } from '../../identity';
import { userRoom, type LoggedInContext } from '../context';

/**
 * `typing {to?}`: relayed as `typing {from, fromName, to?}` to everyone else, or to the one user's sockets;
 * never to a user who blocked the typist (who is told nothing of it: the ack is the same).
 */
export async function typing(ctx: LoggedInContext<{ to?: string }>): Promise<void> {
  const { store, io } = ctx.services;
  const typist = { from: ctx.user.name, fromName: ctx.user.displayName };
  const blockers = await store.blockersOf(ctx.user.id);
  if (ctx.payload.to === undefined) {
    ctx.socket.broadcast.except(blockers.map(userRoom)).emit('typing', typist);
  } else {
    const recipient = await requireUser(store, ctx.payload.to);
    if (!blockers.includes(recipient.id)) io.to(userRoom(recipient.id)).emit('typing', { ...typist, to: recipient.name });
  }
  ctx.services.metrics.eventsOut.inc({ event: 'typing' });
  ctx.body = {};
}
