import { ChatError } from '../../errors';
import { requireUser } from '../../identity';
import type { EditRefusal } from '../../store/store';
import type { LoggedInContext } from '../context';

/**
 * `editMsg {id, text}`: the author changes their message's text (store/message-rules.ts). Once committed,
 * delivery.ts sends `messageEdited` to everyone who may read the message. Ack: the message as it is now.
 */
export async function editMsg(ctx: LoggedInContext<{ id: number; text: string }>): Promise<void> {
  const { store, now } = ctx.services;
  const outcome = await store.editMessage({ id: ctx.payload.id, editor: ctx.user, text: ctx.payload.text, ts: now(), origin: ctx.socket.id });
  if (!outcome.ok) throw refusal(outcome.refused);
  ctx.body = { message: outcome.message };
}

/** `deleteMsg {id}`: the author, or the owner of the message's room, deletes it; readers get `messageDeleted`. */
export async function deleteMsg(ctx: LoggedInContext<{ id: number }>): Promise<void> {
  const { store, now } = ctx.services;
  const outcome = await store.deleteMessage({ id: ctx.payload.id, by: { user: ctx.user }, ts: now(), origin: ctx.socket.id });
  if (!outcome.ok) throw refusal(outcome.refused);
  ctx.body = {};
}

/**
 * `block {user}`: from now on that user's private messages, invitations and typing never reach the caller
 * (docs/protocol.md, "Blocking"). The blocked user is told nothing.
 */
export async function block(ctx: LoggedInContext<{ user: string }>): Promise<void> {
  const { store, now } = ctx.services;
  const other = await blockable(ctx);
  await store.block(ctx.user.id, other, now());
  ctx.body = {};
}

export async function unblock(ctx: LoggedInContext<{ user: string }>): Promise<void> {
  await ctx.services.store.unblock(ctx.user.id, await blockable(ctx));
  ctx.body = {};
}

async function blockable(ctx: LoggedInContext<{ user: string }>): Promise<number> {
  const other = await requireUser(ctx.services.store, ctx.payload.user);
  if (other.id === ctx.user.id) throw new ChatError('invalid_payload', 'You cannot block yourself.');
  return other.id;
}

/**
 * `report {id, reason?}`: any reader of a message reports it to the operator, who lists reports with the message
 * as it was when reported (GET /api/reports). Logged without the text.
 */
export async function report(ctx: LoggedInContext<{ id: number; reason?: string }>): Promise<void> {
  const { store, now, log } = ctx.services;
  const message = await store.readableMessage(ctx.payload.id, ctx.user.id);
  if (!message || message.deletedAt !== undefined) throw refusal('unknown_message');
  const id = await store.report({ message, reporter: ctx.user, reason: ctx.payload.reason, ts: now() });
  log.info({ report: id, message: message.id, reporter: ctx.user.name }, 'message reported');
  ctx.body = { report: { id } };
}

export function refusal(why: EditRefusal): ChatError {
  return why === 'forbidden'
    ? new ChatError('forbidden', 'Only its author may change this message (and the owner of its room delete it).')
    : new ChatError('unknown_message', 'There is no such message.');
}
