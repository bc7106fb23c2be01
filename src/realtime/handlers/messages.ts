import { requireUser } from '../../identity';
import { userRoom, type LoggedInContext } from '../context';

/**
 * `sendMsg {text, clientId?}`: stores a public message, then broadcasts it on `allmessage` to every client.
 * A retry with a clientId already stored acks the original and broadcasts nothing (clients that missed the
 * first broadcast catch up with `sync`).
 */
export async function sendMsg(ctx: LoggedInContext<{ text: string; clientId?: string }>): Promise<void> {
  const { store, io, now } = ctx.services;
  const { text, clientId } = ctx.payload;
  const { message, duplicate } = await store.appendPublic({ sender: ctx.user, text, ts: now(), clientId });
  if (!duplicate) {
    io.emit('allmessage', message);
    ctx.services.metrics.eventsOut.inc({ event: 'allmessage' });
  }
  ctx.body = { message };
}

/**
 * `privateMsg {to, text}`: stores a private message, then delivers it to every live socket of the
 * recipient and to the sender's other sockets. An offline recipient gets it at their next login.
 */
export async function privateMsg(
  ctx: LoggedInContext<{ to: string; text: string; clientId?: string }>,
): Promise<void> {
  const { store, presence, io, now } = ctx.services;
  const { to, text, clientId } = ctx.payload;
  const recipient = await requireUser(store, to);
  const delivered = await presence.isOnline(recipient.key);
  const { message, duplicate } = await store.appendPrivate({
    sender: ctx.user,
    recipient: { id: recipient.id, name: recipient.name },
    text,
    ts: now(),
    clientId,
    delivered,
  });
  if (!duplicate) {
    io.to(userRoom(recipient.key)).to(userRoom(ctx.user.key)).except(ctx.socket.id).emit('privateMsg', message);
    ctx.services.metrics.eventsOut.inc({ event: 'privateMsg' });
  }
  ctx.body = { message, delivered };
}
