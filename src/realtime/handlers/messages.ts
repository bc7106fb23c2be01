import { ChatError } from '../../errors';
import { nameKey } from '../../names';
import { userRoom, type LoggedInContext } from '../context';

/** `sendMsg {text}`: stores a public message, then broadcasts it on `allmessage` to every client. */
export async function sendMsg(ctx: LoggedInContext<{ text: string }>): Promise<void> {
  const { store, io, now } = ctx.services;
  const message = await store.append({ sender: ctx.user, text: ctx.payload.text, ts: now(), delivered: true });
  io.emit('allmessage', message);
  ctx.body = { message };
}

/**
 * `privateMsg {to, text}`: stores a private message, then delivers it to every live socket of the
 * recipient and to the sender's other sockets. An offline recipient gets it at their next login.
 */
export async function privateMsg(ctx: LoggedInContext<{ to: string; text: string }>): Promise<void> {
  const { store, presence, io, now } = ctx.services;
  const recipient = await store.findUser(nameKey(ctx.payload.to));
  if (!recipient) throw new ChatError('unknown_user', `There is no user called "${ctx.payload.to}".`);
  const delivered = await presence.isOnline(recipient.key);
  const message = await store.append({
    sender: ctx.user,
    recipient: { id: recipient.id, name: recipient.name },
    text: ctx.payload.text,
    ts: now(),
    delivered,
  });
  io.to(userRoom(recipient.key)).to(userRoom(ctx.user.key)).except(ctx.socket.id).emit('privateMsg', message);
  ctx.body = { message, delivered };
}
