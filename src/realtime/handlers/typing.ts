import { requireUser } from '../../identity';
import { userRoom, type LoggedInContext } from '../context';

/** `typing {to?}`: relayed as `typing {from, to?}` to everyone else, or to the one user's sockets. */
export async function typing(ctx: LoggedInContext<{ to?: string }>): Promise<void> {
  const { store, io } = ctx.services;
  const from = ctx.user.name;
  if (ctx.payload.to === undefined) {
    ctx.socket.broadcast.emit('typing', { from });
  } else {
    const recipient = await requireUser(store, ctx.payload.to);
    io.to(userRoom(recipient.id)).emit('typing', { from, to: recipient.name });
  }
  ctx.services.metrics.eventsOut.inc({ event: 'typing' });
  ctx.body = {};
}
