import type Database from 'better-sqlite3';
import type { CommittedDelete, CommittedEdit, MessageScope } from '../log';
import type { EditStore } from '../edits';
import { decideDelete, decideEdit, mayRead, type MessageFacts, type TargetRow } from '../message-rules';
import { MESSAGE_COLUMNS, MESSAGES_WITH_NAMES, toMessage, type MessageRow } from '../rows';
import type { SqliteWriter } from './writer';

/**
 * The edits part of the SQLite store (ChatStore's EditStore): checks and writes in one write of the group
 * commit. After a deletion commits, the WAL is checkpointed and truncated, and the connection runs with
 * `secure_delete` on (index.ts), so the erased text leaves the database file and its WAL at once: what the
 * file system and backups made before may still hold is in docs/protocol.md, "Deleting".
 */
export function sqliteEdits(db: Database.Database, writer: SqliteWriter): EditStore {
  const q = prepare(db);
  const current = (id: number) => toMessage(q.message.get(id) as MessageRow);
  const facts = (id: number, actor: number | undefined): MessageFacts => {
    const row = q.target.get(id) as (Omit<TargetRow, 'hidden'> & { hidden: number }) | undefined;
    const target = row && { ...row, hidden: row.hidden === 1 };
    const room = target?.roomId != null ? (q.room.get(target.roomId) as { private: number; ownerId: number }) : undefined;
    const member = actor !== undefined && room !== undefined && q.member.get(target!.roomId, actor) !== undefined;
    return { target, room: room && { private: room.private === 1, ownerId: room.ownerId }, member };
  };
  const scopeOf = (t: TargetRow): MessageScope => ({ senderId: t.senderId, recipientId: t.recipientId, roomId: t.roomId, hidden: t.hidden });

  return {
    editMessage(e) {
      return writer.write(() => {
        const f = facts(e.id, e.editor.id);
        const verdict = decideEdit(f, e.editor.id, e.text);
        if ('refused' in verdict) return { ok: false as const, refused: verdict.refused };
        if ('nothing' in verdict) return { ok: true as const, message: current(e.id) };
        q.edit.run(e.text, e.ts, e.id);
        const { lastInsertRowid } = q.entry.run('edit', e.id, e.text, e.ts, null, e.id);
        const entry: CommittedEdit = { kind: 'edit', id: Number(lastInsertRowid), target: e.id, text: e.text, editedAt: e.ts, scope: scopeOf(f.target!), origin: e.origin };
        writer.committed(entry);
        return { ok: true as const, message: current(e.id), entry };
      });
    },
    async deleteMessage(d) {
      const outcome = await writer.write(() => {
        const f = facts(d.id, 'user' in d.by ? d.by.user.id : undefined);
        const verdict = decideDelete(f, d.by);
        if ('refused' in verdict) return { ok: false as const, refused: verdict.refused };
        if ('nothing' in verdict) return { ok: true as const };
        q.erase.run(d.ts, d.id);
        q.eraseEdits.run(d.id);
        const { lastInsertRowid } = q.entry.run('delete', d.id, '', d.ts, verdict.as, d.id);
        const entry: CommittedDelete = { kind: 'delete', id: Number(lastInsertRowid), target: d.id, scope: scopeOf(f.target!), origin: d.origin };
        writer.committed(entry);
        return { ok: true as const, entry };
      });
      // The text's old pages are in the WAL until a checkpoint copies the new ones over them: do it now.
      if (outcome.ok && outcome.entry && db.open) db.pragma('wal_checkpoint(TRUNCATE)');
      return outcome;
    },
    async readableMessage(id, reader) {
      return mayRead(facts(id, reader), reader) ? current(id) : undefined;
    },
  };
}

function prepare(db: Database.Database) {
  return {
    message: db.prepare(`SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGES_WITH_NAMES} WHERE m.id = ?`),
    target: db.prepare(
      `SELECT kind, sender_id AS senderId, recipient_id AS recipientId, room_id AS roomId, hidden, deleted_at AS deletedAt, body AS text
       FROM messages WHERE id = ?`,
    ),
    room: db.prepare('SELECT private, owner_id AS ownerId FROM rooms WHERE id = ?'),
    member: db.prepare('SELECT 1 FROM room_members WHERE room_id = ? AND user_id = ? AND member = 1'),
    edit: db.prepare('UPDATE messages SET body = ?, edited_at = ? WHERE id = ?'),
    erase: db.prepare("UPDATE messages SET body = '', deleted_at = ? WHERE id = ?"),
    eraseEdits: db.prepare("UPDATE messages SET body = '' WHERE target_id = ? AND kind = 'edit'"),
    // An edit or deletion entry: the message's sender, recipient, room and hidden flag, so its readers see it.
    entry: db.prepare(
      `INSERT INTO messages (kind, sender_id, sender_name, recipient_id, recipient_name, room_id, room_name, target_id, body, created_at, action, delivered, hidden)
       SELECT ?, sender_id, sender_name, recipient_id, recipient_name, room_id, room_name, ?, ?, ?, ?, 1, hidden FROM messages WHERE id = ?`,
    ),
  };
}
