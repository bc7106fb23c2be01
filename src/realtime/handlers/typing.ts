import { requireUser } from '../../identity';
import { userRoom, type LoggedInContext } from '../context';

/** `typing {to?}`: relayed as `typing {from, fromName, to?}` to everyone else, or to the one user's sockets. */
export async function typing(ctx: LoggedInContext<{ to?: string }>): Promise<void> {
  const { store, io } = ctx.services;
  const typist = { from: ctx.user.name, fromName: ctx.user.displayName };
  if (ctx.payload.to === undefined) {
    ctx.socket.broadcast.emit('typing', typist);
  } else {
    const recipient = await requireUser(store, ctx.payload.to);
    io.to(userRoom(recipient.id)).emit('typing', { ...typist, to: recipient.name });
  }
  ctx.services.metrics.eventsOut.inc({ event: 'typing' });
  ctx.body = {};
}
