import type pg from 'pg';
import type { PrivateMessage, PublicMessage } from '../../protocol';
import type { Appended, MessageStore } from '../messages';
import { LOG_COLUMNS, LOG_FROM, logPage, MESSAGE_COLUMNS, MESSAGES_WITH_NAMES, newestPage, toMessage, type LogRow, type MessageRow } from '../rows';
import type { CommitFeed } from './feed';
import type { GroupCommit } from './writer';

/**
 * The messages part of the PostgreSQL store (ChatStore's MessageStore): appends go through the group commit
 * (writer.ts), the feed tells every node's commits (feed.ts), and the queries read the table.
 *
 * Idempotency across nodes: the unique index on (sender_id, client_id); the loser of a race reads the original.
 */
export function postgresMessages(pool: pg.Pool, writer: GroupCommit, feed: CommitFeed): MessageStore {
  return {
    appendPublic(m) {
      return writer.append({ ...m, recipient: null }) as Promise<Appended<PublicMessage>>;
    },
    appendPrivate(m) {
      return writer.append(m) as Promise<Appended<PrivateMessage>>;
    },
    onCommitted(listener) {
      return feed.subscribe(listener);
    },
    async publicHistory(query) {
      const { rows } = await pool.query<MessageRow>(
        `SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGES_WITH_NAMES}
         WHERE m.kind = 'message' AND m.recipient_id IS NULL AND m.room_id IS NULL AND m.id < $1 ORDER BY m.id DESC LIMIT $2`,
        [query.before ?? Number.MAX_SAFE_INTEGER, query.limit + 1],
      );
      return newestPage(rows.map(toMessage) as PublicMessage[], query.limit);
    },
    async conversation(a, b, query) {
      const { rows } = await pool.query<MessageRow>(
        `SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGES_WITH_NAMES}
         WHERE ((m.sender_id = $1 AND m.recipient_id = $2) OR (m.sender_id = $2 AND m.recipient_id = $1 AND NOT m.hidden)) AND ${PRIVATE}
           AND m.id < $3 ORDER BY m.id DESC LIMIT $4`,
        [a, b, query.before ?? Number.MAX_SAFE_INTEGER, query.limit + 1],
      );
      return newestPage(rows.map(toMessage) as PrivateMessage[], query.limit);
    },
    async undelivered(recipient, after, limit) {
      const { rows } = await pool.query<MessageRow>(
        `SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGES_WITH_NAMES}
         WHERE m.recipient_id = $1 AND NOT m.delivered AND m.deleted_at IS NULL AND m.id > $2 ORDER BY m.id LIMIT $3`,
        [recipient, after, limit],
      );
      return rows.map(toMessage) as PrivateMessage[];
    },
    async markDelivered(recipient, ids) {
      if (ids.length === 0) return;
      await pool.query(
        'UPDATE messages SET delivered = true WHERE id = ANY($1::bigint[]) AND recipient_id = $2 AND NOT delivered',
        [ids, recipient],
      );
    },
    async since(reader, after, limit) {
      // Anonymous: the public timeline alone, through its own index (issue 16).
      const { rows } =
        reader === undefined
          ? await pool.query<LogRow>(
              `SELECT ${LOG_COLUMNS} FROM ${LOG_FROM} WHERE m.recipient_id IS NULL AND m.room_id IS NULL AND m.id > $1
               ORDER BY m.id LIMIT $2`,
              [after, limit + 1],
            )
          : await pool.query<LogRow>(
              `SELECT ${LOG_COLUMNS} FROM ${LOG_FROM}
               WHERE m.id > $1 AND (${VISIBLE_TO_READER}) ORDER BY m.id LIMIT $3`,
              [after, reader, limit + 1],
            );
      return logPage(rows, limit);
    },
    async prune(cutoffTs) {
      // One statement, so pruned_through covers exactly the rows it deleted, whatever commits meanwhile.
      const { rows } = await pool.query<{ removed: number }>(
        `WITH gone AS (DELETE FROM messages WHERE created_at < $1 RETURNING id),
              mark AS (INSERT INTO meta (key, value) SELECT 'pruned_through', max(id) FROM gone HAVING count(*) > 0
                       ON CONFLICT (key) DO UPDATE SET value = GREATEST(meta.value, excluded.value))
         SELECT count(*) AS removed FROM gone`,
        [cutoffTs],
      );
      return rows[0].removed;
    },
    async prunedThrough() {
      const { rows } = await pool.query<{ value: number }>("SELECT value FROM meta WHERE key = 'pruned_through'");
      return rows[0]?.value ?? 0;
    },
  };
}

/** The private messages of a pair, never a member entry (which names its member in recipient_id too). */
export const PRIVATE = "m.kind = 'message' AND m.room_id IS NULL AND m.recipient_id IS NOT NULL";

/** What user `$2` may see of the log: as sqlite/messages.ts, VISIBLE_TO_READER. */
const VISIBLE_TO_READER = `(m.room_id IS NULL AND (m.recipient_id IS NULL OR m.sender_id = $2 OR (m.recipient_id = $2 AND NOT m.hidden)))
  OR (m.room_id IS NOT NULL AND ((m.kind = 'member' AND m.recipient_id = $2) OR EXISTS (
    SELECT 1 FROM room_members rm WHERE rm.room_id = m.room_id AND rm.user_id = $2 AND (rm.member OR rm.left_id > m.id))))`;
