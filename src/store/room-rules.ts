import { legacyKey } from '../names';
import type { MemberAction } from '../protocol';
import type { Membership, MembershipChange, RoomLimits, RoomRecord, RoomRefusal } from './rooms';

/**
 * Who may change which membership, decided from facts read inside the transaction that writes the change.
 * One set of rules for every engine: each store reads the facts its own way and writes what this decides.
 *
 * - join: any user joins a public room; a private room is joined only by invitation, and to anyone who is not
 *   a member it does not exist (`unknown_room`, the answer for a name nobody holds).
 * - leave: a member leaves. Leaving a public room one is not in changes nothing; a private one is unknown.
 * - invite: a member adds another user, at once (in public and private rooms alike); an invitation from someone
 *   the invitee blocked changes nothing (moderation.ts), answered as one that found them in the room already.
 * - remove: the owner removes a member (`forbidden` for anyone else, and for the owner themselves: they leave).
 * A non-member acting on a private room always gets `unknown_room`, on a public one `not_member`.
 */
export interface MembershipFacts {
  room: RoomRecord | undefined;
  /** The actor's membership row. */
  actor: Membership | undefined;
  /** The membership row of the user concerned (the actor for join and leave). */
  user: Membership | undefined;
  /** How many rooms the user concerned is a member of. */
  userRooms: number;
  /** Whether the user concerned blocked the actor. */
  blocked: boolean;
}

export type Decision = { refused: RoomRefusal } | { nothing: true } | { member: boolean };

export function decide(change: MembershipChange, facts: MembershipFacts, limits: RoomLimits): Decision {
  const { room, actor, user } = facts;
  if (!room) return { refused: 'unknown_room' };
  const actorIn = actor?.member === true;
  const userIn = user?.member === true;
  const outsider = (): Decision => ({ refused: room.private ? 'unknown_room' : 'not_member' });
  const admit = (): Decision => {
    if (userIn) return { nothing: true };
    if (room.memberCount >= limits.maxMembersPerRoom || facts.userRooms >= limits.maxRoomsPerUser) return { refused: 'limit_reached' };
    return { member: true };
  };
  switch (change.action) {
    case 'join':
      if (room.private && !userIn) return { refused: 'unknown_room' };
      return admit();
    case 'leave':
      if (userIn) return { member: false };
      return room.private ? { refused: 'unknown_room' } : { nothing: true };
    case 'invite':
      if (!actorIn) return outsider();
      if (facts.blocked) return { nothing: true };
      return admit();
    case 'remove':
      if (!actorIn) return outsider();
      if (room.ownerId !== change.actor.id || change.user.id === change.actor.id) return { refused: 'forbidden' };
      return userIn ? { member: false } : { nothing: true };
  }
}

/** Whether a new room may be created by an owner who is a member of `ownerRooms` rooms. */
export function mayCreate(ownerRooms: number, limits: RoomLimits): boolean {
  return ownerRooms < limits.maxRoomsPerUser && limits.maxMembersPerRoom >= 1;
}

/** How a member sorts in `members` lists: by name, as every list of people does (names.ts, `sortByName`). */
export function memberSortKey(name: string): string {
  return legacyKey(name);
}

/** Whether an entry of this action makes its user a member (the others end a membership). */
export function joins(action: MemberAction): boolean {
  return action === 'create' || action === 'join' || action === 'invite';
}
