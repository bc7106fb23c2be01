import type pg from 'pg';
import type { DeleteOutcome, EditOutcome, EditStore } from '../edits';
import type { CommittedDelete, CommittedEdit, MessageScope } from '../log';
import { decideDelete, decideEdit, mayRead, type MessageFacts, type TargetRow } from '../message-rules';
import { MESSAGE_COLUMNS, MESSAGES_WITH_NAMES, toMessage, type MessageRow } from '../rows';
import type { GroupCommit } from './writer';

/**
 * The edits part of the PostgreSQL store (ChatStore's EditStore): each edit or deletion is a job in the group
 * commit's lane (jobs.ts), deciding on facts read under the `log_head` lock and writing its entry with the next
 * id. A deletion empties the row's text by an UPDATE: the old row version stays in the table's file until
 * (auto)vacuum reclaims it, and in the WAL (and archives, replicas, backups) for as long as they keep it
 * (docs/protocol.md, "Deleting").
 */
export function postgresEdits(pool: pg.Pool, writer: GroupCommit): EditStore {
  return {
    editMessage(e) {
      return writer.job<EditOutcome>(async (tx, head) => {
        const f = await factsOf(tx, e.id, e.editor.id);
        const verdict = decideEdit(f, e.editor.id, e.text);
        if ('refused' in verdict) return { result: { ok: false, refused: verdict.refused }, entries: [] };
        if ('nothing' in verdict) return { result: { ok: true, message: await current(tx, e.id) }, entries: [] };
        await tx.query('UPDATE messages SET body = $1, edited_at = $2 WHERE id = $3', [e.text, e.ts, e.id]);
        await tx.query(ENTRY_SQL, [head + 1, 'edit', e.id, e.text, e.ts, null]);
        const entry: CommittedEdit = { kind: 'edit', id: head + 1, target: e.id, text: e.text, editedAt: e.ts, scope: scopeOf(f.target!), origin: e.origin };
        return { result: { ok: true, message: await current(tx, e.id), entry }, entries: [entry] };
      });
    },
    deleteMessage(d) {
      return writer.job<DeleteOutcome>(async (tx, head) => {
        const f = await factsOf(tx, d.id, 'user' in d.by ? d.by.user.id : undefined);
        const verdict = decideDelete(f, d.by);
        if ('refused' in verdict) return { result: { ok: false, refused: verdict.refused }, entries: [] };
        if ('nothing' in verdict) return { result: { ok: true }, entries: [] };
        await tx.query("UPDATE messages SET body = '', deleted_at = $1 WHERE id = $2", [d.ts, d.id]);
        await tx.query("UPDATE messages SET body = '' WHERE target_id = $1 AND kind = 'edit'", [d.id]);
        await tx.query(ENTRY_SQL, [head + 1, 'delete', d.id, '', d.ts, verdict.as]);
        const entry: CommittedDelete = { kind: 'delete', id: head + 1, target: d.id, scope: scopeOf(f.target!), origin: d.origin };
        return { result: { ok: true, entry }, entries: [entry] };
      });
    },
    async readableMessage(id, reader) {
      const client = await pool.connect();
      try {
        return mayRead(await factsOf(client, id, reader), reader) ? await current(client, id) : undefined;
      } finally {
        client.release();
      }
    },
  };
}

/** An edit or deletion entry with the id given: the message's sender, recipient, room and hidden flag, so its readers see it. */
const ENTRY_SQL = `INSERT INTO messages (id, kind, sender_id, sender_name, recipient_id, recipient_name, room_id, room_name, target_id, body, created_at, action, delivered, hidden)
  SELECT $1, $2, sender_id, sender_name, recipient_id, recipient_name, room_id, room_name, id, $4, $5, $6, true, hidden FROM messages WHERE id = $3`;

async function current(client: pg.PoolClient, id: number) {
  const { rows } = await client.query<MessageRow>(`SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGES_WITH_NAMES} WHERE m.id = $1`, [id]);
  return toMessage(rows[0]);
}

/** The facts message-rules.ts decides on, in one round trip. */
async function factsOf(client: pg.PoolClient, id: number, actor: number | undefined): Promise<MessageFacts> {
  const { rows } = await client.query<TargetRow & { private: boolean | null; ownerId: number | null; member: boolean }>(
    `SELECT m.kind, m.sender_id AS "senderId", m.recipient_id AS "recipientId", m.room_id AS "roomId", m.hidden,
            m.deleted_at AS "deletedAt", m.body AS text, r.private, r.owner_id AS "ownerId",
            EXISTS (SELECT 1 FROM room_members rm WHERE rm.room_id = m.room_id AND rm.user_id = $2 AND rm.member) AS member
     FROM messages m LEFT JOIN rooms r ON r.id = m.room_id WHERE m.id = $1`,
    [id, actor ?? null],
  );
  const [row] = rows;
  if (!row) return { target: undefined, member: false };
  const { private: isPrivate, ownerId, member, ...target } = row;
  return { target, room: ownerId === null ? undefined : { private: isPrivate === true, ownerId }, member: actor !== undefined && member };
}

function scopeOf(t: TargetRow): MessageScope {
  return { senderId: t.senderId, recipientId: t.recipientId, roomId: t.roomId, hidden: t.hidden };
}
