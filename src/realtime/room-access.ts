import { ChatError } from '../errors';
import { nameKey } from '../names';
import type { RoomInfo } from '../protocol';
import type { RoomRecord, RoomRefusal } from '../store/rooms';
import type { ChatStore } from '../store/store';

/**
 * Finding a room by the name a client gave, and who may see it (docs/protocol.md, "Rooms"). A private room
 * does not exist for anyone who is not a member: every answer about it is the answer for a name nobody holds,
 * word for word, with the name as the client wrote it (the stored spelling would tell that it exists).
 */
export async function requireRoom(store: ChatStore, name: string): Promise<RoomRecord> {
  const room = await store.findRoom(nameKey(name));
  if (!room) throw unknownRoom(name);
  return room;
}

/** The room, if `userId` may read it: a public room (any logged-in user), or a private one they are a member of. */
export async function readableRoom(store: ChatStore, name: string, userId: number): Promise<RoomRecord> {
  const room = await requireRoom(store, name);
  if (room.private && !(await store.membership(room.id, userId))?.member) throw unknownRoom(name);
  return room;
}

/** The room, if `userId` is a member of it now: `not_member` for a public room, unknown for a private one. */
export async function joinedRoom(store: ChatStore, name: string, userId: number): Promise<RoomRecord> {
  const room = await requireRoom(store, name);
  if (!(await store.membership(room.id, userId))?.member) throw refusal(room.private ? 'unknown_room' : 'not_member', name);
  return room;
}

/** The error for a store's refusal of an operation on the room the client called `name`. */
export function refusal(why: RoomRefusal, name: string): ChatError {
  switch (why) {
    case 'unknown_room':
      return unknownRoom(name);
    case 'room_taken':
      return new ChatError('room_taken', `The room name "${name}" is taken (or looks like one that is).`);
    case 'not_member':
      return new ChatError('not_member', `You are not a member of "${name}": join it first.`);
    case 'forbidden':
      return new ChatError('forbidden', `Only the owner of "${name}" may remove its members (and not themselves: leave instead).`);
    case 'limit_reached':
      return new ChatError('limit_reached', `"${name}" has as many members as this chat allows, or its new member is in as many rooms as it allows.`);
  }
}

function unknownRoom(name: string): ChatError {
  return new ChatError('unknown_room', `There is no room called "${name}".`);
}

export function roomInfo(room: RoomRecord): RoomInfo {
  return { name: room.name, private: room.private, owner: room.ownerName };
}
