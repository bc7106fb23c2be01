import { ChatError } from '../../errors';
import { nameKey } from '../../names';
import { userRoom, type LoggedInContext } from '../context';

/** `typing {to?}`: relayed as `typing {from, to?}` to everyone else, or to the one user's sockets. */
export async function typing(ctx: LoggedInContext<{ to?: string }>): Promise<void> {
  const { store, io } = ctx.services;
  const from = ctx.user.name;
  if (ctx.payload.to === undefined) {
    ctx.socket.broadcast.emit('typing', { from });
  } else {
    const recipient = await store.findUser(nameKey(ctx.payload.to));
    if (!recipient) throw new ChatError('unknown_user', `There is no user called "${ctx.payload.to}".`);
    io.to(userRoom(recipient.key)).emit('typing', { from, to: recipient.name });
  }
  ctx.services.metrics.eventsOut.inc({ event: 'typing' });
  ctx.body = {};
}
