/**
 * The wire contract between the chat server and its clients (Socket.IO v4, default namespace and path).
 * The server, the tests and the benchmark all use these types; docs/protocol.md describes the same contract
 * for people. Incoming payloads are never trusted to match these types: src/schemas.ts parses them first.
 */
import type { ErrorBody } from './errors';

export const MAX_TEXT_LENGTH = 4000;
export const MAX_NAME_LENGTH = 32;
export const MAX_HISTORY_PAGE = 100;
export const DEFAULT_HISTORY_PAGE = 50;
export const MAX_SYNC_PAGE = 500;
/**
 * A `sync` page ends early, with `hasMore`, once its texts reach this many characters: 500 messages of 4,000
 * characters would be 2 MB of JSON for one read (issue 16); a page always holds at least one message.
 */
export const MAX_SYNC_PAGE_CHARS = 200_000;
export const DEFAULT_USERS_PAGE = 100;
export const MAX_USERS_PAGE = 500;
/** The login ack lists at most this many online users; `users` pages through everyone. */
export const LOGIN_ONLINE_LIMIT = 100;
export const MAX_CLIENT_ID_LENGTH = 64;
/** At most this many ids in one `received` event. */
export const MAX_RECEIPTS = 500;
/**
 * The largest Engine.IO message (and long-polling request body) the server reads (Socket.IO's
 * `maxHttpBufferSize`, 1 MB by default). The largest valid event is a `privateMsg` whose 4000 characters are
 * each escaped by JSON as `\uXXXX` (6 bytes): about 24.2 kB with its other fields; `received` with 500 ids is
 * about 8.5 kB; a handshake JWT at most 8 kB. 64 kB leaves room for a long-polling client that sends two such
 * events in one request; Socket.IO 4 clients split their requests at this size by themselves.
 */
export const MAX_PACKET_BYTES = 64 * 1024;

// ---- payloads a client sends -------------------------------------------------------------------------

/** `id` is the tutorial's field; `username` the documented one. Exactly one of them. */
export interface LoginPayload {
  id?: string;
  username?: string;
  token?: string;
}

/** `io(url, { auth })`: log in during the handshake (or connect anonymously with neither field). */
export interface HandshakeAuth {
  username?: string;
  token?: string;
}

/** `newAccount` is the tutorial's field; `text` the documented one. Exactly one of them. */
export interface SendMsgPayload {
  text?: string;
  newAccount?: string;
  /** Client-chosen id making retries idempotent: a resend with the same clientId acks the original. */
  clientId?: string;
}

export interface PrivateMsgPayload {
  to: string;
  text: string;
  clientId?: string;
}

/** Asks for every message newer than `after` (a message id) that the caller may read. */
export interface SyncPayload {
  after: number;
  limit?: number;
}

export interface HistoryPayload {
  /** A user name: the conversation between the caller and that user. Absent: the public timeline. */
  with?: string;
  /** Only messages with an id lower than this. Absent: the newest page. */
  before?: number;
  limit?: number;
}

/** A page of the user list; the next page starts after the last name of this one. */
export interface UsersPayload {
  after?: string;
  limit?: number;
}

export interface TypingPayload {
  to?: string;
}

/**
 * Confirms that this connection received these private messages (ids of messages to the caller), so they are
 * not sent again at the next login. Optional: without it the heartbeat confirms them (docs/protocol.md).
 */
export interface ReceivedPayload {
  ids: number[];
}

export interface LogoutPayload {
  /** Also give up the name at once, so anyone may claim it (default: it stays reserved for its token). */
  release?: boolean;
}

// ---- what the server sends ---------------------------------------------------------------------------

export interface PublicMessage {
  /** Increasing across all messages, public and private. */
  id: number;
  from: string;
  text: string;
  /** Epoch milliseconds, assigned by the server. */
  ts: number;
}

export interface PrivateMessage extends PublicMessage {
  to: string;
}

export type ChatMessage = PublicMessage | PrivateMessage;

export type NoticeType = 'welcome' | 'join' | 'leave' | 'push' | 'error';

/**
 * Everything the server pushes on `msg1`. `code` is set on `error` notices (with `retryAfterMs` when the code
 * is `rate_limited`, as in an ack), `names` on join/leave.
 */
export interface Notice {
  type: NoticeType;
  text: string;
  ts: number;
  /** join/leave: who came or went (changes are announced together, at most every 100 ms). */
  names?: string[];
  code?: ErrorBody['code'];
  retryAfterMs?: ErrorBody['retryAfterMs'];
}

/** Users who came online or went offline since the previous `presence` event. */
export interface PresenceChange {
  users: Array<{ name: string; online: boolean }>;
  ts: number;
}

export interface TypingNotice {
  from: string;
  to?: string;
}

export interface UserEntry {
  name: string;
  online: boolean;
}

// ---- acks -------------------------------------------------------------------------------------------

export type Ack<T extends object = object> = ({ ok: true } & T) | { ok: false; error: ErrorBody };
export type AckFn<T extends object = object> = (response: Ack<T>) => void;

export interface LoginResult {
  user: { name: string };
  /**
   * The token to keep for this name. Absent when the login joined a name held by tutorial-style logins
   * without presenting its token (see docs/protocol.md, "Names and tokens").
   */
  token?: string;
  /** Online users, sorted, at most LOGIN_ONLINE_LIMIT of them (sending all on every login costs O(N²)). */
  online: string[];
  onlineCount: number;
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
export interface SyncResult {
  /** Oldest first: public messages and the caller's private ones, all with id > after. */
  messages: ChatMessage[];
  /** True when more messages follow: call again with the last id received. */
  hasMore: boolean;
  /**
   * True when messages newer than `after` were already removed by retention: the client cannot be brought
   * up to date message by message and should drop what it holds and reload with `history`.
   */
  reset: boolean;
}

// ---- Socket.IO event maps ---------------------------------------------------------------------------

export interface ClientToServerEvents {
  login: (payload: LoginPayload, ack?: AckFn<LoginResult>) => void;
  sendMsg: (payload: SendMsgPayload, ack?: AckFn<SendMsgResult>) => void;
  privateMsg: (payload: PrivateMsgPayload, ack?: AckFn<PrivateMsgResult>) => void;
  history: (payload: HistoryPayload, ack?: AckFn<HistoryResult>) => void;
  users: (payload: UsersPayload, ack?: AckFn<UsersResult>) => void;
  typing: (payload: TypingPayload, ack?: AckFn) => void;
  sync: (payload: SyncPayload, ack?: AckFn<SyncResult>) => void;
  logout: (payload: LogoutPayload, ack?: AckFn) => void;
  received: (payload: ReceivedPayload, ack?: AckFn) => void;
}

/** Sent first on a connection that logged in during the handshake (`auth`): what a `login` ack would say. */
export type SessionInfo = LoginResult;

export interface ServerToClientEvents {
  session: (info: SessionInfo) => void;
  allmessage: (message: PublicMessage) => void;
  privateMsg: (message: PrivateMessage) => void;
  msg1: (notice: Notice) => void;
  presence: (change: PresenceChange) => void;
  typing: (notice: TypingNotice) => void;
}

/** Between the nodes of a cluster (Socket.IO's server-side emit): nothing a client sends or sees. */
export interface InterServerEvents {
  /** These users changed on the sending node: read their state again and tell your sockets (presence/feed.ts). */
  presenceChanged: (users: Array<{ id: number; name: string }>) => void;
}

/** The logged-in identity of a socket. `key` is the case-folded name used for rooms and uniqueness. */
export interface SessionUser {
  id: number;
  name: string;
  key: string;
}

export interface SocketData {
  user?: SessionUser;
}

export type ClientEvent = keyof ClientToServerEvents;
