import type { ChatMessage } from '../protocol';
import type { CommittedDelete, CommittedEdit } from './log';

/**
 * The edits part of the ChatStore contract (store.ts): taking words back (issue 19). An edit or a deletion is an
 * entry of the one log (log.ts) that copies its message's sender, recipient, room and hidden flag, so it is
 * seen by exactly the message's readers, live and by `sync`, once, in id order.
 *
 * Guarantees every implementation gives (tests/store-edits.test.ts checks them against each one):
 * - Who may: decided by message-rules.ts inside the transaction that writes the entry. A message the actor
 *   may not read is `unknown_message` (as an id nobody has): nothing about it leaks.
 * - Idempotency: an edit to the text the message already has, or a deletion of a deleted message, writes
 *   nothing and succeeds, so a retry is harmless.
 * - Erasure: a deletion empties the text of the message's row and of its edit entries in the same transaction
 *   (the row keeps id, sender, recipient or room, and times). What an engine's files may still hold, and for how
 *   long, is written at each implementation and in docs/protocol.md, "Deleting".
 * - Atomicity: each call is one transaction; a refused call leaves nothing behind.
 */
export type EditRefusal = 'unknown_message' | 'forbidden';

/** Who deletes: a user (the author, or the owner of the message's room), or the operator (admin API). */
export type Deleter = { user: { id: number; name: string } } | { admin: true };

export type EditOutcome = { ok: true; message: ChatMessage; entry?: CommittedEdit } | { ok: false; refused: EditRefusal };
export type DeleteOutcome = { ok: true; entry?: CommittedDelete } | { ok: false; refused: EditRefusal };

export interface EditStore {
  /** The author changes the text of their message (not of a deleted one). Resolves with the message as it is now. */
  editMessage(edit: { id: number; editor: { id: number; name: string }; text: string; ts: number; origin?: string }): Promise<EditOutcome>;
  /** Deletes a message: by its author, by the owner of its room (a current member), or by the operator. */
  deleteMessage(deletion: { id: number; by: Deleter; ts: number; origin?: string }): Promise<DeleteOutcome>;
  /** The message as it is now, if `reader` may read it (message-rules.ts); undefined otherwise. */
  readableMessage(id: number, reader: number): Promise<ChatMessage | undefined>;
}
