import type { ChatMessage } from '../protocol';
import type { Page } from './messages';

/** A message as both engines select it: `to` is null for a public message. */
export interface MessageRow {
  id: number;
  from: string;
  to: string | null;
  text: string;
  ts: number;
}

export function toMessage(row: MessageRow): ChatMessage {
  const { to, ...rest } = row;
  return to === null ? rest : { ...rest, to };
}

/** Rows arrive newest first, one more than asked for; returns the page oldest first. */
export function newestPage<T>(rows: T[], limit: number): Page<T> {
  return { messages: rows.slice(0, limit).reverse(), hasMore: rows.length > limit };
}
