import type Database from 'better-sqlite3';
import type { ChatMessage, PrivateMessage, PublicMessage } from '../../protocol';
import type { Appended, MessageStore, NewMessage, Party } from '../messages';
import { MESSAGE_COLUMNS, MESSAGES_WITH_NAMES, newestPage, toMessage, type MessageRow } from '../rows';
import type { SqliteWriter } from './writer';

/**
 * The messages part of the SQLite store (ChatStore's MessageStore; the feed is the writer's, see engine.ts). Ids are the table's AUTOINCREMENT rowids:
 * one process owns the file and commits one transaction at a time, so they are assigned in commit order and
 * never reused.
 */
export function sqliteMessages(db: Database.Database, writer: SqliteWriter): Omit<MessageStore, 'onCommitted'> {
  const q = prepare(db);

  const insert = (m: NewMessage, to: Party | null, delivered: boolean): Appended<ChatMessage> => {
    if (m.clientId !== undefined) {
      const original = q.byClientId.get(m.sender.id, m.clientId) as MessageRow | undefined;
      if (original) return { message: toMessage(original), duplicate: true };
    }
    const { lastInsertRowid } = q.insertMessage.run(
      m.sender.id,
      m.sender.name,
      to?.id ?? null,
      to?.name ?? null,
      m.text,
      m.ts,
      delivered ? 1 : 0,
      m.clientId ?? null,
    );
    const base = { id: Number(lastInsertRowid), from: m.sender.name, fromName: m.sender.displayName, text: m.text, ts: m.ts };
    const message: ChatMessage = to ? { ...base, to: to.name, toName: to.displayName } : base;
    writer.committed({ message, senderId: m.sender.id, recipientId: to?.id ?? null, origin: m.origin });
    return { message, duplicate: false };
  };

  return {
    appendPublic(m) {
      return writer.write(() => insert(m, null, true) as Appended<PublicMessage>);
    },
    appendPrivate(m) {
      return writer.write(() => insert(m, m.recipient, false) as Appended<PrivateMessage>);
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
      const rows = q.since.all({ after, reader: reader ?? null, limit: limit + 1 }) as MessageRow[];
      return { messages: rows.slice(0, limit).map(toMessage), hasMore: rows.length > limit };
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

function prepare(db: Database.Database) {
  const msg = `SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGES_WITH_NAMES}`;
  return {
    insertMessage: db.prepare(
      `INSERT INTO messages
         (sender_id, sender_name, recipient_id, recipient_name, body, created_at, delivered, client_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    byClientId: db.prepare(`${msg} WHERE m.sender_id = ? AND m.client_id = ?`),
    publicPage: db.prepare(
      `${msg} WHERE m.recipient_id IS NULL AND ($before IS NULL OR m.id < $before) ORDER BY m.id DESC LIMIT $limit`,
    ),
    conversationPage: db.prepare(
      `${msg}
       WHERE ((m.sender_id = $a AND m.recipient_id = $b) OR (m.sender_id = $b AND m.recipient_id = $a))
         AND ($before IS NULL OR m.id < $before)
       ORDER BY m.id DESC LIMIT $limit`,
    ),
    undelivered: db.prepare(`${msg} WHERE m.recipient_id = ? AND m.delivered = 0 AND m.id > ? ORDER BY m.id LIMIT ?`),
    markDelivered: db.prepare('UPDATE messages SET delivered = 1 WHERE id = ? AND recipient_id = ?'),
    since: db.prepare(
      `${msg} WHERE m.id > $after AND (m.recipient_id IS NULL OR m.sender_id = $reader OR m.recipient_id = $reader)
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
