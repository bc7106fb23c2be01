/** What the server answers through an ack: `{ ok: true, ... }` or `{ ok: false, error }`, per event. */
import type { ErrorBody } from '../errors';
import type { ChatMessage, ConversationEntry, LogChange, Person, PrivateMessage, PublicMessage, RoomEntry, RoomInfo, RoomMessage, UserEntry } from './messages';

export type Ack<T extends object = object> = ({ ok: true } & T) | { ok: false; error: ErrorBody };
export type AckFn<T extends object = object> = (response: Ack<T>) => void;

export interface LoginResult {
  user: Person;
  /**
   * The token to keep for this name: its session's. Absent when the login joined a name held by tutorial-style
   * logins without presenting its token (see docs/protocol.md, "Names and tokens"), and in JWT mode.
   */
  token?: string;
  /** The session this connection belongs to (`sessions`, `endSession`); absent when `token` is. */
  sessionId?: string;
  /** Online users, sorted, at most LOGIN_ONLINE_LIMIT of them (sending all on every login costs O(N²)). */
  online: string[];
  onlineCount: number;
  /** The users this user blocked (issue 19), by name. */
  blocked: string[];
}
export interface SendMsgResult {
  message: PublicMessage;
}
export interface PrivateMsgResult {
  message: PrivateMessage;
  /** False when the recipient had no live connection; they receive it at their next login. */
  delivered: boolean;
}
export interface HistoryResult {
  /** Oldest first within the page. */
  messages: ChatMessage[];
  /** True when messages older than this page exist. */
  hasMore: boolean;
}
export interface UsersResult {
  /** Sorted by name (case- and width-insensitive, then exactly), at most `limit` of them. */
  users: UserEntry[];
  /** True when more users follow: ask again with `after` set to the last name of this page. */
  hasMore: boolean;
}
export interface SignInCodeResult {
  /** 10 characters (shown as XXXXX-XXXXX; case, dashes and spaces do not matter when typed). */
  code: string;
  /** Epoch ms; the code opens nothing after it, and nothing after its first use. */
  expiresAt: number;
}
export interface SessionEntry {
  id: string;
  /** The session of the connection that asked. */
  current: boolean;
  createdAt: number;
  /** When it last logged in, or was last seen connected. */
  lastSeenAt: number;
  /** Where from: the client address, and a summary of the browser or app ("Firefox 128 on Linux"). */
  address: string;
  agent: string;
}
export interface SessionsResult {
  sessions: SessionEntry[];
}
export interface EndSessionResult {
  /** How many sessions ended. */
  ended: number;
}
export interface ProfileResult {
  user: Person;
}
export interface SyncResult {
  /** Oldest first: public messages, the caller's private ones, and its rooms' messages, all with id > after. */
  messages: ChatMessage[];
  /**
   * Oldest first: the other log entries the caller may see with id (`seq`) > after (membership changes of its
   * rooms and about itself). Merge with `messages` by id/seq; the next `after` is the highest of either.
   */
  changes: LogChange[];
  /** True when more entries follow: call again with the highest id or seq received. */
  hasMore: boolean;
  /**
   * True when messages newer than `after` were already removed by retention: the client cannot be brought
   * up to date message by message and should drop what it holds and reload with `history`.
   */
  reset: boolean;
}

export interface CreateRoomResult {
  room: RoomInfo;
  seq: number;
}
/** `seq` of the membership change; absent when nothing changed (already a member, or not one any more). */
export interface RoomChangeResult {
  room: RoomInfo;
  seq?: number;
}
export interface RoomMsgResult {
  message: RoomMessage;
}
export interface RoomsResult {
  rooms: RoomEntry[];
  hasMore: boolean;
}
export interface MembersResult {
  members: UserEntry[];
  hasMore: boolean;
}
export interface ConversationsResult {
  conversations: ConversationEntry[];
  hasMore: boolean;
}
/** The mark as stored: never lower than before. */
export interface ReadResult {
  upTo: number;
}
/** The message as it is now. */
export interface EditMsgResult {
  message: ChatMessage;
}
export interface ReportResult {
  report: { id: number };
}
