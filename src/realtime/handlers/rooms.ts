import { ChatError } from '../../errors';
import { requireUser } from '../../identity';
import { checkName, legacyKey, nameKey } from '../../names';
import type { RoomEntry } from '../../protocol';
import type { MembershipChange, RoomOutcome } from '../../store/store';
import type { LoggedInContext } from '../context';
import { readableRoom, refusal, requireRoom, roomInfo } from '../room-access';

/**
 * `createRoom {name, private?}`: a new room, its creator its owner and first member (a `create` entry of the
 * log, told to the creator's other connections as `roomMember`). Room names follow the rules of user names,
 * the stricter ones for new names included; look-alike names are one room.
 */
export async function createRoom(ctx: LoggedInContext<{ name: string; private: boolean }>): Promise<void> {
  const { store, now, config } = ctx.services;
  const { name } = ctx.payload;
  const check = checkName(name);
  if ('problem' in check) throw new ChatError('invalid_room', check.problem);
  const outcome = await store.createRoom(
    { name, key: nameKey(name), sortKey: legacyKey(name), private: ctx.payload.private, owner: ctx.user, ts: now(), origin: ctx.socket.id },
    config.roomLimits,
  );
  if (!outcome.ok) throw refusal(outcome.refused, name);
  ctx.body = { room: roomInfo(outcome.room), seq: outcome.entry!.id };
}

/** `joinRoom {room}`: any user joins a public room; a private one is joined only by invitation. */
export function joinRoom(ctx: LoggedInContext<{ room: string }>): Promise<void> {
  return change(ctx, 'join', ctx.payload.room);
}

/** `leaveRoom {room}`: every connection of the user, on every node, stops receiving the room. */
export function leaveRoom(ctx: LoggedInContext<{ room: string }>): Promise<void> {
  return change(ctx, 'leave', ctx.payload.room);
}

/** `invite {room, user}`: a member adds another user, who is a member at once and told on every connection. */
export function invite(ctx: LoggedInContext<{ room: string; user: string }>): Promise<void> {
  return change(ctx, 'invite', ctx.payload.room, ctx.payload.user);
}

/** `removeMember {room, user}`: the owner removes a member. */
export function removeMember(ctx: LoggedInContext<{ room: string; user: string }>): Promise<void> {
  return change(ctx, 'remove', ctx.payload.room, ctx.payload.user);
}

/**
 * One membership change, decided by the store inside the transaction that writes it (store/room-rules.ts).
 * The ack carries the entry's `seq`, absent when nothing changed (joining twice, say): a retry is harmless.
 */
async function change(ctx: LoggedInContext<unknown>, action: MembershipChange['action'], roomName: string, userName?: string): Promise<void> {
  const { store, now, config } = ctx.services;
  const user = userName === undefined ? ctx.user : await requireUser(store, userName);
  const room = await requireRoom(store, roomName);
  const outcome: RoomOutcome = await store.changeMembership(
    { action, roomId: room.id, actor: ctx.user, user: { id: user.id, name: user.name }, ts: now(), origin: ctx.socket.id },
    config.roomLimits,
  );
  if (!outcome.ok) throw refusal(outcome.refused, roomName);
  ctx.body = { room: roomInfo(outcome.room), ...(outcome.entry && { seq: outcome.entry.id }) };
}

/**
 * `rooms {mine?, after?, limit?}`: the public rooms and the private rooms the caller is a member of (`mine`: only
 * the rooms the caller is a member of), by name, a page at a time; with unread count and last message for the
 * rooms the caller is a member of.
 */
export async function rooms(ctx: LoggedInContext<{ mine: boolean; after?: string; limit: number }>): Promise<void> {
  const { store } = ctx.services;
  const { mine, after, limit } = ctx.payload;
  const listing = await store.listRooms(ctx.user.id, { mine, after: after === undefined ? undefined : legacyKey(after), limit });
  const joined = listing.rooms.filter((r) => r.member);
  const summaries = await store.summarize(ctx.user.id, joined.map((r) => ({ kind: 'room' as const, roomId: r.id })));
  const byRoom = new Map(summaries.map((s) => [s.key.kind === 'room' ? s.key.roomId : 0, s]));
  ctx.body = {
    rooms: listing.rooms.map((room): RoomEntry => {
      const summary = byRoom.get(room.id);
      const entry: RoomEntry = { ...roomInfo(room), member: room.member, members: room.memberCount };
      return summary ? { ...entry, unread: summary.unread, last: summary.last as RoomEntry['last'] } : entry;
    }),
    hasMore: listing.hasMore,
  };
}

/** `members {room, after?, limit?}`: a room's members by name with their online state (a private room's: members only). */
export async function members(ctx: LoggedInContext<{ room: string; after?: string; limit: number }>): Promise<void> {
  const { store, presence } = ctx.services;
  const room = await readableRoom(store, ctx.payload.room, ctx.user.id);
  const { after, limit } = ctx.payload;
  const page = await store.members(room.id, after === undefined ? undefined : legacyKey(after), limit);
  const online = await Promise.all(page.members.map((m) => presence.isOnline(m.id)));
  ctx.body = { members: page.members.map((m, i) => ({ name: m.name, displayName: m.displayName, online: online[i] })), hasMore: page.hasMore };
}
