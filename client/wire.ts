/**
 * The wire contract as the library sees it: the server's own types (src/protocol.ts, imported as types only,
 * so nothing of the server ends up in the built library), and the parts of the rooms contract (issue 17) that
 * the server does not speak yet. When rooms land in src/protocol.ts, the declarations below become re-exports.
 */
import type { PublicMessage, PrivateMessage, UserEntry } from '../src/protocol.js';

export type {
  EndSessionResult,
  HandshakeAuth,
  LoginResult,
  Notice,
  Person,
  PresenceChange,
  PrivateMessage,
  ProfileChange,
  ProfileResult,
  PublicMessage,
  SessionEntry,
  SessionsResult,
  SignInCodeResult,
  TypingNotice,
  UserEntry,
} from '../src/protocol.js';
export type { ErrorCode } from '../src/errors.js';

/** `roomMsg { id, room, from, fromName, text, ts }` (issue 17): a message of a room the user is a member of. */
export interface RoomMessage extends PublicMessage {
  room: string;
}

export type WireMessage = PublicMessage | PrivateMessage | RoomMessage;

/** `read { upTo, room? | with? }` (issue 17): a conversation read up to a message id; neither: the public timeline. */
export interface ReadMark {
  upTo: number;
  room?: string;
  with?: string;
}

/**
 * An entry of the log that is not a chat message: a room's membership change (issue 17), an edit or a deletion
 * (issue 19). `seq` is its place in the one id sequence that messages share, so the cursor moves over it.
 */
export interface LogChange {
  type: string;
  seq: number;
  [field: string]: unknown;
}

/** A `sync` page. `changes` comes with rooms (issue 17); a server without them sends messages only. */
export interface SyncPage {
  messages: WireMessage[];
  changes?: LogChange[];
  hasMore: boolean;
  reset: boolean;
}

/** A `history` page, oldest first; `hasMore` when older messages exist. */
export interface HistoryPage {
  messages: WireMessage[];
  hasMore: boolean;
}

/** `users`; `hasMore` where the server pages the list (issue 16: `users { after, limit }`). */
export interface UsersPage {
  users: UserEntry[];
  hasMore?: boolean;
}
