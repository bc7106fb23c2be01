import { requireUser } from '../../identity';
import type { LoggedInContext } from '../context';
import { confirmDelivered } from '../delivery';
import { refusal, requireRoom } from '../room-access';

/**
 * `sendMsg {text, clientId?}`: stores a public message; once committed, delivery.ts broadcasts it on
 * `allmessage` to every client. A retry with a clientId already stored acks the original and broadcasts
 * nothing (clients that missed the first broadcast catch up with `sync`).
 */
export async function sendMsg(ctx: LoggedInContext<{ text: string; clientId?: string }>): Promise<void> {
  const { store, now } = ctx.services;
  const { text, clientId } = ctx.payload;
  const appending = store.appendPublic({ sender: ctx.user, text, ts: now(), clientId, origin: ctx.socket.id });
  ctx.release(); // the store keeps call order: the sender's next message need not wait for this commit
  const { message } = await appending;
  ctx.body = { message };
}

/**
 * `privateMsg {to, text}`: stores a private message; once committed, delivery.ts sends it to every live
 * socket of the recipient and to the sender's other sockets. A recipient without a live socket gets it at
 * their next login. `delivered` tells whether the recipient was online once the message was committed.
 */
export async function privateMsg(
  ctx: LoggedInContext<{ to: string; text: string; clientId?: string }>,
): Promise<void> {
  const { store, presence, now } = ctx.services;
  const { to, text, clientId } = ctx.payload;
  const recipient = await requireUser(store, to);
  const appending = store.appendPrivate({
    sender: ctx.user,
    recipient: { id: recipient.id, name: recipient.name, displayName: recipient.displayName },
    text,
    ts: now(),
    clientId,
    origin: ctx.socket.id,
  });
  ctx.release();
  const { message } = await appending;
  ctx.body = { message, delivered: await presence.isOnline(recipient.id) };
}

/**
 * `roomMsg {room, text, clientId?}`: stores a room message if the sender is a member when it commits (the
 * store decides: rooms.ts); once committed, delivery.ts sends it to every connection of every member, the
 * sender's other connections included. A non-member gets `not_member` for a public room, `unknown_room` for a
 * private one (as for a room nobody has).
 */
export async function roomMsg(ctx: LoggedInContext<{ room: string; text: string; clientId?: string }>): Promise<void> {
  const { store, now } = ctx.services;
  const { text, clientId } = ctx.payload;
  const room = await requireRoom(store, ctx.payload.room);
  const appending = store.appendRoom({ sender: ctx.user, room: { id: room.id, name: room.name }, text, ts: now(), clientId, origin: ctx.socket.id });
  ctx.release();
  const appended = await appending;
  if ('refused' in appended) throw refusal(room.private ? 'unknown_room' : 'not_member', ctx.payload.room);
  ctx.body = { message: appended.message };
}

/**
 * `received {ids}`: this connection confirms it got these private messages, so they are not sent again at the
 * next login. Ids of messages to anyone else are ignored.
 */
export async function received(ctx: LoggedInContext<{ ids: number[] }>): Promise<void> {
  await confirmDelivered(ctx.services, ctx.user.id, ctx.payload.ids);
  ctx.body = {};
}
