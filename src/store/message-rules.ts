import type { Deleter, EditRefusal } from './edits';

/**
 * Who may read, edit and delete a message, decided from facts read inside the transaction that acts on it. One
 * set of rules for every engine (as room-rules.ts for memberships).
 *
 * - Read: a public message, anyone; a private one, its sender, and its recipient unless it was hidden from them
 *   (sent while they blocked the sender); a room's, any user for a public room, the members for a private one.
 * - Edit: the author, while they may read it, and for a room message while they are a member.
 * - Delete: the author (while they may read it); the owner of the message's room while a member; the operator.
 * Anything a user may not read is `unknown_message`, the answer for an id nobody has; what they may read but
 * not change is `forbidden`.
 */
export interface MessageFacts {
  /** The entry with that id; undefined when none (or pruned). */
  target: TargetRow | undefined;
  /** The room of a room message. */
  room?: { private: boolean; ownerId: number };
  /** Whether the acting user is a member of that room now. */
  member: boolean;
}

/** What the rules read of a message row. */
export interface TargetRow {
  kind: string;
  senderId: number;
  recipientId: number | null;
  roomId: number | null;
  hidden: boolean;
  deletedAt: number | null;
  text: string;
}

export function mayRead(facts: MessageFacts, reader: number): boolean {
  const { target, room } = facts;
  if (!target || target.kind !== 'message') return false;
  if (target.roomId !== null) return room !== undefined && (!room.private || facts.member);
  if (target.recipientId === null) return true;
  return target.senderId === reader || (target.recipientId === reader && !target.hidden);
}

export type Verdict = { refused: EditRefusal } | { nothing: true } | { write: true };

export function decideEdit(facts: MessageFacts, editor: number, text: string): Verdict {
  if (!mayRead(facts, editor) || facts.target!.deletedAt !== null) return { refused: 'unknown_message' };
  const target = facts.target!;
  if (target.senderId !== editor || (target.roomId !== null && !facts.member)) return { refused: 'forbidden' };
  return target.text === text ? { nothing: true } : { write: true };
}

/** Also says in whose name the deletion is recorded (the entry's `action`). */
export function decideDelete(facts: MessageFacts, by: Deleter): Verdict & { as?: 'author' | 'owner' | 'admin' } {
  const target = facts.target;
  if ('admin' in by) {
    if (!target || target.kind !== 'message') return { refused: 'unknown_message' };
    return target.deletedAt !== null ? { nothing: true } : { write: true, as: 'admin' };
  }
  const actor = by.user.id;
  if (!mayRead(facts, actor)) return { refused: 'unknown_message' };
  const as = target!.senderId === actor ? 'author' : facts.room?.ownerId === actor && facts.member ? 'owner' : undefined;
  if (!as) return { refused: 'forbidden' };
  return target!.deletedAt !== null ? { nothing: true } : { write: true, as };
}
