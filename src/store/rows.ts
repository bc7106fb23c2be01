import type { ChatMessage, LogChange, MemberAction } from '../protocol';
import type { LogPage } from './log';
import type { Page } from './messages';

/** A message as both engines select it: `to` is null unless private, `room` null unless in a room. */
export interface MessageRow {
  id: number;
  from: string;
  to: string | null;
  room?: string | null;
  text: string;
  ts: number;
}

/** Both engines' message columns, under the names of MessageRow (`m` is the messages table). */
export const MESSAGE_COLUMNS = 'm.id, m.sender_name AS "from", m.recipient_name AS "to", m.room_name AS room, m.body AS text, m.created_at AS ts';

export function toMessage(row: MessageRow): ChatMessage {
  const { id, from, to, room, text, ts } = row;
  if (room !== null && room !== undefined) return { id, room, from, text, ts };
  return to === null ? { id, from, text, ts } : { id, from, to, text, ts };
}

/** Rows arrive newest first, one more than asked for; returns the page oldest first. */
export function newestPage<T>(rows: T[], limit: number): Page<T> {
  return { messages: rows.slice(0, limit).reverse(), hasMore: rows.length > limit };
}

/** An entry of the log as `since` selects it (LOG_COLUMNS). */
export interface LogRow extends MessageRow {
  kind: string;
  action: string | null;
  /** The room's privacy (joined from rooms), for member entries. */
  private: boolean | number | null;
}

/** Both engines' log columns (`m` is the messages table, `r` the rooms table, left-joined). */
export const LOG_COLUMNS = `${MESSAGE_COLUMNS}, m.kind, m.action, r.private`;

/** A page of log rows (oldest first, one more than asked for), split as a reader gets it. */
export function logPage(rows: LogRow[], limit: number): LogPage {
  const page: LogPage = { messages: [], changes: [], hasMore: rows.length > limit };
  for (const row of rows.slice(0, limit)) {
    if (row.kind === 'message') page.messages.push(toMessage(row));
    else page.changes.push(toChange(row));
  }
  return page;
}

function toChange(row: LogRow): LogChange {
  return {
    type: 'member',
    seq: row.id,
    room: row.room ?? '',
    private: Boolean(row.private),
    user: row.to ?? '',
    action: row.action as MemberAction,
    by: row.from,
    ts: row.ts,
  };
}
