import type { ChatMessage } from '../protocol';
import type { Page } from './messages';
import type { SessionRecord } from './sessions';
import type { UserRecord } from './users';

/** A message as both engines select it: `to` and `toName` are null for a public message. */
export interface MessageRow {
  id: number;
  from: string;
  fromName: string;
  to: string | null;
  toName: string | null;
  text: string;
  ts: number;
}

export function toMessage(row: MessageRow): ChatMessage {
  const { to, toName, ...rest } = row;
  return to === null ? rest : { ...rest, to, toName: toName ?? to };
}

/** Rows arrive newest first, one more than asked for; returns the page oldest first. */
export function newestPage<T>(rows: T[], limit: number): Page<T> {
  return { messages: rows.slice(0, limit).reverse(), hasMore: rows.length > limit };
}

/**
 * Both engines select messages with their parties' current names (a renamed user's history reads as theirs):
 * these columns from MESSAGES_WITH_NAMES give a MessageRow.
 */
export const MESSAGE_COLUMNS =
  'm.id, s.name AS "from", s.display_name AS "fromName", r.name AS "to", r.display_name AS "toName", m.body AS text, m.created_at AS ts';
export const MESSAGES_WITH_NAMES = 'messages m JOIN users s ON s.id = m.sender_id LEFT JOIN users r ON r.id = m.recipient_id';

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
