import type Database from 'better-sqlite3';
import type { ChatMessage, PrivateMessage, PublicMessage } from '../../protocol';
import type { Appended, MessageStore, NewMessage, Party } from '../messages';
import { LOG_COLUMNS, LOG_FROM, logPage, MESSAGE_COLUMNS, MESSAGES_WITH_NAMES, newestPage, toMessage, type LogRow, type MessageRow } from '../rows';
import type { SqliteWriter } from './writer';

/** Where a message goes: a recipient (private), a room, or neither (public). */
export interface Target {
  to?: Party;
  room?: { id: number; name: string };
}

/**
 * Appends one chat message inside a write of the group commit (writer.ts): the original for a clientId the
 * sender used before, else `refuse()`'s refusal if it gives one, else the new message, told to the feed.
 */
export type Append = <R>(m: NewMessage, target: Target, refuse?: () => R | undefined) => Appended<ChatMessage> | R;

export function sqliteAppend(db: Database.Database, writer: SqliteWriter): Append {
  const byClientId = db.prepare(`SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGES_WITH_NAMES} WHERE m.sender_id = ? AND m.client_id = ?`);
  const blocked = db.prepare('SELECT 1 FROM blocks WHERE blocker_id = ? AND blocked_id = ?');
  const insert = db.prepare(
    `INSERT INTO messages
       (sender_id, sender_name, recipient_id, recipient_name, room_id, room_name, body, created_at, delivered, client_id, hidden)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  return (m, { to, room }, refuse) => {
    if (m.clientId !== undefined) {
      const original = byClientId.get(m.sender.id, m.clientId) as MessageRow | undefined;
      if (original) return { message: toMessage(original), duplicate: true };
    }
    const refusal = refuse?.();
    if (refusal !== undefined) return refusal;
    // From a sender the recipient blocked: hidden from the recipient for good, and never to be delivered.
    const hidden = to !== undefined && blocked.get(to.id, m.sender.id) !== undefined;
    const { lastInsertRowid } = insert.run(
      m.sender.id,
      m.sender.name,
      to?.id ?? null,
      to?.name ?? null,
      room?.id ?? null,
      room?.name ?? null,
      m.text,
      m.ts,
      to && !hidden ? 0 : 1,
      m.clientId ?? null,
      hidden ? 1 : 0,
    );
    const id = Number(lastInsertRowid);
    const message = toMessage({ id, from: m.sender.name, fromName: m.sender.displayName, to: to?.name ?? null, toName: to?.displayName ?? null, room: room?.name ?? null, text: m.text, ts: m.ts });
    writer.committed({ kind: 'message', id, message, senderId: m.sender.id, recipientId: to?.id ?? null, roomId: room?.id ?? null, hidden, origin: m.origin });
    return { message, duplicate: false };
  };
}

/**
 * The messages part of the SQLite store (ChatStore's MessageStore; the feed is the writer's, see engine.ts). Ids are the table's AUTOINCREMENT rowids:
 * one process owns the file and commits one transaction at a time, so they are assigned in commit order and
 * never reused, whatever the kind of entry.
 */
export function sqliteMessages(db: Database.Database, writer: SqliteWriter, append: Append): Omit<MessageStore, 'onCommitted'> {
  const q = prepare(db);
  return {
    appendPublic(m) {
      return writer.write(() => append(m, {}) as Appended<PublicMessage>);
    },
    appendPrivate(m) {
      return writer.write(() => append(m, { to: m.recipient }) as Appended<PrivateMessage>);
    },
    async publicHistory(query) {
      const rows = q.publicPage.all({ before: query.before ?? null, limit: query.limit + 1 }) as MessageRow[];
      return newestPage(rows.map(toMessage) as PublicMessage[], query.limit);
    },
    async conversation(a, b, query) {
      const rows = q.conversationPage.all({ a, b, before: query.before ?? null, limit: query.limit + 1 }) as MessageRow[];
      return newestPage(rows.map(toMessage) as PrivateMessage[], query.limit);
    },
    async undelivered(recipient, after, limit) {
      return (q.undelivered.all(recipient, after, limit) as MessageRow[]).map(toMessage) as PrivateMessage[];
    },
    markDelivered(recipient, ids) {
      if (ids.length === 0) return Promise.resolve();
      return writer.write(() => {
        for (const id of ids) q.markDelivered.run(id, recipient);
      });
    },
    async since(reader, after, limit) {
      // Anonymous: the public timeline alone, through its own index (issue 16).
      const rows = reader === undefined ? q.publicSince.all({ after, limit: limit + 1 }) : q.since.all({ after, reader, limit: limit + 1 });
      return logPage(rows as LogRow[], limit);
    },
    prune(cutoffTs) {
      return writer.write(() => {
        const { maxId } = q.maxIdBefore.get(cutoffTs) as { maxId: number | null };
        if (maxId === null) return 0;
        q.setPrunedThrough.run(maxId);
        return q.deleteBefore.run(cutoffTs).changes;
      });
    },
    async prunedThrough() {
      return (q.prunedThrough.get() as { value: number } | undefined)?.value ?? 0;
    },
  };
}

/** The private messages of a pair, never a member entry (which names its member in recipient_id too). */
export const PRIVATE = "m.kind = 'message' AND m.room_id IS NULL AND m.recipient_id IS NOT NULL";

/**
 * What user `$reader` may see of the log (store/log.ts): public and own private entries (not those hidden from
 * them: moderation.ts), and the entries of rooms they are a member of, or left after the entry, and the member
 * entries about themselves.
 */
export const VISIBLE_TO_READER = `(m.room_id IS NULL AND (m.recipient_id IS NULL OR m.sender_id = $reader OR (m.recipient_id = $reader AND m.hidden = 0)))
  OR (m.room_id IS NOT NULL AND ((m.kind = 'member' AND m.recipient_id = $reader) OR EXISTS (
    SELECT 1 FROM room_members rm WHERE rm.room_id = m.room_id AND rm.user_id = $reader AND (rm.member = 1 OR rm.left_id > m.id))))`;

function prepare(db: Database.Database) {
  return {
    publicPage: db.prepare(
      `SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGES_WITH_NAMES}
       WHERE m.kind = 'message' AND m.recipient_id IS NULL AND m.room_id IS NULL AND ($before IS NULL OR m.id < $before)
       ORDER BY m.id DESC LIMIT $limit`,
    ),
    conversationPage: db.prepare(
      `SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGES_WITH_NAMES}
       WHERE ((m.sender_id = $a AND m.recipient_id = $b) OR (m.sender_id = $b AND m.recipient_id = $a AND m.hidden = 0)) AND ${PRIVATE}
         AND ($before IS NULL OR m.id < $before)
       ORDER BY m.id DESC LIMIT $limit`,
    ),
    undelivered: db.prepare(
      // A message deleted before it was delivered is not sent at a login (its deletion is, by sync).
      `SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGES_WITH_NAMES}
       WHERE m.recipient_id = ? AND m.delivered = 0 AND m.deleted_at IS NULL AND m.id > ? ORDER BY m.id LIMIT ?`,
    ),
    markDelivered: db.prepare('UPDATE messages SET delivered = 1 WHERE id = ? AND recipient_id = ?'),
    publicSince: db.prepare(
      `SELECT ${LOG_COLUMNS} FROM ${LOG_FROM} WHERE m.recipient_id IS NULL AND m.room_id IS NULL AND m.id > $after
       ORDER BY m.id LIMIT $limit`,
    ),
    since: db.prepare(
      `SELECT ${LOG_COLUMNS} FROM ${LOG_FROM}
       WHERE m.id > $after AND (${VISIBLE_TO_READER})
       ORDER BY m.id LIMIT $limit`,
    ),
    maxIdBefore: db.prepare('SELECT max(id) AS maxId FROM messages WHERE created_at < ?'),
    deleteBefore: db.prepare('DELETE FROM messages WHERE created_at < ?'),
    setPrunedThrough: db.prepare(
      `INSERT INTO meta (key, value) VALUES ('pruned_through', ?)
       ON CONFLICT (key) DO UPDATE SET value = max(value, excluded.value)`,
    ),
    prunedThrough: db.prepare(`SELECT value FROM meta WHERE key = 'pruned_through'`),
  };
}
