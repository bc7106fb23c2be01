import type { ChatMessage, LogChange, MemberAction } from '../protocol';
import type { LogPage } from './log';
import type { ReportRecord } from './moderation';
import type { Page } from './messages';

/** A message as both engines select it: `to` is null unless private, `room` null unless in a room. */
export interface MessageRow {
  id: number;
  from: string;
  to: string | null;
  room?: string | null;
  text: string;
  ts: number;
  editedAt?: number | null;
  deletedAt?: number | null;
}

/** Both engines' message columns, under the names of MessageRow (`m` is the messages table). */
export const MESSAGE_COLUMNS =
  'm.id, m.sender_name AS "from", m.recipient_name AS "to", m.room_name AS room, m.body AS text, m.created_at AS ts, m.edited_at AS "editedAt", m.deleted_at AS "deletedAt"';

/** A message as clients get it: as it is now (edited: `editedAt`; deleted: a tombstone, `text` empty). */
export function toMessage(row: MessageRow): ChatMessage {
  const { id, from, to, room, text, ts, editedAt, deletedAt } = row;
  const base = room !== null && room !== undefined ? { id, room, from, text, ts } : to === null ? { id, from, text, ts } : { id, from, to, text, ts };
  if (deletedAt !== null && deletedAt !== undefined) return { ...base, text: '', deletedAt };
  return editedAt !== null && editedAt !== undefined ? { ...base, editedAt } : base;
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
  /** The message an edit or a deletion is about. */
  target: number | null;
}

/** Both engines' log columns (`m` is the messages table, `r` the rooms table, left-joined). */
export const LOG_COLUMNS = `${MESSAGE_COLUMNS}, m.kind, m.action, r.private, m.target_id AS target`;

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
  if (row.kind === 'edit') return { type: 'edit', seq: row.id, id: row.target!, text: row.text, editedAt: row.ts };
  if (row.kind === 'delete') return { type: 'delete', seq: row.id, id: row.target! };
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

/** A report as both engines select it (REPORT_COLUMNS). */
export interface ReportRow {
  id: number;
  reporter: string;
  reason: string | null;
  reportedAt: number;
  messageId: number;
  from: string;
  to: string | null;
  room: string | null;
  text: string;
  ts: number;
  editedAt: number | null;
}

export function toReport(r: ReportRow): ReportRecord {
  const message = toMessage({ id: r.messageId, from: r.from, to: r.to, room: r.room, text: r.text, ts: r.ts, editedAt: r.editedAt });
  return { id: r.id, reporter: r.reporter, reason: r.reason, reportedAt: r.reportedAt, message };
}

/** Both engines' report columns, under the names of ReportRow. */
export const REPORT_COLUMNS = `id, reporter_name AS reporter, reason, created_at AS "reportedAt", message_id AS "messageId",
  sender_name AS "from", recipient_name AS "to", room_name AS room, body AS text, message_ts AS ts, edited_at AS "editedAt"`;
