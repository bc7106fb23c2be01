/** What a client sends: the payload of each event (docs/protocol.md, "Client → server"). */

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
