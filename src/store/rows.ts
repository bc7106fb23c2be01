import type { ChatMessage, LogChange, MemberAction } from '../protocol';
import type { LogPage } from './log';
import type { ReportRecord } from './moderation';
import type { Page } from './messages';
import type { SessionRecord } from './sessions';
import type { UserRecord } from './users';

/** A message as both engines select it: `to` is null unless private, `room` null unless in a room. */
export interface MessageRow {
  id: number;
  from: string;
  fromName?: string | null;
  to: string | null;
  toName?: string | null;
  room?: string | null;
  text: string;
  ts: number;
  editedAt?: number | null;
  deletedAt?: number | null;
}

/**
 * Both engines select messages with their parties' current names (a renamed user's history reads as theirs),
 * from MESSAGES_WITH_NAMES (`m` the messages table, `s` its sender, `ru` its recipient); these columns give a
 * MessageRow.
 */
export const MESSAGE_COLUMNS =
  'm.id, s.name AS "from", s.display_name AS "fromName", ru.name AS "to", ru.display_name AS "toName", m.room_name AS room, ' +
  'm.body AS text, m.created_at AS ts, m.edited_at AS "editedAt", m.deleted_at AS "deletedAt"';
export const MESSAGES_WITH_NAMES = 'messages m JOIN users s ON s.id = m.sender_id LEFT JOIN users ru ON ru.id = m.recipient_id';

/** A message as clients get it: as it is now (edited: `editedAt`; deleted: a tombstone, `text` empty). */
export function toMessage(row: MessageRow): ChatMessage {
  const { id, from, to, room, text, ts, editedAt, deletedAt } = row;
  const fromName = row.fromName ?? from;
  const base =
    room !== null && room !== undefined
      ? { id, room, from, fromName, text, ts }
      : to === null
        ? { id, from, fromName, text, ts }
        : { id, from, fromName, to, toName: row.toName ?? to, text, ts };
  if (deletedAt !== null && deletedAt !== undefined) return { ...base, text: '', deletedAt };
  return editedAt !== null && editedAt !== undefined ? { ...base, editedAt } : base;
}

/** Rows arrive newest first, one more than asked for; returns the page oldest first. */
export function newestPage<T>(rows: T[], limit: number): Page<T> {
  return { messages: rows.slice(0, limit).reverse(), hasMore: rows.length > limit };
}

/** `table.column AS "prefix+name"` for each [column, name] (both engines quote identifiers with "). */
function columns(list: Array<[string, string]>, table: string, prefix: string): string {
  return list.map(([column, name]) => `${table && `${table}.`}${column} AS "${prefix}${name}"`).join(', ');
}

const USER_COLUMNS: Array<[string, string]> = [
  ['id', 'id'],
  ['name', 'name'],
  ['name_key', 'key'],
  ['display_name', 'displayName'],
  ['created_at', 'createdAt'],
  ['last_seen_at', 'lastSeenAt'],
  ['provisional', 'provisional'],
  ['account_issuer', 'accountIssuer'],
  ['account_subject', 'accountSubject'],
  ['names_at', 'namesAt'],
];

const SESSION_COLUMNS: Array<[string, string]> = [
  ['id', 'id'],
  ['user_id', 'userId'],
  ['created_at', 'createdAt'],
  ['last_seen_at', 'lastSeenAt'],
  ['address', 'address'],
  ['agent', 'agent'],
];

/** The columns of a UserRow (`table`: the users table's alias, if any; `prefix`: put before each name). */
export function userColumns(table = '', prefix = ''): string {
  return columns(USER_COLUMNS, table, prefix);
}

/** The columns of a SessionRecord. */
export function sessionColumns(table = ''): string {
  return columns(SESSION_COLUMNS, table, '');
}

/** A session joined with its user: the session's columns, and the user's prefixed `u_` (SESSION_WITH_USER). */
export const SESSION_WITH_USER = `${sessionColumns('s')}, ${userColumns('u', 'u_')}`;

export function splitSessionRow(row: Record<string, unknown>): { session: SessionRecord; user: UserRecord } {
  const session: Record<string, unknown> = {};
  const user: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    if (k.startsWith('u_')) user[k.slice(2)] = v;
    else session[k] = v;
  }
  return { session: session as unknown as SessionRecord, user: toUser(user as unknown as UserRow) };
}

export interface UserRow extends Omit<UserRecord, 'provisional' | 'account'> {
  /** SQLite: 0 or 1. */
  provisional: boolean | number;
  accountIssuer: string | null;
  accountSubject: string | null;
}

export function toUser(row: UserRow): UserRecord {
  const { accountIssuer, accountSubject, provisional, ...rest } = row;
  const account = accountIssuer !== null && accountSubject !== null ? { issuer: accountIssuer, subject: accountSubject } : null;
  return { ...rest, provisional: provisional === true || provisional === 1, account };
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
/** The log with its parties' current names and its room (LOG_COLUMNS select from it). */
export const LOG_FROM = `${MESSAGES_WITH_NAMES} LEFT JOIN rooms r ON r.id = m.room_id`;
