/**
 * The wire contract between the chat server and its clients (Socket.IO v4, default namespace and path).
 * The server, the tests and the benchmark all use these types; docs/protocol.md describes the same contract
 * for people. Incoming payloads are never trusted to match these types: src/schemas.ts parses them first.
 */
import type { ErrorBody } from './errors';

export const MAX_TEXT_LENGTH = 4000;
export const MAX_NAME_LENGTH = 32;
/** Display names (issue 21): 1-64 characters of any script, spaces allowed. */
export const MAX_DISPLAY_NAME_LENGTH = 64;
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
/** `rooms` and `members` pages: at most this many entries (default and maximum). */
export const MAX_LIST_PAGE = 100;
/** `conversations` pages: at most this many conversations (default and maximum). */
export const MAX_CONVERSATIONS_PAGE = 50;
/** A report's reason: at most this many characters. */
export const MAX_REASON_LENGTH = 500;
/** Unread counts stop here: `unread: 1000` means a thousand or more (counting further costs a scan). */
export const UNREAD_COUNT_LIMIT = 1000;

// ---- payloads a client sends -------------------------------------------------------------------------

/**
 * `id` is the tutorial's field; `username` the documented one. Exactly one of them, or `code` alone: a sign-in
 * code (`signInCode`), which opens a new session of the user who made it.
 */
export interface LoginPayload {
  id?: string;
  username?: string;
  token?: string;
  code?: string;
}

/** `io(url, { auth })`: log in during the handshake (or connect anonymously with no field). */
export interface HandshakeAuth {
  username?: string;
  token?: string;
  code?: string;
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
  /** A room name: that room's messages (logged-in only; a private room's members only). Not with `with`. */
  room?: string;
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

// ---- rooms and read state (issue 17) ----------------------------------------------------------------

/** Room names follow the user name rules (src/names.ts); look-alike names are one room. */
export interface CreateRoomPayload {
  name: string;
  /** A private room is visible to its members only (default false). */
  private?: boolean;
}

/** `joinRoom`, `leaveRoom`. */
export interface RoomPayload {
  room: string;
}

/** `invite`, `removeMember`. */
export interface RoomUserPayload {
  room: string;
  user: string;
}

export interface RoomMsgPayload {
  room: string;
  text: string;
  clientId?: string;
}

/** Rooms are listed by name, a page at a time: `after` is the last name of the previous page. */
export interface RoomsPayload {
  /** Only the rooms the caller is a member of (default false: also every public room). */
  mine?: boolean;
  after?: string;
  limit?: number;
}

export interface MembersPayload {
  room: string;
  /** The last name of the previous page. */
  after?: string;
  limit?: number;
}

/** Neither `room` nor `with`: the public timeline. */
export interface ReadPayload {
  upTo: number;
  room?: string;
  with?: string;
}

/** Most recently active first; `before` is the `activity` of the last conversation of the previous page. */
export interface ConversationsPayload {
  before?: number;
  limit?: number;
}

// ---- editing, deleting, blocking, reporting (issue 19) ------------------------------------------------

export interface EditMsgPayload {
  id: number;
  text: string;
}

export interface DeleteMsgPayload {
  id: number;
}

/** `block`, `unblock`. */
export interface UserPayload {
  user: string;
}

export interface ReportPayload {
  id: number;
  reason?: string;
}

export interface LogoutPayload {
  /** Also give up the name at once, so anyone may claim it (default: it stays reserved for its token). */
  release?: boolean;
}

/** `signInCode {}`: a short-lived, single-use code that signs another device in as the caller. */
export type SignInCodePayload = Record<string, never>;

/** `sessions {}`: the caller's signed-in devices. */
export type SessionsPayload = Record<string, never>;

/** `endSession`: one session by id, or every session of the caller but the current one (`others`). */
export type EndSessionPayload = { id: string } | { others: true };

/** `profile`: changes the caller's display name. */
export interface ProfilePayload {
  displayName: string;
}

// ---- what the server sends ---------------------------------------------------------------------------

export interface PublicMessage {
  /** Increasing across all messages, public and private. */
  id: number;
  /** The sender's handle, and the display name people see (both current, except in live events: as sent). */
  from: string;
  fromName: string;
  /** Empty once the message was deleted (`deletedAt` set). */
  text: string;
  /** Epoch milliseconds, assigned by the server. */
  ts: number;
  /** When its author last edited it (issue 19), absent if never. */
  editedAt?: number;
  /** When it was deleted: a tombstone, its text erased. Absent if it was not. */
  deletedAt?: number;
}

export interface PrivateMessage extends PublicMessage {
  to: string;
  toName: string;
}

export interface RoomMessage extends PublicMessage {
  /** The room's name. */
  room: string;
}

export type ChatMessage = PublicMessage | PrivateMessage | RoomMessage;

export interface RoomInfo {
  name: string;
  private: boolean;
  /** The name of the user who created it (the only one who may remove members). */
  owner: string;
}

/** What a membership change did: `create` (the owner's own entry), `join`, `leave`, `invite`, `remove`. */
export type MemberAction = 'create' | 'join' | 'leave' | 'invite' | 'remove';

/**
 * A membership change, an entry of the message log: `seq` is its id in the one id sequence that messages
 * share (a client's cursor moves over it as over a message id). `user` is the member concerned, `by` who did it.
 */
export interface RoomMemberChange {
  seq: number;
  room: string;
  private: boolean;
  user: string;
  action: MemberAction;
  by: string;
  ts: number;
}

/** The log entries that are not chat messages, as `sync` returns them (`changes`), oldest first. */
/** A message's new text (issue 19): `id` is the message's, `seq` the edit's own place in the log. */
export interface MessageEdited {
  id: number;
  text: string;
  editedAt: number;
  seq: number;
}

/** A message was deleted: readers drop its text and show a tombstone. */
export interface MessageDeleted {
  id: number;
  seq: number;
}

export type LogChange = ({ type: 'member' } & RoomMemberChange) | ({ type: 'edit' } & MessageEdited) | ({ type: 'delete' } & MessageDeleted);

/** One room in the `rooms` list. `unread` and `last` are given for the rooms the caller is a member of. */
export interface RoomEntry {
  name: string;
  private: boolean;
  owner: string;
  member: boolean;
  /** How many members it has. */
  members: number;
  unread?: number;
  last?: RoomMessage | null;
}

/** A read mark: the reader has read that conversation up to this message id (and never goes back). */
export interface ReadMark {
  upTo: number;
  room?: string;
  with?: string;
}

/** One conversation of the caller: the public timeline (neither `room` nor `with`), a one-to-one, or a room. */
export interface ConversationEntry {
  room?: string;
  with?: string;
  /** Messages from others after the read mark, up to UNREAD_COUNT_LIMIT. */
  unread: number;
  /** The newest message, or null when there is none. */
  last: ChatMessage | null;
  /** The read mark (0: none yet). */
  readUpTo: number;
  /** What the list is ordered by (newest first): the last message's id, or for a room without messages the caller's joining. */
  activity: number;
}

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

/** A person as events show them: the handle (`to`, `with`) and the display name. */
export interface Person {
  name: string;
  displayName: string;
}

/** Users who came online or went offline since the previous `presence` event. */
export interface PresenceChange {
  users: Array<Person & { online: boolean }>;
  ts: number;
}

export interface TypingNotice {
  from: string;
  fromName: string;
  to?: string;
}

export interface UserEntry extends Person {
  online: boolean;
}

/** A user's names changed (`profile`, or in JWT mode the host renamed them); `formerName` when the handle did. */
export interface ProfileChange extends Person {
  formerName?: string;
  ts: number;
}

// ---- acks -------------------------------------------------------------------------------------------

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
  signInCode: (payload: SignInCodePayload, ack?: AckFn<SignInCodeResult>) => void;
  sessions: (payload: SessionsPayload, ack?: AckFn<SessionsResult>) => void;
  endSession: (payload: EndSessionPayload, ack?: AckFn<EndSessionResult>) => void;
  profile: (payload: ProfilePayload, ack?: AckFn<ProfileResult>) => void;
  createRoom: (payload: CreateRoomPayload, ack?: AckFn<CreateRoomResult>) => void;
  joinRoom: (payload: RoomPayload, ack?: AckFn<RoomChangeResult>) => void;
  leaveRoom: (payload: RoomPayload, ack?: AckFn<RoomChangeResult>) => void;
  invite: (payload: RoomUserPayload, ack?: AckFn<RoomChangeResult>) => void;
  removeMember: (payload: RoomUserPayload, ack?: AckFn<RoomChangeResult>) => void;
  roomMsg: (payload: RoomMsgPayload, ack?: AckFn<RoomMsgResult>) => void;
  rooms: (payload: RoomsPayload, ack?: AckFn<RoomsResult>) => void;
  members: (payload: MembersPayload, ack?: AckFn<MembersResult>) => void;
  read: (payload: ReadPayload, ack?: AckFn<ReadResult>) => void;
  conversations: (payload: ConversationsPayload, ack?: AckFn<ConversationsResult>) => void;
  editMsg: (payload: EditMsgPayload, ack?: AckFn<EditMsgResult>) => void;
  deleteMsg: (payload: DeleteMsgPayload, ack?: AckFn) => void;
  block: (payload: UserPayload, ack?: AckFn) => void;
  unblock: (payload: UserPayload, ack?: AckFn) => void;
  report: (payload: ReportPayload, ack?: AckFn<ReportResult>) => void;
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
  profileChanged: (change: ProfileChange) => void;
  roomMsg: (message: RoomMessage) => void;
  roomMember: (change: RoomMemberChange) => void;
  /** Another connection of this user moved a read mark. */
  read: (mark: ReadMark) => void;
  messageEdited: (edit: MessageEdited) => void;
  messageDeleted: (deletion: MessageDeleted) => void;
}

/** Between the nodes of a cluster (Socket.IO's server-side emit): nothing a client sends or sees. */
export interface InterServerEvents {
  /** A user's display name changed: every node updates its sockets of that user. */
  displayNameChanged: (userId: number, displayName: string) => void;
  /** These users changed on the sending node: read their state again and tell your sockets (presence/feed.ts). */
  presenceChanged: (users: Array<{ id: number; name: string; displayName: string }>) => void;
}

/** The logged-in identity of a socket. `key` is the case-folded name used for rooms and uniqueness. */
export interface SessionUser {
  id: number;
  name: string;
  key: string;
  displayName: string;
}

export interface SocketData {
  user?: SessionUser;
  /** The session (device) the socket logged in with; none for a tutorial login that joined without the token, or JWT. */
  sessionId?: string;
}

export type ClientEvent = keyof ClientToServerEvents;
