/** What a ChatClient tells the application: its events, and messages as the application receives them. */
import type { ConnectionState } from './connection.js';
import type { Route } from './log.js';
import type { OutboxEntry } from './outbox.js';
import type { ClientError } from './request.js';
import { nameKey } from './session.js';
import type { LogChange, LoginResult, Notice, PresenceChange, PrivateMessage, ProfileChange, PublicMessage, ReadMark, RoomMessage, TypingNotice, WireMessage } from './wire.js';

/** Known on a message that reached the application through the ack of a send from this client. */
interface Extras {
  /** Sent by the signed-in user (from this client or another). */
  mine: boolean;
  clientId?: string;
}

/** A message as the application receives it: the server's fields, which conversation it belongs to, and whose it is. */
export type Message =
  | (PublicMessage & Extras & { kind: 'public' })
  /** `with`: the other person of the conversation (yourself for a note to self). */
  | (PrivateMessage & Extras & { kind: 'private'; with: string })
  | (RoomMessage & Extras & { kind: 'room' });

export type SignedOutReason =
  /** `logout()`. */
  | 'logout'
  /** The session was ended (`endSession`, from this device or another): its token opens nothing any more. */
  | 'session_ended'
  /** The kept session was refused at a reconnection (the name passed to someone else, the server was reset). */
  | 'refused';

export interface ChatClientEvents {
  /** A message new to this client: each exactly once (docs/client.md, "The guarantee"). */
  message: (message: Message, route: Route) => void;
  /** An entry of the log that is not a message (rooms' membership, edits, deletions): each exactly once. */
  change: (change: LogChange, route: Route) => void;
  status: (state: ConnectionState) => void;
  /** Logged in on this connection (handshake or `login`). */
  session: (info: LoginResult) => void;
  signedOut: (reason: SignedOutReason) => void;
  /** This connection has caught up: `delivered` entries came with the catch-up, and live ones follow. */
  synced: (info: { delivered: number; cursor: number }) => void;
  /** The server's retention passed the cursor: drop what you hold and reload it with `history`. */
  reset: () => void;
  presence: (change: PresenceChange) => void;
  typing: (notice: TypingNotice) => void;
  /** Another connection of this user marked a conversation read (issue 17). */
  read: (mark: ReadMark) => void;
  profileChanged: (change: ProfileChange) => void;
  /** The server's notices: `welcome`, `join`, `leave`, `push` (errors come as `error`). */
  notice: (notice: Notice) => void;
  outbox: (entries: readonly OutboxEntry[]) => void;
  /** Failures not answered to a call: refused handshakes, the server's error notices, a failed token refresh, a catch-up to retry. */
  error: (error: ClientError) => void;
}

/** `me`: the signed-in user's name key, if any. */
export function toMessage(wire: WireMessage, me: string | null | undefined, clientId?: string): Message {
  const extras: Extras = { mine: typeof me === 'string' && nameKey(wire.from) === me, ...(clientId !== undefined && { clientId }) };
  if ('room' in wire) return { ...wire, ...extras, kind: 'room' };
  if ('to' in wire) return { ...wire, ...extras, kind: 'private', with: extras.mine ? wire.to : wire.from };
  return { ...wire, ...extras, kind: 'public' };
}
